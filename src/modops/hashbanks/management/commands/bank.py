"""`modops bank import|export|list`: hash banks from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from modops.hashbanks.models import Bank, BankKind
from modops.hashbanks.services import BankSettings, bank_stats, export_bank, import_bank_file
from modops.media.bankfile import BankFileError
from modops.policies.services import UnknownPolicy
from modops.review.services.errors import Invalid, NotFound

ACTOR = "system:cli"


class Command(BaseCommand):
    help = "Hash banks: `modops bank import --bank NAME FILE`, `modops bank export --bank NAME`, `modops bank list`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import a threatexchange/HMA CSV bank file (creates the bank if needed)")
        imp.add_argument("--bank", required=True)
        imp.add_argument("file", help="CSV file (signal_type,signal,metadata...); - for standard input")
        imp.add_argument("--kind", choices=[k.value for k in BankKind], default=BankKind.LOCAL.value)
        imp.add_argument("--policy", help="policy code for a new bank (default by kind)")
        imp.add_argument("--queue", help="queue slug for a new bank (default by kind)")
        imp.add_argument("--suppresses", nargs="*", default=[], help="suppression banks: banks they cancel")
        imp.add_argument("--no-progress", action="store_true")
        exp = sub.add_parser("export", help="write a bank's enabled hashes as CSV")
        exp.add_argument("--bank", required=True)
        exp.add_argument("--output", "-o", help="file to write (default standard output)")
        sub.add_parser("list", help="banks with their settings and sizes, one JSON line each")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except BankFileError as exc:
            raise CommandError(f"{options.get('file')}: {exc} (nothing was imported)") from None
        except (Invalid, NotFound, UnknownPolicy) as exc:
            raise CommandError(getattr(exc, "message", None) or f"not found or unknown: {exc}") from None

    def _import(self, options: dict[str, Any]) -> None:
        path = options["file"]
        settings = BankSettings(
            kind=BankKind(options["kind"]),
            policy_code=options["policy"],
            queue_slug=options["queue"],
            suppresses=tuple(options["suppresses"]),
        )
        bar = tqdm(unit=" rows", disable=options["no_progress"], file=sys.stderr, desc="parsing")
        done = [0]

        def progress(rows: int) -> None:
            bar.update(rows - done[0])
            done[0] = rows

        try:
            if path == "-":
                result = import_bank_file(options["bank"], sys.stdin, ACTOR, settings, progress)
            else:
                if not Path(path).is_file():
                    raise CommandError(f"{path}: no such file")
                with open(path, encoding="utf-8", newline="") as handle:
                    result = import_bank_file(options["bank"], handle, ACTOR, settings, progress)
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); nothing was imported"
            ) from None
        finally:
            bar.close()
        created = " (new bank)" if result.created_bank else ""
        self.stdout.write(
            f"bank {result.bank.name!r}{created}: {result.rows} rows, {result.added} added, "
            f"{result.already_present} already present, {result.tombstoned} skipped (tombstoned)"
        )

    def _export(self, options: dict[str, Any]) -> None:
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as handle:
                rows = export_bank(options["bank"], handle)
            self.stderr.write(f"{rows} hashes written to {options['output']}")
        else:
            export_bank(options["bank"], cast(TextIO, self.stdout))

    def _list(self, options: dict[str, Any]) -> None:
        for bank in Bank.objects.select_related("policy", "queue"):
            self.stdout.write(json.dumps(bank_stats(bank)))
