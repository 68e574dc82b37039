from __future__ import annotations

import csv
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from modops.insights.slices import parse_moment
from modops.review.services.errors import Invalid
from modops.workforce.services import coverage


class Command(BaseCommand):
    help = "Staff on shift for each UTC hour of a week, per region, skill, language or queue, as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--week", help="any date in the week (default: this week)")
        parser.add_argument("--by", choices=["region", "skill", "language", "queue"], default="queue")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            moment = parse_moment(options["week"], "week") or timezone.now()
        except Invalid as exc:
            raise CommandError(str(exc)) from None
        result = coverage(moment.date())
        groups: dict[str, list[int]] = getattr(result, f"by_{options['by']}")
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["hour_of_week", "total", *sorted(groups)])
        for how in range(168):
            writer.writerow([how, result.total[how], *(groups[key][how] for key in sorted(groups))])
