from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from modops.insights.slices import parse_moment
from modops.ops.staffing.plan import StaffingTarget, requirements_csv
from modops.review.services.errors import Invalid
from modops.workforce.planning import DEFAULT_AHT_SECONDS, plan


class Command(BaseCommand):
    help = (
        "Forecast arrivals per queue and hour of week from the trailing weeks, report the forecast error (MAPE) "
        "on held-back weeks, staff each hour by Erlang C and write the gap against the roster as CSV."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="start of the week to plan (default: this Monday 00:00 UTC)")
        parser.add_argument("--weeks", type=int, default=4, help="trailing weeks averaged by hour of week")
        parser.add_argument("--holdout-weeks", type=int, default=1, help="weeks held back to measure MAPE")
        parser.add_argument("--service-level", type=float, default=0.9, help="share answered within --within")
        parser.add_argument("--within", type=float, default=300.0, help="service level target time, seconds")
        parser.add_argument("--shrinkage", type=float, default=0.3, help="share of rostered time not available")
        parser.add_argument(
            "--default-aht", type=float, default=DEFAULT_AHT_SECONDS, help="AHT for queues never handled"
        )
        parser.add_argument("--csv", help="write the gap per hour of week to this file ('-' for standard output)")
        parser.add_argument("--requirements-csv", help="write the per-queue requirements to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = parse_moment(options["as_of"], "as_of")
            if as_of is None:
                today = timezone.now().astimezone(UTC).date()
                as_of = datetime.combine(today.fromordinal(today.toordinal() - today.weekday()), time(), tzinfo=UTC)
            target = StaffingTarget(
                service_level=options["service_level"], target_seconds=options["within"], shrinkage=options["shrinkage"]
            )
            result = plan(as_of, options["weeks"], options["holdout_weeks"], target, options["default_aht"])
        except (Invalid, ValueError) as exc:
            raise CommandError(str(exc)) from None
        mape = result.accuracy.mape
        self.stdout.write(
            f"forecast for the week from {result.as_of.isoformat()} from {result.forecast.weeks} trailing weeks; "
            f"MAPE on {options['holdout_weeks']} held-back week(s): "
            f"{'n/a' if mape is None else f'{mape * 100:.1f}%'} over {result.accuracy.points} hours"
        )
        self.stdout.write(f"hours short of staff: {result.short_hours} of 168")
        if options["csv"] == "-":
            self.stdout.write(result.gap_csv(), ending="")
        elif options["csv"]:
            Path(options["csv"]).write_text(result.gap_csv())
        if options["requirements_csv"]:
            Path(options["requirements_csv"]).write_text(requirements_csv(result.requirements))
