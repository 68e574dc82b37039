from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from modops.insights.simulation import compare
from modops.ops.simulation import REFERENCE_SEED, RosterChangeError, render_comparison
from modops.review.services.errors import Invalid

_KEYS = ("sla_attainment", "tta_p50_seconds", "tta_p90_seconds", "max_exposure_minutes", "backlog_end")


class Command(BaseCommand):
    help = (
        "Replay a day of review items through modops priority routing and a plain FIFO queue with the same "
        "staff, and print SLA attainment, time to action, exposure and backlog side by side."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--day", default="reference", help="'reference' (generated from --seed) or YYYY-MM-DD (recorded)"
        )
        parser.add_argument("--seed", type=int, default=REFERENCE_SEED, help="seed of the reference day")
        parser.add_argument(
            "--add-staff",
            action="append",
            default=[],
            metavar="SITE:N@HH-HH",
            help="add (or with a negative N remove) staff on a shift, local time; repeatable, e.g. manila:2@08-16",
        )
        parser.add_argument(
            "--exposure-cap", type=float, default=60.0, help="modops routing: sensitive minutes per moderator per 8 h"
        )
        parser.add_argument("--json", action="store_true", help="print the headline figures as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = compare(options["day"], options["add_staff"], options["exposure_cap"], options["seed"])
        except (Invalid, RosterChangeError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            full = result.to_dict()
            headline = {policy: {key: full[policy][key] for key in _KEYS} for policy in ("fifo", "modops")}
            self.stdout.write(json.dumps(headline, indent=2))
        else:
            self.stdout.write(render_comparison(result))
