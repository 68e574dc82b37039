"""The what-if simulator: routing comparison on the reference day and on recorded days."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modops.ops.simulation import (
    FIFO,
    MODOPS,
    Arrival,
    Comparison,
    Day,
    RosterChangeError,
    StaffGroup,
    priority,
    reference_day,
    render_comparison,
    run_comparison,
)
from modops.ops.simulation.engine import simulate_day
from modops.ops.simulation.metrics import percentile, summarise
from modops.ops.simulation.reference import REFERENCE_SEED


@cache
def _reference() -> Comparison:
    return run_comparison(reference_day(REFERENCE_SEED), [])


def _item(item_id: str, at: float, **overrides: object) -> Arrival:
    fields: dict[str, object] = {
        "item_id": item_id,
        "at_seconds": at,
        "policy": "harassment",
        "severity": 2,
        "live": False,
        "reach": 10,
        "confidence": 0.8,
        "velocity": 0.1,
        "sla_seconds": 3600.0,
        "handle_seconds": 600.0,
        "language": "en",
        "sensitivity_tier": 0,
    }
    fields.update(overrides)
    return Arrival(**fields)  # type: ignore[arg-type]


def test_reference_day_is_deterministic_and_realistic() -> None:
    day = reference_day(REFERENCE_SEED)
    assert day == reference_day(REFERENCE_SEED)
    assert day != reference_day(REFERENCE_SEED + 1)
    items = day.arrivals
    assert 3000 < len(items) < 5000
    live = [a for a in items if a.live]
    assert 0.12 < len(live) / len(items) < 0.18
    assert {a.sla_seconds for a in live} <= {300.0, 600.0, 900.0}
    assert all(3600.0 <= a.sla_seconds <= 86_400.0 for a in items if not a.live)
    assert {a.severity for a in items} == {1, 2, 3, 4}
    assert {a.language for a in items} == {"en", "es", "de", "pt", "ja"}
    assert {g.site for g in day.staff} == {"seattle", "dublin", "manila"}
    by_hour = [0] * 24
    for a in items:
        by_hour[int(a.at_seconds // 3600)] += 1
    assert max(by_hour) > 3 * min(by_hour)  # a daily curve, not a flat rate


def test_modops_routing_beats_fifo_on_sla_attainment_with_the_same_staff() -> None:
    comparison = _reference()
    fifo, modops = comparison.fifo, comparison.modops
    assert fifo.sla_attainment is not None and modops.sla_attainment is not None
    assert modops.sla_attainment > fifo.sla_attainment
    assert modops.items == fifo.items
    # Live items are where priority routing matters most.
    for segment in ("s2-live", "s4-live"):
        fifo_live = fifo.segments[segment].sla_attainment
        modops_live = modops.segments[segment].sla_attainment
        assert fifo_live is not None and modops_live is not None
        assert modops_live > fifo_live


def test_exposure_cap_holds_for_modops_and_not_for_fifo() -> None:
    comparison = _reference()
    assert comparison.modops.max_exposure_minutes <= 60.0 + 1e-9
    assert comparison.fifo.max_exposure_minutes > 60.0


def test_result_dict_has_the_agreed_shape() -> None:
    result = _reference().to_dict()
    assert set(result) == {"fifo", "modops"}
    for side in result.values():
        for key in (
            "sla_attainment",
            "tta_p50_seconds",
            "tta_p90_seconds",
            "max_exposure_minutes",
            "backlog_end",
        ):
            assert key in side
        attainment = side["sla_attainment"]
        assert isinstance(attainment, float) and 0.0 <= attainment <= 1.0
        assert isinstance(side["backlog_end"], int)


def test_table_shows_both_policies_side_by_side() -> None:
    table = render_comparison(_reference())
    header = table.splitlines()[1]
    assert "fifo" in header and "modops" in header
    assert "SLA attainment" in table and "backlog at end" in table and "s4-live" in table


def test_adding_staff_at_the_peak_does_not_lower_attainment() -> None:
    base = _reference()
    more = run_comparison(reference_day(REFERENCE_SEED), ["seattle:3@16-24"])
    assert more.staff_heads == base.staff_heads + 3
    assert more.roster_changes == ("seattle:3@16-24",)
    assert more.modops.sla_attainment is not None and base.modops.sla_attainment is not None
    assert more.modops.sla_attainment >= base.modops.sla_attainment
    assert more.fifo.backlog_end <= base.fifo.backlog_end + 1


def test_bad_roster_change_fails_before_simulating() -> None:
    with pytest.raises(RosterChangeError, match="unknown site"):
        run_comparison(reference_day(REFERENCE_SEED), ["paris:1@08-16"])


def test_recorded_day_as_a_list_of_arrivals_is_replayed() -> None:
    arrivals = [
        _item("a", 60.0),
        _item("b", 120.0, live=True, severity=4, sla_seconds=300.0, handle_seconds=60.0),
    ]
    comparison = run_comparison(arrivals, [])
    assert comparison.day == "recorded"
    assert comparison.fifo.items == comparison.modops.items == 2
    assert comparison.modops.actioned == 2


def test_priority_orders_live_severe_far_reaching_items_first() -> None:
    calm = _item("calm", 0.0)
    assert priority(_item("live", 0.0, live=True)) > priority(calm)
    assert priority(_item("severe", 0.0, severity=4)) > priority(calm)
    assert priority(_item("viral", 0.0, reach=100_000)) > priority(calm)
    assert priority(_item("storm", 0.0, velocity=20.0)) > priority(calm)
    assert priority(_item("unsure", 0.0, confidence=0.2)) < priority(calm)


def _one_moderator(languages: set[str], clearance: int = 3) -> tuple[StaffGroup, ...]:
    # Dublin 00-08 local is 00:00-08:00 UTC.
    return (StaffGroup("dublin", 1, 0, 8, frozenset(languages), clearance),)


def test_single_moderator_takes_the_live_item_first_under_modops_only() -> None:
    arrivals = [
        _item("old", 0.0, handle_seconds=600.0),
        _item("queued", 1.0, handle_seconds=600.0),
        _item("live", 2.0, live=True, severity=3, sla_seconds=600.0, handle_seconds=120.0),
    ]
    day = Day.of(arrivals, _one_moderator({"en"}))
    order = {policy.name: [h.item.item_id for h in simulate_day(day, policy).handled] for policy in (FIFO, MODOPS)}
    assert order["fifo"] == ["old", "queued", "live"]
    assert order["modops"] == ["old", "live", "queued"]


def test_moderators_never_take_items_they_are_not_eligible_for() -> None:
    arrivals = [
        _item("ja", 0.0, language="ja"),
        _item("tier3", 0.0, sensitivity_tier=3),
        _item("ok", 0.0),
    ]
    day = Day.of(arrivals, _one_moderator({"en"}, clearance=1))
    for policy in (FIFO, MODOPS):
        result = summarise(simulate_day(day, policy))
        assert result.actioned == 1
        assert result.backlog_end == 2
        assert result.sla_missed == 2  # one-hour deadlines pass within the day


def test_exposure_cap_stops_sensitive_work_but_not_other_work() -> None:
    sensitive = [_item(f"g{i}", float(i), sensitivity_tier=2, handle_seconds=1200.0) for i in range(6)]
    day = Day.of([*sensitive, _item("plain", 10.0)], _one_moderator({"en"}))
    capped = summarise(simulate_day(day, MODOPS, exposure_cap_minutes=60.0))
    # 60 minutes per 8 hours allows three 20-minute sensitive items; then only plain work.
    assert capped.max_exposure_minutes == pytest.approx(60.0)
    assert capped.actioned == 4
    uncapped = summarise(simulate_day(day, FIFO, exposure_cap_minutes=60.0))
    assert uncapped.max_exposure_minutes == pytest.approx(120.0)
    assert uncapped.actioned == 7


def test_sla_pending_items_are_left_out_of_attainment() -> None:
    late = _item("late", 86_000.0, sla_seconds=86_400.0)
    result = summarise(simulate_day(Day.of([late], ()), MODOPS))
    assert (result.sla_pending, result.sla_attainment, result.backlog_end) == (
        1,
        None,
        1,
    )


def test_invalid_arrival_is_refused_with_every_problem_listed() -> None:
    with pytest.raises(ValueError, match=r"severity must be 1-4.*confidence"):
        _item("bad", 0.0, severity=7, confidence=0.0)
    with pytest.raises(ValueError, match="within the day"):
        _item("tomorrow", 90_000.0)
    with pytest.raises(ValueError, match="unique"):
        Day.of([_item("x", 0.0), _item("x", 1.0)], ())


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.9) == 4.0


@settings(max_examples=25, deadline=None)
@given(
    handles=st.lists(st.floats(min_value=30.0, max_value=900.0), min_size=1, max_size=30),
    staff=st.integers(min_value=1, max_value=4),
)
def test_every_arrival_is_either_actioned_or_in_the_backlog(handles: list[float], staff: int) -> None:
    arrivals = [_item(f"i{n}", n * 60.0, handle_seconds=h) for n, h in enumerate(handles)]
    day = Day.of(arrivals, (StaffGroup("dublin", staff, 0, 8, frozenset({"en"}), 3),))
    for policy in (FIFO, MODOPS):
        result = summarise(simulate_day(day, policy))
        assert result.actioned + result.backlog_end == result.items == len(handles)
        assert result.sla_met + result.sla_missed + result.sla_pending == result.items
