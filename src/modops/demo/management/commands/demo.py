from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from modops.demo.services import is_empty, load_demo


class Command(BaseCommand):
    help = "Load a living demo platform: staff on three sites, channels, live streams, a day of reports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing if the database holds data")
        parser.add_argument("--reports", type=int, default=3000)
        parser.add_argument("--detections", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and not is_empty():
            self.stdout.write("database already holds data: demo not loaded")
            return
        summary = load_demo(options["reports"], options["detections"], options["seed"])
        self.stdout.write(
            f"demo loaded: {summary.staff} staff, {summary.reports} reports, {summary.detections} detections, "
            f"{summary.decisions} decisions\n"
            f"staff sign in with the password from MODOPS_DEMO_PASSWORD (default demo-password-change-me)\n"
            f"demo intake token (shown once): {summary.intake_token}"
        )
