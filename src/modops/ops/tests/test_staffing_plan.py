"""Required heads per hour from a forecast, and the gap against a roster, as rows and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from modops.ops.staffing.erlang import required_agents, scheduled_heads
from modops.ops.staffing.forecast import forecast_by_hour_of_week
from modops.ops.staffing.plan import (
    Shift,
    StaffingTarget,
    gap_csv,
    requirements,
    requirements_csv,
    roster_from_shifts,
    staffing_gap,
)

MONDAY = datetime(2025, 3, 3, tzinfo=UTC)


def test_requirements_apply_erlang_c_and_shrinkage_per_queue() -> None:
    forecast = forecast_by_hour_of_week(
        {("hate", MONDAY + timedelta(hours=9)): 200},
        as_of=MONDAY + timedelta(weeks=1),
        weeks=1,
    )
    target = StaffingTarget(service_level=0.8, target_seconds=60, shrinkage=0.35)
    rows = requirements(forecast, {"hate": 180.0}, target)
    nine = next(r for r in rows if r.hour_of_week == 9)
    agents = required_agents(200, 180, 3600, service_level=0.8, target_seconds=60)
    assert nine.agents == agents
    assert nine.heads == scheduled_heads(agents, 0.35)
    assert nine.traffic_erlangs == pytest.approx(10.0)
    assert next(r for r in rows if r.hour_of_week == 10).heads == 0


def test_missing_handle_time_for_a_queue_is_an_error() -> None:
    forecast = forecast_by_hour_of_week({("hate", MONDAY): 1}, as_of=MONDAY + timedelta(weeks=1), weeks=1)
    with pytest.raises(KeyError, match="hate"):
        requirements(forecast, {"spam": 60.0})


def test_roster_from_shifts_converts_local_hours_to_utc_hour_of_week() -> None:
    manila = Shift("manila", 8, 8, 16, heads=3, days=frozenset({0}))
    roster = roster_from_shifts([manila])
    # Monday 08:00-16:00 in UTC+8 is Monday 00:00-08:00 UTC.
    assert roster == {("manila", h): 3 for h in range(8)}
    seattle_night = Shift("seattle", -8, 22, 6, heads=1, days=frozenset({6}))
    hours = sorted(h for _, h in roster_from_shifts([seattle_night]))
    # Sunday 22:00 local in UTC-8 is Monday 06:00 UTC; eight hours to 14:00.
    assert hours == list(range(6, 14))


def test_invalid_shift_is_refused() -> None:
    with pytest.raises(ValueError, match="shift hours"):
        Shift("dublin", 0, 25, 3, heads=1)
    with pytest.raises(ValueError, match="heads"):
        Shift("dublin", 0, 9, 17, heads=-1)


def test_gap_compares_summed_heads_with_rostered_staff() -> None:
    history = {
        ("hate", MONDAY + timedelta(hours=9)): 200,
        ("spam", MONDAY + timedelta(hours=9)): 40,
    }
    forecast = forecast_by_hour_of_week(history, as_of=MONDAY + timedelta(weeks=1), weeks=1)
    rows = requirements(forecast, {"hate": 180.0, "spam": 60.0}, StaffingTarget(0.8, 60, 0.3))
    needed = sum(r.heads for r in rows if r.hour_of_week == 9)
    roster = roster_from_shifts(
        [
            Shift("dublin", 0, 8, 16, heads=5, days=frozenset({0})),
            Shift("manila", 8, 16, 24, heads=2, days=frozenset({0})),
        ]
    )
    gaps = staffing_gap(rows, roster)
    assert len(gaps) == 168
    nine = gaps[9]
    assert nine.rostered == 7
    assert nine.required_heads == needed
    assert nine.gap == 7 - needed
    assert nine.rostered_by_region == (("dublin", 5), ("manila", 2))
    assert gaps[20].gap == 0


def test_csv_exports_parse_back() -> None:
    forecast = forecast_by_hour_of_week(
        {("hate", MONDAY + timedelta(hours=9)): 200},
        as_of=MONDAY + timedelta(weeks=1),
        weeks=1,
    )
    rows = requirements(forecast, 180.0)
    parsed = list(csv.DictReader(io.StringIO(requirements_csv(rows))))
    assert len(parsed) == 168
    assert parsed[9]["queue"] == "hate" and int(parsed[9]["heads"]) == rows[9].heads
    gaps = list(csv.DictReader(io.StringIO(gap_csv(staffing_gap(rows, {("dublin", 9): 4})))))
    assert gaps[9]["rostered_by_region"] == "dublin=4"
    assert int(gaps[9]["gap"]) == 4 - rows[9].heads
