"""`modops childsafety purge`: the evidence retention job (never touches held evidence)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from modops.childsafety.services import purge_expired


class Command(BaseCommand):
    help = "Child-safety housekeeping: `modops childsafety purge` drops expired evidence not under legal hold."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["purge"])

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        while True:
            purged = purge_expired()
            total += purged
            if purged == 0:
                break
        self.stdout.write(f"purged {total} expired evidence files (held evidence is never purged)")
