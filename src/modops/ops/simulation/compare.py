"""Side-by-side what-if: the same day and staff through FIFO and modops priority routing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from modops.ops.simulation.engine import simulate_day
from modops.ops.simulation.metrics import PolicyResult, summarise
from modops.ops.simulation.model import Arrival, Day
from modops.ops.simulation.reference import REFERENCE_STAFF
from modops.ops.simulation.roster import apply_roster_changes, parse_roster_change
from modops.ops.simulation.routing import FIFO, MODOPS

__all__ = ["Comparison", "render_comparison", "run_comparison"]


@dataclass(frozen=True, slots=True)
class Comparison:
    day: str
    roster_changes: tuple[str, ...]
    exposure_cap_minutes: float
    staff_heads: int
    fifo: PolicyResult
    modops: PolicyResult

    def to_dict(self) -> dict[str, dict[str, object]]:
        return {"fifo": self.fifo.to_dict(), "modops": self.modops.to_dict()}


def run_comparison(
    day: Day | Sequence[Arrival],
    roster_changes: Sequence[str] = (),
    exposure_cap_minutes: float = 60.0,
) -> Comparison:
    """Simulate ``day`` under FIFO and modops routing with the same staff.

    A plain list of arrivals (a recorded day) is replayed with the reference staff.
    ``roster_changes`` are strings like ``manila:2@08-16``; a bad one raises ``RosterChangeError``
    before anything runs.
    """
    if not isinstance(day, Day):
        day = Day.of(day, REFERENCE_STAFF, label="recorded")
    parsed = [parse_roster_change(change) for change in roster_changes]
    staffed = Day(
        arrivals=day.arrivals,
        staff=apply_roster_changes(day.staff, parsed),
        label=day.label,
    )
    return Comparison(
        day=day.label,
        roster_changes=tuple(str(change) for change in parsed),
        exposure_cap_minutes=exposure_cap_minutes,
        staff_heads=sum(group.count for group in staffed.staff),
        fifo=summarise(simulate_day(staffed, FIFO, exposure_cap_minutes)),
        modops=summarise(simulate_day(staffed, MODOPS, exposure_cap_minutes)),
    )


def _fraction(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def render_comparison(comparison: Comparison) -> str:
    """Plain-text table, one row per figure, FIFO and modops side by side."""
    f, m = comparison.fifo, comparison.modops
    rows: list[tuple[str, str, str]] = [
        ("items", str(f.items), str(m.items)),
        ("actioned", str(f.actioned), str(m.actioned)),
        ("SLA attainment", _fraction(f.sla_attainment), _fraction(m.sla_attainment)),
        ("SLA met / missed / pending", _counts(f), _counts(m)),
        (
            "time to action p50",
            _duration(f.tta_p50_seconds),
            _duration(m.tta_p50_seconds),
        ),
        (
            "time to action p90",
            _duration(f.tta_p90_seconds),
            _duration(m.tta_p90_seconds),
        ),
        (
            "max exposure (min)",
            f"{f.max_exposure_minutes:.1f}",
            f"{m.max_exposure_minutes:.1f}",
        ),
        (
            "mean exposure (min)",
            f"{f.mean_exposure_minutes:.1f}",
            f"{m.mean_exposure_minutes:.1f}",
        ),
        ("backlog at end", str(f.backlog_end), str(m.backlog_end)),
    ]
    for name in sorted(set(f.segments) | set(m.segments)):
        fs, ms = f.segments.get(name), m.segments.get(name)
        rows.append(
            (
                f"{name}: SLA / p50 / p90",
                _segment(fs.sla_attainment, fs.tta_p50_seconds, fs.tta_p90_seconds) if fs else "-",
                _segment(ms.sla_attainment, ms.tta_p50_seconds, ms.tta_p90_seconds) if ms else "-",
            )
        )
    label_width = max(len(r[0]) for r in rows)
    width = max(len("fifo"), *(max(len(r[1]), len(r[2])) for r in rows))
    changes = ", ".join(comparison.roster_changes) or "none"
    lines = [
        (
            f"day: {comparison.day}; staff: {comparison.staff_heads}; roster changes: {changes}; "
            f"exposure cap: {comparison.exposure_cap_minutes:g} min per 8 h"
        ),
        f"{'':<{label_width}}  {'fifo':>{width}}  {'modops':>{width}}",
    ]
    lines += [f"{label:<{label_width}}  {a:>{width}}  {b:>{width}}" for label, a, b in rows]
    return "\n".join(lines)


def _counts(result: PolicyResult) -> str:
    return f"{result.sla_met} / {result.sla_missed} / {result.sla_pending}"


def _segment(attainment: float | None, p50: float | None, p90: float | None) -> str:
    return f"{_fraction(attainment)} / {_duration(p50)} / {_duration(p90)}"
