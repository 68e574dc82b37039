"""Staffing plan: required heads per hour of week from a forecast, and the gap against a roster.

Each queue is staffed on its own with Erlang C (queues need distinct skills, so their staff are
not one pool) and the per-queue heads are summed per hour. That is the conservative figure: staff
who can work several queues make the real need somewhat lower.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from modops.ops.staffing.erlang import staff_interval
from modops.ops.staffing.forecast import HOURS_PER_WEEK, Forecast

__all__ = [
    "GapRow",
    "RequirementRow",
    "Shift",
    "StaffingTarget",
    "gap_csv",
    "requirements",
    "requirements_csv",
    "roster_from_shifts",
    "staffing_gap",
]

_SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class StaffingTarget:
    """Service target for every interval: ``service_level`` answered within ``target_seconds``."""

    service_level: float = 0.9
    target_seconds: float = 300.0
    shrinkage: float = 0.0
    max_occupancy: float | None = None


@dataclass(frozen=True, slots=True)
class RequirementRow:
    queue: str
    hour_of_week: int
    arrivals: float
    aht_seconds: float
    traffic_erlangs: float
    agents: int
    heads: int
    service_level: float


def requirements(
    forecast: Forecast,
    aht_seconds: float | Mapping[str, float],
    target: StaffingTarget | None = None,
) -> list[RequirementRow]:
    """Agents (Erlang C) and scheduled heads (shrinkage) per queue and hour of week."""
    target = target or StaffingTarget()
    rows: list[RequirementRow] = []
    for queue, how, arrivals in forecast.rows():
        if isinstance(aht_seconds, Mapping):
            if queue not in aht_seconds:
                raise KeyError(f"no average handle time for queue {queue!r}")
            aht = aht_seconds[queue]
        else:
            aht = aht_seconds
        staffing = staff_interval(
            arrivals,
            aht,
            _SECONDS_PER_HOUR,
            service_level_target=target.service_level,
            target_seconds=target.target_seconds,
            shrinkage=target.shrinkage,
            max_occupancy=target.max_occupancy,
        )
        rows.append(
            RequirementRow(
                queue=queue,
                hour_of_week=how,
                arrivals=arrivals,
                aht_seconds=aht,
                traffic_erlangs=staffing.traffic_erlangs,
                agents=staffing.agents,
                heads=staffing.heads,
                service_level=staffing.service_level,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class Shift:
    """``heads`` people at ``region`` working ``start_hour``-``end_hour`` local time.

    ``end_hour`` at or before ``start_hour`` means the shift runs past local midnight. ``days``
    are the local weekdays the shift starts on (Monday 0).
    """

    region: str
    utc_offset_hours: int
    start_hour: int
    end_hour: int
    heads: int
    days: frozenset[int] = field(default_factory=lambda: frozenset(range(7)))

    def __post_init__(self) -> None:
        if not (0 <= self.start_hour <= 23 and 0 <= self.end_hour <= 24):
            raise ValueError(f"shift hours must be 0-23 and 0-24, got {self.start_hour}-{self.end_hour}")
        if self.heads < 0:
            raise ValueError(f"heads must be >= 0, got {self.heads}")
        if not -12 <= self.utc_offset_hours <= 14:
            raise ValueError(f"utc offset must be -12..14, got {self.utc_offset_hours}")
        if not self.days <= frozenset(range(7)):
            raise ValueError(f"days must be weekdays 0-6, got {sorted(self.days)}")

    @property
    def length_hours(self) -> int:
        length = (self.end_hour - self.start_hour) % 24
        return 24 if length == 0 else length


def roster_from_shifts(shifts: Iterable[Shift]) -> dict[tuple[str, int], int]:
    """Staff on shift per (region, UTC hour of week)."""
    roster: dict[tuple[str, int], int] = {}
    for shift in shifts:
        for day in shift.days:
            for offset in range(shift.length_hours):
                local_how = day * 24 + shift.start_hour + offset
                how = (local_how - shift.utc_offset_hours) % HOURS_PER_WEEK
                key = (shift.region, how)
                roster[key] = roster.get(key, 0) + shift.heads
    return roster


@dataclass(frozen=True, slots=True)
class GapRow:
    """Heads needed and rostered in one UTC hour of week; ``gap`` < 0 is a shortfall."""

    hour_of_week: int
    required_heads: int
    rostered: int
    gap: int
    rostered_by_region: tuple[tuple[str, int], ...]


def staffing_gap(rows: Sequence[RequirementRow], roster: Mapping[tuple[str, int], int]) -> list[GapRow]:
    """Compare summed required heads with staff on shift, for all 168 hours of the week."""
    required = [0] * HOURS_PER_WEEK
    for row in rows:
        required[row.hour_of_week] += row.heads
    by_hour: list[dict[str, int]] = [{} for _ in range(HOURS_PER_WEEK)]
    for (region, how), heads in roster.items():
        if not 0 <= how < HOURS_PER_WEEK:
            raise ValueError(f"roster hour of week must be in 0..167, got {how!r}")
        by_hour[how][region] = by_hour[how].get(region, 0) + heads
    return [
        GapRow(
            hour_of_week=how,
            required_heads=required[how],
            rostered=sum(by_hour[how].values()),
            gap=sum(by_hour[how].values()) - required[how],
            rostered_by_region=tuple(sorted(by_hour[how].items())),
        )
        for how in range(HOURS_PER_WEEK)
    ]


def _csv(header: Sequence[str], body: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue()


def requirements_csv(rows: Iterable[RequirementRow]) -> str:
    header = (
        "queue",
        "hour_of_week",
        "arrivals",
        "aht_seconds",
        "traffic_erlangs",
        "agents",
        "heads",
        "service_level",
    )
    return _csv(
        header,
        (
            (
                r.queue,
                r.hour_of_week,
                f"{r.arrivals:.3f}",
                f"{r.aht_seconds:g}",
                f"{r.traffic_erlangs:.3f}",
                r.agents,
                r.heads,
                f"{r.service_level:.4f}",
            )
            for r in rows
        ),
    )


def gap_csv(rows: Iterable[GapRow]) -> str:
    """One line per hour; regions as ``region=heads`` pairs joined by ``;``."""
    header = ("hour_of_week", "required_heads", "rostered", "gap", "rostered_by_region")
    return _csv(
        header,
        (
            (
                r.hour_of_week,
                r.required_heads,
                r.rostered,
                r.gap,
                ";".join(f"{region}={heads}" for region, heads in r.rostered_by_region),
            )
            for r in rows
        ),
    )
