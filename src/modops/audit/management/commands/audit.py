from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from modops.audit.services import verify


class Command(BaseCommand):
    help = "Check the moderation event log: `modops audit verify`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify()
        if not result.ok:
            raise CommandError(f"audit log FAILED after {result.checked} good events: {result.problem}")
        self.stdout.write(f"audit log OK: {result.checked} events, chain intact")
