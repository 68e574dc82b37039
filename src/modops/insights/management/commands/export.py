from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from modops.insights.exports import ExportFormat, export
from modops.insights.slices import parse_moment
from modops.review.services.errors import Invalid


class Command(BaseCommand):
    help = "Write items, reports, decisions, actions and events since a date as Parquet or CSV files (see docs/exports.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=[f.value for f in ExportFormat], default=ExportFormat.PARQUET.value)
        parser.add_argument("--since", required=True, help="YYYY-MM-DD or ISO date-time (UTC when no zone is given)")
        parser.add_argument("--output", default="export", help="directory to write into (created if missing)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            since = parse_moment(options["since"], "since")
        except Invalid as exc:
            raise CommandError(str(exc)) from None
        if since is None:
            raise CommandError("--since: a date is required")
        directory = Path(options["output"])
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"--output: {directory} exists and is not a directory")
        written = export(
            since, directory, ExportFormat(options["format"]), None if options["no_progress"] else sys.stderr
        )
        for name, rows in written.items():
            self.stdout.write(f"{directory / name}.{options['format']}: {rows} rows")
