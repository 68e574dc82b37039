"""``modops screen``: screen a JSONL file of chat messages into a JSONL file of verdicts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from modops.text.channels import ConfigError, parse_channel_config
from modops.text.screen import LineError, screen_jsonl


def _lines(handle: IO[bytes], progress: Any) -> Iterator[bytes]:
    done = 0
    for line in handle:
        done += len(line)
        if done >= 1 << 20:
            progress.update(done)
            done = 0
        yield line
    progress.update(done)


class Command(BaseCommand):
    help = (
        'Screen {"id","text","channel"?,"user"?} lines. Output lines: {"id","verdict","offensive",'
        '"categories","level","boundaries","reasons"}. Invalid lines are reported on stderr and skipped.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, help="JSONL file of messages ('-' for stdin)")
        parser.add_argument("--output", required=True, help="JSONL file of verdicts ('-' for stdout)")
        parser.add_argument("--level", type=int, default=3, choices=range(5), help="AutoMod overall_level (0-4)")
        parser.add_argument("--channel-config", help="JSON file of per-channel settings (format: docs/screening.md)")
        parser.add_argument("--batch-size", type=int, default=1024)
        parser.add_argument(
            "--second-stage",
            choices=("on", "off"),
            default="on",
            help="re-score the messages the fast classifier is unsure of with modops-minilm (default: on; "
            "off gives the live pipeline's default scores, about 100x faster)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from tqdm import tqdm

        config = None
        if options["channel_config"]:
            try:
                config = parse_channel_config(json.loads(Path(options["channel_config"]).read_text("utf-8")))
            except (OSError, ValueError) as exc:
                field = f" ({exc.field})" if isinstance(exc, ConfigError) else ""
                raise CommandError(f"--channel-config{field}: {exc}") from exc
        second_stage = None
        if options["second_stage"] == "on":
            from modops.text.minilm import MissingBaseModel, default_second_stage

            try:
                second_stage = default_second_stage()
            except MissingBaseModel as exc:
                raise CommandError(f"--second-stage on: {exc}; or pass --second-stage off") from exc
        source = options["input"]
        try:
            handle_in = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"--input: {exc}") from exc
        total = None if source == "-" else Path(source).stat().st_size
        target = options["output"]
        handle_out = sys.stdout if target == "-" else open(target, "w", encoding="utf-8")  # noqa: SIM115
        screened = invalid = 0
        progress = tqdm(total=total, unit="B", unit_scale=True, file=sys.stderr, disable=not sys.stderr.isatty())
        try:
            for item in screen_jsonl(
                _lines(handle_in, progress),
                options["level"],
                config,
                batch_size=options["batch_size"],
                second_stage=second_stage,
            ):
                if isinstance(item, LineError):
                    invalid += 1
                    sys.stderr.write(f"line {item.line_number}: {item.error}\n")
                else:
                    screened += 1
                    handle_out.write(item)
                    handle_out.write("\n")
        finally:
            progress.close()
            if handle_in is not sys.stdin.buffer:
                handle_in.close()
            if handle_out is not sys.stdout:
                handle_out.close()
        sys.stderr.write(f"screened {screened} messages, skipped {invalid} invalid lines\n")
