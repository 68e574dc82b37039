from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from modops.enforcement.worker import run_forever, run_once


class Command(BaseCommand):
    help = "Run the worker: outbox delivery, lease expiry, action and strike expiry, SLA breaches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds to sleep when idle")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(json.dumps(run_once()))
            return
        run_forever(options["interval"])
