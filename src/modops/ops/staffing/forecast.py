"""Arrivals forecast per queue and hour of week, and its accuracy on held-back weeks.

Hours of week are counted in UTC from Monday 00:00 (0) to Sunday 23:00 (167), so forecasts from
every region line up with rosters converted to UTC. Naive timestamps are taken as UTC.

The forecast for an hour of week is the (optionally weighted) mean of the same hour in each of the
trailing weeks. An hour with no arrivals counts as zero: leaving it out would inflate quiet hours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeAlias

__all__ = [
    "HOURS_PER_WEEK",
    "Accuracy",
    "Forecast",
    "HourlyCounts",
    "backtest",
    "forecast_by_hour_of_week",
    "hour_of_week",
    "hourly_counts",
    "mape",
]

HOURS_PER_WEEK = 168
_WEEK = timedelta(days=7)
_HOUR = timedelta(hours=1)

HourlyCounts: TypeAlias = Mapping[tuple[str, datetime], int]
"""Arrivals per (queue, start of the UTC hour)."""

History: TypeAlias = HourlyCounts | Iterable[tuple[datetime, str]]
"""Either hourly counts or raw (timestamp, queue) arrivals."""


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _hour_start(ts: datetime) -> datetime:
    return _utc(ts).replace(minute=0, second=0, microsecond=0)


def hour_of_week(ts: datetime) -> int:
    """UTC hour of week: Monday 00:00-00:59 is 0, Sunday 23:00-23:59 is 167."""
    utc = _utc(ts)
    return utc.weekday() * 24 + utc.hour


def hourly_counts(
    arrivals: Iterable[tuple[datetime, str]],
) -> dict[tuple[str, datetime], int]:
    """Count (timestamp, queue) arrivals per queue and UTC hour."""
    counts: Counter[tuple[str, datetime]] = Counter()
    for ts, queue in arrivals:
        counts[(queue, _hour_start(ts))] += 1
    return dict(counts)


def _as_counts(history: History) -> dict[tuple[str, datetime], int]:
    if isinstance(history, Mapping):
        counts: dict[tuple[str, datetime], int] = {}
        for (queue, ts), count in history.items():
            if count < 0:
                raise ValueError(f"negative arrival count {count!r} for {queue!r} at {ts}")
            key = (queue, _hour_start(ts))
            counts[key] = counts.get(key, 0) + count
        return counts
    return hourly_counts(history)


@dataclass(frozen=True, slots=True)
class Forecast:
    """Expected arrivals per (queue, hour of week) for the week starting at ``as_of``."""

    as_of: datetime
    weeks: int
    weights: tuple[float, ...]
    values: Mapping[tuple[str, int], float] = field(repr=False)

    @property
    def queues(self) -> tuple[str, ...]:
        return tuple(sorted({queue for queue, _ in self.values}))

    def arrivals(self, queue: str, how: int) -> float:
        """Forecast arrivals in that hour; 0 for a queue never seen in the history window."""
        if not 0 <= how < HOURS_PER_WEEK:
            raise ValueError(f"hour of week must be in 0..167, got {how!r}")
        return self.values.get((queue, how), 0.0)

    def rows(self) -> list[tuple[str, int, float]]:
        """(queue, hour_of_week, arrivals) sorted by queue then hour."""
        return [(q, h, self.values[(q, h)]) for q, h in sorted(self.values)]


def _normalised_weights(weeks: int, weights: Sequence[float] | None) -> tuple[float, ...]:
    if weeks < 1:
        raise ValueError(f"weeks must be >= 1, got {weeks!r}")
    if weights is None:
        return tuple(1.0 / weeks for _ in range(weeks))
    if len(weights) != weeks:
        raise ValueError(f"need one weight per week ({weeks}), got {len(weights)}")
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("weights must be >= 0 with a positive sum")
    total = float(sum(weights))
    return tuple(w / total for w in weights)


def forecast_by_hour_of_week(
    history: History,
    *,
    as_of: datetime,
    weeks: int = 4,
    weights: Sequence[float] | None = None,
    queues: Iterable[str] | None = None,
) -> Forecast:
    """Trailing-weeks average of arrivals by queue and hour of week.

    Week 0 is the 7 days just before ``as_of`` (rounded down to the hour), week 1 the 7 before
    that, and so on. ``weights`` lists one weight per week, most recent first (for example
    ``[0.4, 0.3, 0.2, 0.1]`` to favour recent weeks); they are normalised to sum to 1. Queues are
    those with arrivals in the window, plus any named in ``queues``.
    """
    normalised = _normalised_weights(weeks, weights)
    counts = _as_counts(history)
    end = _hour_start(as_of)
    start = end - weeks * _WEEK
    known = set(queues or ())
    totals: dict[tuple[str, int], float] = {}
    for (queue, ts), count in counts.items():
        if not start <= ts < end:
            continue
        known.add(queue)
        week_index = int((end - ts) / _WEEK - 1e-9)
        key = (queue, hour_of_week(ts))
        totals[key] = totals.get(key, 0.0) + normalised[week_index] * count
    values = {(queue, how): totals.get((queue, how), 0.0) for queue in known for how in range(HOURS_PER_WEEK)}
    return Forecast(as_of=end, weeks=weeks, weights=normalised, values=values)


@dataclass(frozen=True, slots=True)
class Accuracy:
    """Mean absolute percentage error over the points with a non-zero actual.

    Points whose actual is zero have no defined percentage error and are left out (counted in
    ``zero_actuals_ignored``); ``mape`` is None when no point is left.
    """

    mape: float | None
    points: int
    zero_actuals_ignored: int


def mape(pairs: Iterable[tuple[float, float]]) -> Accuracy:
    """MAPE of (forecast, actual) pairs as a fraction (0.12 is 12%), ignoring zero actuals."""
    total = 0.0
    points = 0
    zeros = 0
    for forecast, actual in pairs:
        if actual < 0 or forecast < 0:
            raise ValueError(f"counts must be >= 0, got forecast={forecast}, actual={actual}")
        if actual == 0:
            zeros += 1
            continue
        total += abs(actual - forecast) / actual
        points += 1
    return Accuracy(
        mape=total / points if points else None,
        points=points,
        zero_actuals_ignored=zeros,
    )


def backtest(
    history: History,
    *,
    as_of: datetime,
    weeks: int = 4,
    holdout_weeks: int = 1,
    weights: Sequence[float] | None = None,
) -> Accuracy:
    """Forecast as if standing ``holdout_weeks`` before ``as_of`` and score the held-back weeks.

    Each held-back week is compared hour by hour, per queue, with that one forecast.
    """
    if holdout_weeks < 1:
        raise ValueError(f"holdout_weeks must be >= 1, got {holdout_weeks!r}")
    counts = _as_counts(history)
    end = _hour_start(as_of)
    cut = end - holdout_weeks * _WEEK
    forecast = forecast_by_hour_of_week(counts, as_of=cut, weeks=weeks, weights=weights)
    held_queues = {queue for (queue, ts) in counts if cut <= ts < end}
    queues = sorted(held_queues | set(forecast.queues))
    pairs: list[tuple[float, float]] = []
    for week in range(holdout_weeks):
        week_start = cut + week * _WEEK
        for queue in queues:
            for offset in range(HOURS_PER_WEEK):
                ts = week_start + offset * _HOUR
                actual = counts.get((queue, ts), 0)
                pairs.append((forecast.arrivals(queue, hour_of_week(ts)), float(actual)))
    return mape(pairs)
