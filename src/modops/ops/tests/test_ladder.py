"""Enforcement ladders: the step earned by strike count, and refusal of malformed ladders."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modops.ops.ladder import TIMED_ACTIONS, ActionType, Step, parse_ladder, suggest

UNTIMED = [t for t in ActionType if t not in TIMED_ACTIONS]
steps = st.one_of(
    st.builds(Step, st.sampled_from(sorted(TIMED_ACTIONS)), st.integers(1, 10**8)),
    st.builds(Step, st.sampled_from(UNTIMED)),
)
ladders = st.lists(steps, min_size=1, max_size=8)


@given(ladders, st.integers(-5, 50))
def test_suggestion_is_step_n_and_the_last_repeats(ladder, strikes):
    expected = ladder[min(max(strikes, 0), len(ladder) - 1)]
    assert suggest(ladder, strikes) == expected


def test_first_violation_gets_the_first_step_and_a_repeat_escalates():
    ladder = parse_ladder([{"type": "warn"}, {"type": "suspension", "duration_seconds": 86400}])
    assert suggest(ladder, 0) == Step(ActionType.WARN)
    assert suggest(ladder, 1) == Step(ActionType.SUSPENSION, 86400)
    assert suggest(ladder, 7) == Step(ActionType.SUSPENSION, 86400)


@given(ladders)
def test_a_valid_ladder_round_trips_through_its_stored_form(ladder):
    assert parse_ladder([s.as_dict() for s in ladder]) == ladder


BAD_LADDERS: list[Any] = [
    [],
    [{}],
    [{"type": "banish"}],
    [{"type": "suspension"}],
    [{"type": "timeout", "duration_seconds": 0}],
    [{"type": "timeout", "duration_seconds": -60}],
    [{"type": "timeout", "duration_seconds": "600"}],
    [{"type": "timeout", "duration_seconds": 1.5}],
    [{"type": "timeout", "duration_seconds": True}],
    [{"type": "warn", "duration_seconds": 60}],
    [{"type": "indefinite_suspension", "duration_seconds": 60}],
    ["warn"],
    [None],
    [["warn"]],
    [{"type": None}],
    "warn",
    None,
    {"type": "warn"},
]


@pytest.mark.parametrize("raw", BAD_LADDERS, ids=[repr(r) for r in BAD_LADDERS])
def test_parse_ladder_refuses_bad_ladders_with_value_error(raw):
    with pytest.raises(ValueError):
        parse_ladder(raw)


@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["type", "duration_seconds", "x"]),
            st.none() | st.integers() | st.text(max_size=25) | st.booleans(),
        )
    )
)
def test_parse_ladder_either_parses_or_raises_value_error(raw):
    try:
        parsed = parse_ladder(raw)
    except ValueError:
        return
    assert len(parsed) == len(raw)
    for step in parsed:
        assert (step.duration_seconds is not None) == (step.type in TIMED_ACTIONS)


def test_step_refuses_timed_action_without_duration():
    with pytest.raises(ValueError, match="duration"):
        Step(ActionType.SUSPENSION)
    with pytest.raises(ValueError, match="no duration"):
        Step(ActionType.WARN, 60)


def test_suggest_refuses_an_empty_ladder():
    with pytest.raises(ValueError):
        suggest([], 0)
