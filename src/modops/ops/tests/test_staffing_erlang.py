"""Erlang C checked against published worked examples and tables, plus its monotone properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modops.ops.staffing.erlang import (
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    occupancy,
    required_agents,
    scheduled_heads,
    service_level,
    staff_interval,
    traffic_intensity,
)


def test_call_centre_helper_worked_example_matches_published_figures() -> None:
    # Call Centre Helper, "Erlang C formula - made simple": 100 calls per 30 minutes, AHT 180 s,
    # target 80% answered in 20 s. Published: A = 10 Erlangs; 11 agents give Pw 68.21% and SL
    # 39.0%; 14 agents give Pw 17.41%, SL 88.83%, occupancy 71.4%; 14 agents are required and 30%
    # shrinkage makes it 20 heads.
    traffic = traffic_intensity(100, 180, 1800)
    assert traffic == pytest.approx(10.0)
    assert erlang_c(traffic, 11) == pytest.approx(0.6821, abs=5e-5)
    assert service_level(traffic, 11, 180, 20) == pytest.approx(0.390, abs=5e-4)
    assert erlang_c(traffic, 14) == pytest.approx(0.1741, abs=5e-5)
    assert service_level(traffic, 14, 180, 20) == pytest.approx(0.8883, abs=1e-4)
    assert occupancy(traffic, 14) == pytest.approx(0.714, abs=5e-4)
    assert required_agents(100, 180, 1800, service_level=0.8, target_seconds=20) == 14
    assert scheduled_heads(14, 0.3) == 20


def test_westbay_worked_example_matches_published_figures() -> None:
    # Westbay Engineers, "The Erlang-C formula" worked example: 360 calls per half hour, 4-minute
    # calls, 55 agents, 15 s target. Published: A = 48 Erlangs, occupancy 0.873, probability of
    # waiting 0.2387, ASA 8.18 s, service level 84.6%.
    traffic = traffic_intensity(360, 240, 1800)
    assert traffic == pytest.approx(48.0)
    assert occupancy(traffic, 55) == pytest.approx(0.873, abs=5e-4)
    assert erlang_c(traffic, 55) == pytest.approx(0.2387, abs=5e-5)
    assert average_speed_of_answer(traffic, 55, 240) == pytest.approx(8.18, abs=5e-3)
    assert service_level(traffic, 55, 240, 15) == pytest.approx(0.846, abs=5e-4)


@pytest.mark.parametrize(
    ("traffic", "agents", "blocking"),
    [
        # Erlang B table rows: traffic carried at 1% grade of service for 10 and 20 circuits,
        # and the 10-circuit blocking at 10 Erlangs (21.46%).
        (4.46, 10, 0.01),
        (12.03, 20, 0.01),
        (10.0, 10, 0.2146),
    ],
)
def test_erlang_b_matches_published_table_rows(traffic: float, agents: int, blocking: float) -> None:
    assert erlang_b(traffic, agents) == pytest.approx(blocking, abs=5e-5)


def test_erlang_c_small_case_equals_closed_form() -> None:
    # A = 2, N = 3: C = (8/6 * 3) / (1 + 2 + 2 + 8/6 * 3) = 4/9.
    assert erlang_c(2.0, 3) == pytest.approx(4 / 9, rel=1e-12)


def test_large_traffic_is_finite_and_sensible() -> None:
    # 100,000 arrivals an hour at 5 minutes each is 8,333 Erlangs: factorials would overflow.
    agents = required_agents(100_000, 300, 3600, service_level=0.9, target_seconds=20)
    traffic = traffic_intensity(100_000, 300, 3600)
    assert traffic < agents < traffic * 1.02
    level = service_level(traffic, agents, 300, 20)
    assert 0.9 <= level < 1.0
    assert math.isfinite(erlang_c(traffic, agents))


def test_overloaded_interval_always_waits() -> None:
    assert erlang_c(10.0, 10) == 1.0
    assert service_level(10.0, 8, 180, 20) == 0.0
    assert average_speed_of_answer(10.0, 9, 180) == math.inf


def test_max_occupancy_adds_agents_beyond_service_level() -> None:
    plain = required_agents(1000, 300, 3600, service_level=0.8, target_seconds=60)
    capped = required_agents(1000, 300, 3600, service_level=0.8, target_seconds=60, max_occupancy=0.75)
    assert capped == math.ceil(traffic_intensity(1000, 300, 3600) / 0.75)
    assert capped > plain


def test_no_arrivals_need_no_agents() -> None:
    assert required_agents(0, 300, 3600) == 0
    plan = staff_interval(0, 300, 3600, shrinkage=0.3)
    assert (plan.agents, plan.heads, plan.service_level) == (0, 0, 1.0)


def test_staff_interval_reports_consistent_figures() -> None:
    plan = staff_interval(100, 180, 1800, service_level_target=0.8, target_seconds=20, shrinkage=0.3)
    assert (plan.agents, plan.heads) == (14, 20)
    assert plan.service_level == pytest.approx(0.8883, abs=1e-4)
    assert plan.asa_seconds == pytest.approx(7.84, abs=5e-3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: traffic_intensity(-1, 10, 60), "arrivals"),
        (lambda: traffic_intensity(1, 0, 60), "aht_seconds"),
        (lambda: required_agents(1, 10, 60, service_level=1.0), "service_level"),
        (lambda: required_agents(1, 10, 60, max_occupancy=0), "max_occupancy"),
        (lambda: scheduled_heads(3, 1.0), "shrinkage"),
        (lambda: erlang_b(-1.0, 3), "traffic"),
    ],
)
def test_invalid_inputs_are_refused(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match=message):
        call()


traffic_values = st.floats(min_value=0.05, max_value=400.0, allow_nan=False)


@given(traffic=traffic_values, extra=st.integers(min_value=1, max_value=60))
def test_service_level_rises_with_agents(traffic: float, extra: int) -> None:
    agents = math.floor(traffic) + extra
    lower = service_level(traffic, agents, 240, 30)
    higher = service_level(traffic, agents + 1, 240, 30)
    assert higher >= lower
    assert erlang_c(traffic, agents + 1) <= erlang_c(traffic, agents)


@given(
    arrivals=st.floats(min_value=0.0, max_value=5000.0, allow_nan=False),
    more=st.floats(min_value=0.0, max_value=2000.0, allow_nan=False),
    target=st.sampled_from([10.0, 30.0, 300.0]),
    level=st.sampled_from([0.5, 0.8, 0.95]),
)
def test_required_agents_is_monotone_in_traffic(arrivals: float, more: float, target: float, level: float) -> None:
    fewer = required_agents(arrivals, 200, 3600, service_level=level, target_seconds=target)
    busier = required_agents(arrivals + more, 200, 3600, service_level=level, target_seconds=target)
    assert busier >= fewer


@given(
    arrivals=st.floats(min_value=0.1, max_value=3000.0, allow_nan=False),
    level=st.floats(min_value=0.05, max_value=0.99),
)
def test_required_agents_is_the_fewest_that_meet_the_target(arrivals: float, level: float) -> None:
    agents = required_agents(arrivals, 240, 3600, service_level=level, target_seconds=60)
    traffic = traffic_intensity(arrivals, 240, 3600)
    assert service_level(traffic, agents, 240, 60) >= level
    if agents - 1 > traffic:
        assert service_level(traffic, agents - 1, 240, 60) < level


@given(
    agents=st.integers(min_value=0, max_value=10_000),
    shrinkage=st.floats(min_value=0.0, max_value=0.9),
)
def test_scheduled_heads_cover_agents_after_shrinkage(agents: int, shrinkage: float) -> None:
    heads = scheduled_heads(agents, shrinkage)
    assert heads * (1 - shrinkage) >= agents - 1e-6
    assert heads >= agents
