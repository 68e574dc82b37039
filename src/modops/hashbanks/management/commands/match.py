"""`modops match FILE...`: hash files and look them up in every enabled bank, one JSON line each."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from modops.hashbanks.services import MediaRejected, match_file


class Command(BaseCommand):
    help = "Hash each file (PDQ, MD5, SHA-256; vPDQ for video) and print its matches as one JSON line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = 0
        for path in options["files"]:
            line: dict[str, Any] = {"file": path}
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
                line.update(match_file(data))
            except OSError as exc:
                line["error"] = exc.strerror or str(exc)
                failed += 1
            except MediaRejected as exc:
                line["error"] = exc.reason
                failed += 1
            self.stdout.write(json.dumps(line))
        if failed:
            raise SystemExit(1)
