"""Priority: the product of severity, reach, live-ness, confidence and report velocity."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modops.ops.priority import (
    VELOCITY_TAU_SECONDS,
    PriorityInputs,
    add_arrival,
    decayed_count,
    priority,
    velocity_per_minute,
)

inputs = st.builds(
    PriorityInputs,
    severity=st.integers(1, 4),
    reach=st.integers(0, 100_000_000),
    live=st.booleans(),
    confidence=st.floats(0, 1),
    velocity=st.floats(0, 100_000),
)


@given(inputs)
def test_priority_is_positive_and_finite(i):
    value = priority(i)
    assert value > 0
    assert math.isfinite(value)


@given(inputs, st.integers(1, 4))
def test_monotone_in_severity(i, other):
    lo, hi = sorted((i.severity, other))
    assert priority(replace(i, severity=lo)) <= priority(replace(i, severity=hi))


@given(inputs, st.integers(0, 100_000_000))
def test_monotone_in_reach(i, other):
    lo, hi = sorted((i.reach, other))
    assert priority(replace(i, reach=lo)) <= priority(replace(i, reach=hi))


@given(inputs)
def test_live_ranks_above_not_live(i):
    assert priority(replace(i, live=True)) > priority(replace(i, live=False))


@given(inputs, st.floats(0, 1))
def test_monotone_in_confidence(i, other):
    lo, hi = sorted((i.confidence, other))
    assert priority(replace(i, confidence=lo)) <= priority(replace(i, confidence=hi))


@given(inputs, st.floats(0, 100_000))
def test_monotone_in_velocity(i, other):
    lo, hi = sorted((i.velocity, other))
    assert priority(replace(i, velocity=lo)) <= priority(replace(i, velocity=hi))


@given(inputs)
def test_live_severe_harm_outranks_non_live_of_same_severity_at_any_reach(i):
    # The logarithms keep reach from swamping live-ness: a live item with no viewers and the
    # weakest signals still beats a non-live one with a hundred million followers... of the same
    # severity, confidence and velocity.
    live = replace(i, live=True, reach=0)
    not_live = replace(i, live=False, reach=100_000_000)
    assert priority(live) * 3 > priority(not_live) / 3


def test_factors_match_the_documented_formula():
    i = PriorityInputs(severity=3, reach=999, live=True, confidence=0.5, velocity=3.0)
    assert priority(i) == round(9 * (1 + math.log10(1000)) * 3 * 1.0 * (1 + math.log2(4)), 4)


@pytest.mark.parametrize("severity", [0, 5, -1])
def test_severity_outside_1_to_4_is_refused(severity):
    with pytest.raises(ValueError, match="severity"):
        priority(PriorityInputs(severity=severity, reach=0, live=False, confidence=0, velocity=0))


@given(st.floats(-10, 10), st.floats(-100, 100))
def test_out_of_range_confidence_and_velocity_are_clamped(confidence, velocity):
    base = PriorityInputs(severity=2, reach=10, live=False, confidence=0, velocity=0)
    value = priority(replace(base, confidence=confidence, velocity=velocity))
    assert priority(replace(base, confidence=0)) <= value <= priority(replace(base, confidence=1, velocity=100))


@given(st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1e6))
def test_decay_is_monotone_and_composes(count, a, b):
    assert decayed_count(count, a) <= count
    assert decayed_count(decayed_count(count, a), b) == pytest.approx(decayed_count(count, a + b), rel=1e-9)


@given(st.floats(0, 1e6), st.floats(-1e6, 0))
def test_negative_elapsed_time_never_grows_the_count(count, elapsed):
    assert decayed_count(count, elapsed) == count


def test_a_steady_rate_converges_to_that_rate_per_minute():
    count = 0.0
    for _ in range(10_000):  # one report every 6 s = 10 per minute
        count = add_arrival(count, 6.0)
    assert velocity_per_minute(count) == pytest.approx(10, rel=0.06)


def test_velocity_fades_when_reports_stop():
    count = 0.0
    for _ in range(100):
        count = add_arrival(count, 1.0)
    assert velocity_per_minute(decayed_count(count, 10 * VELOCITY_TAU_SECONDS)) < 0.01
