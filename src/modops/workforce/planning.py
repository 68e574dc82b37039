"""Staffing plan from history: arrivals forecast per queue and hour of week, its error on held-back
weeks, required heads by Erlang C, and the gap against the roster (``modops.ops.staffing``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Sum
from django.db.models.functions import TruncHour

from modops.insights.kpis import DECIDED, seconds_of, spans
from modops.insights.slices import Slice
from modops.ops.staffing.forecast import Accuracy, Forecast, backtest, forecast_by_hour_of_week
from modops.ops.staffing.plan import GapRow, RequirementRow, StaffingTarget, gap_csv, requirements, staffing_gap
from modops.review.models import Queue, ReviewItem
from modops.review.services.errors import Invalid
from modops.workforce.services import roster

DEFAULT_AHT_SECONDS = 120.0


def hourly_arrivals(since: datetime, until: datetime) -> dict[tuple[str, datetime], int]:
    """Review items first seen per (queue, UTC hour), counted in the database."""
    rows = (
        ReviewItem.objects.filter(first_seen_at__gte=since, first_seen_at__lt=until)
        .annotate(hour=TruncHour("first_seen_at", tzinfo=UTC))
        .values_list("queue__slug", "hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(queue, hour): n for queue, hour, n in rows}


def handle_time_by_queue(since: datetime, until: datetime) -> dict[str, float]:
    """Average handle time per queue (claim to decision) for decisions in the window, from the claim spans."""
    handled = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    rows = (
        spans(Slice(since=since, until=until))
        .filter(ended_by=DECIDED, ended_at__gte=since, ended_at__lt=until)
        .values("review_item__queue__slug")
        .annotate(n=Count("id"), total=Sum(handled))
        .values_list("review_item__queue__slug", "n", "total")
        .order_by()
    )
    return {queue: seconds_of(total) / n for queue, n, total in rows if n}


@dataclass(frozen=True)
class StaffingPlan:
    as_of: datetime
    forecast: Forecast
    accuracy: Accuracy
    aht_seconds: dict[str, float]
    requirements: list[RequirementRow]
    gap: list[GapRow]

    def gap_csv(self) -> str:
        return gap_csv(self.gap)

    @property
    def short_hours(self) -> int:
        return sum(1 for row in self.gap if row.gap < 0)


def plan(
    as_of: datetime,
    weeks: int = 4,
    holdout_weeks: int = 1,
    target: StaffingTarget | None = None,
    default_aht_seconds: float = DEFAULT_AHT_SECONDS,
    roster_week: date | None = None,
) -> StaffingPlan:
    """Forecast the week from ``as_of`` from the ``weeks`` before it and compare it with the roster.

    The error (MAPE) is measured by forecasting the last ``holdout_weeks`` from the weeks before
    them. Queues without observed handle times use ``default_aht_seconds``.
    """
    if not 1 <= weeks <= 26:
        raise Invalid("weeks", "must be 1-26")
    if not 1 <= holdout_weeks <= 8:
        raise Invalid("holdout_weeks", "must be 1-8")
    if default_aht_seconds <= 0:
        raise Invalid("default_aht", "must be > 0 seconds")
    history_start = as_of - timedelta(weeks=weeks + holdout_weeks)
    counts = hourly_arrivals(history_start, as_of)
    slugs = list(Queue.objects.values_list("slug", flat=True))
    forecast = forecast_by_hour_of_week(counts, as_of=as_of, weeks=weeks, queues=slugs)
    accuracy = backtest(counts, as_of=as_of, weeks=weeks, holdout_weeks=holdout_weeks)
    observed = handle_time_by_queue(as_of - timedelta(weeks=weeks), as_of)
    aht = {queue: observed.get(queue, default_aht_seconds) for queue in forecast.queues}
    try:
        rows = requirements(forecast, aht, target or StaffingTarget())
    except ValueError as exc:
        raise Invalid("target", str(exc)) from None
    gap = staffing_gap(rows, roster(roster_week or as_of.date()))
    return StaffingPlan(as_of, forecast, accuracy, aht, rows, gap)
