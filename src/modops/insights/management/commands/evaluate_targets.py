from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from modops.insights.targets import evaluate_targets
from modops.review.services.errors import Invalid


class Command(BaseCommand):
    help = (
        "Measure every active KPI target, store green/amber/red, and alert (event + webhook) on breach. Run from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            measured = evaluate_targets()
        except Invalid as exc:
            raise CommandError(str(exc)) from None
        for tile in measured:
            value = "n/a" if tile.value is None else f"{tile.value:.4g}"
            self.stdout.write(f"{tile.status.value:7} {tile.name}: {value} ({tile.comparator} {tile.target:g})")
