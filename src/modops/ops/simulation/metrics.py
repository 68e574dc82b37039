"""Operations figures from a simulated day: SLA attainment, time to action, exposure, backlog.

SLA attainment counts the items whose outcome is known by the end of the day: met (actioned within
their SLA) and missed (actioned late, or still open after their deadline passed). Items still open
whose deadline lies after the end of the day are ``sla_pending`` and left out of the share.
Time to action runs from arrival to the end of handling; percentiles use the nearest-rank method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from modops.ops.simulation.engine import RunLog
from modops.ops.simulation.model import Arrival

__all__ = ["PolicyResult", "SegmentResult", "percentile", "segment_of", "summarise"]


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of ``values`` (``fraction`` in (0, 1]); None when empty."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def segment_of(item: Arrival) -> str:
    """Segment label by severity and live-ness, e.g. ``s4-live`` or ``s2-recorded``."""
    return f"s{item.severity}-{'live' if item.live else 'recorded'}"


@dataclass(frozen=True, slots=True)
class SegmentResult:
    items: int
    actioned: int
    sla_attainment: float | None
    tta_p50_seconds: float | None
    tta_p90_seconds: float | None


@dataclass(frozen=True, slots=True)
class PolicyResult:
    policy: str
    items: int
    actioned: int
    sla_met: int
    sla_missed: int
    sla_pending: int
    sla_attainment: float | None
    tta_p50_seconds: float | None
    tta_p90_seconds: float | None
    exposure_minutes: dict[str, float]
    max_exposure_minutes: float
    mean_exposure_minutes: float
    backlog_end: int
    backlog_oldest_seconds: float | None
    segments: dict[str, SegmentResult]

    def to_dict(self) -> dict[str, object]:
        return {
            "sla_attainment": self.sla_attainment,
            "tta_p50_seconds": self.tta_p50_seconds,
            "tta_p90_seconds": self.tta_p90_seconds,
            "max_exposure_minutes": self.max_exposure_minutes,
            "backlog_end": self.backlog_end,
            "items": self.items,
            "actioned": self.actioned,
            "sla_met": self.sla_met,
            "sla_missed": self.sla_missed,
            "sla_pending": self.sla_pending,
            "mean_exposure_minutes": self.mean_exposure_minutes,
            "backlog_oldest_seconds": self.backlog_oldest_seconds,
            "exposure_minutes": dict(self.exposure_minutes),
            "segments": {
                name: {
                    "items": s.items,
                    "actioned": s.actioned,
                    "sla_attainment": s.sla_attainment,
                    "tta_p50_seconds": s.tta_p50_seconds,
                    "tta_p90_seconds": s.tta_p90_seconds,
                }
                for name, s in self.segments.items()
            },
        }


@dataclass(slots=True)
class _Tally:
    items: int = 0
    met: int = 0
    missed: int = 0

    def attainment(self) -> float | None:
        judged = self.met + self.missed
        return self.met / judged if judged else None


def summarise(log: RunLog) -> PolicyResult:
    finished = {h.item.item_id: h.finished for h in log.handled}
    overall = _Tally()
    tallies: dict[str, _Tally] = {}
    times: dict[str, list[float]] = {}
    all_times: list[float] = []
    pending = 0
    open_ages: list[float] = []
    for item in log.arrivals:
        segment = segment_of(item)
        tally = tallies.setdefault(segment, _Tally())
        seg_times = times.setdefault(segment, [])
        tally.items += 1
        overall.items += 1
        deadline = item.at_seconds + item.sla_seconds
        done = finished.get(item.item_id)
        if done is None:
            open_ages.append(log.end_seconds - item.at_seconds)
            if deadline > log.end_seconds:
                pending += 1
                continue
            met = False
        else:
            tta = done - item.at_seconds
            seg_times.append(tta)
            all_times.append(tta)
            met = done <= deadline
        for t in (tally, overall):
            if met:
                t.met += 1
            else:
                t.missed += 1
    exposure = {mid: seconds / 60.0 for mid, seconds in log.exposure_seconds.items()}
    segments = {
        name: SegmentResult(
            items=tallies[name].items,
            actioned=len(times[name]),
            sla_attainment=tallies[name].attainment(),
            tta_p50_seconds=percentile(times[name], 0.5),
            tta_p90_seconds=percentile(times[name], 0.9),
        )
        for name in sorted(tallies)
    }
    return PolicyResult(
        policy=log.policy,
        items=overall.items,
        actioned=len(all_times),
        sla_met=overall.met,
        sla_missed=overall.missed,
        sla_pending=pending,
        sla_attainment=overall.attainment(),
        tta_p50_seconds=percentile(all_times, 0.5),
        tta_p90_seconds=percentile(all_times, 0.9),
        exposure_minutes=exposure,
        max_exposure_minutes=max(exposure.values(), default=0.0),
        mean_exposure_minutes=sum(exposure.values()) / len(exposure) if exposure else 0.0,
        backlog_end=len(open_ages),
        backlog_oldest_seconds=max(open_ages, default=None),
        segments=segments,
    )
