"""Erlang C staffing maths for one interval of an M/M/N queue.

Traffic intensity ``A`` (in Erlangs) is arrivals per interval times the average handle time,
divided by the interval length. The probability that an arrival has to wait is Erlang C, computed
from Erlang B with the iterative recursion ``B(k) = A*B(k-1) / (k + A*B(k-1))`` so that large
traffic (hundreds of agents) neither overflows factorials nor loses precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "IntervalStaffing",
    "average_speed_of_answer",
    "erlang_b",
    "erlang_c",
    "occupancy",
    "required_agents",
    "scheduled_heads",
    "service_level",
    "staff_interval",
    "traffic_intensity",
]


def _check_traffic(traffic: float) -> None:
    if not math.isfinite(traffic) or traffic < 0:
        raise ValueError(f"traffic must be a finite number >= 0 Erlangs, got {traffic!r}")


def _check_agents(agents: int) -> None:
    if agents < 0:
        raise ValueError(f"agents must be >= 0, got {agents!r}")


def traffic_intensity(arrivals_per_interval: float, aht_seconds: float, interval_seconds: float = 3600.0) -> float:
    """Offered load in Erlangs: ``arrivals * AHT / interval``.

    With ``interval_seconds=3600`` the arrivals are an hourly rate λ.
    """
    if arrivals_per_interval < 0:
        raise ValueError(f"arrivals must be >= 0, got {arrivals_per_interval!r}")
    if aht_seconds <= 0:
        raise ValueError(f"aht_seconds must be > 0, got {aht_seconds!r}")
    if interval_seconds <= 0:
        raise ValueError(f"interval_seconds must be > 0, got {interval_seconds!r}")
    return arrivals_per_interval * aht_seconds / interval_seconds


def erlang_b(traffic: float, agents: int) -> float:
    """Blocking probability of a loss system with ``agents`` servers and ``traffic`` Erlangs."""
    _check_traffic(traffic)
    _check_agents(agents)
    blocking = 1.0
    for k in range(1, agents + 1):
        offered = traffic * blocking
        blocking = offered / (k + offered)
    return blocking


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that an arrival waits (Erlang C). 1.0 when agents cannot carry the load."""
    _check_traffic(traffic)
    _check_agents(agents)
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = erlang_b(traffic, agents)
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def service_level(traffic: float, agents: int, aht_seconds: float, target_seconds: float) -> float:
    """Share of arrivals answered within ``target_seconds``: ``1 - C * exp(-(N-A) t / AHT)``."""
    if aht_seconds <= 0:
        raise ValueError(f"aht_seconds must be > 0, got {aht_seconds!r}")
    if target_seconds < 0:
        raise ValueError(f"target_seconds must be >= 0, got {target_seconds!r}")
    wait_probability = erlang_c(traffic, agents)
    if wait_probability >= 1.0:
        return 0.0
    level = 1.0 - wait_probability * math.exp(-(agents - traffic) * target_seconds / aht_seconds)
    return min(1.0, max(0.0, level))


def average_speed_of_answer(traffic: float, agents: int, aht_seconds: float) -> float:
    """Mean wait in seconds (ASA): ``C * AHT / (N - A)``; infinite when overloaded."""
    wait_probability = erlang_c(traffic, agents)
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return wait_probability * aht_seconds / (agents - traffic)


def occupancy(traffic: float, agents: int) -> float:
    """Share of agents' time spent handling work, ``A / N`` capped at 1."""
    _check_traffic(traffic)
    _check_agents(agents)
    if agents == 0:
        return 1.0 if traffic > 0 else 0.0
    return min(1.0, traffic / agents)


def required_agents(
    arrivals_per_interval: float,
    aht_seconds: float,
    interval_seconds: float,
    service_level: float = 0.9,
    target_seconds: float = 300.0,
    max_occupancy: float | None = None,
) -> int:
    """Fewest agents meeting "``service_level`` answered within ``target_seconds``".

    When ``max_occupancy`` is given the result also keeps ``A / N`` at or below it, which
    matters at high volume where Erlang C alone would run agents near 100% busy.
    """
    if not 0.0 < service_level < 1.0:
        raise ValueError(f"service_level must be in (0, 1), got {service_level!r}")
    if max_occupancy is not None and not 0.0 < max_occupancy <= 1.0:
        raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy!r}")
    traffic = traffic_intensity(arrivals_per_interval, aht_seconds, interval_seconds)
    if traffic == 0:
        return 0
    agents = math.floor(traffic) + 1
    if max_occupancy is not None:
        agents = max(agents, math.ceil(traffic / max_occupancy - 1e-9))
    # Service level rises with every added agent; the answer lies within a few sqrt(A) of A.
    while _service_level_unchecked(traffic, agents, aht_seconds, target_seconds) < service_level:
        agents += 1
    return agents


def _service_level_unchecked(traffic: float, agents: int, aht_seconds: float, target_seconds: float) -> float:
    return service_level(traffic, agents, aht_seconds, target_seconds)


def scheduled_heads(agents: int, shrinkage: float) -> int:
    """People to schedule so that ``agents`` are available: ``ceil(agents / (1 - shrinkage))``."""
    _check_agents(agents)
    if not 0.0 <= shrinkage < 1.0:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
    # Guard against float noise turning an exact quotient such as 14 / 0.7 into 20.000000000000004.
    return math.ceil(round(agents / (1.0 - shrinkage), 9))


@dataclass(frozen=True, slots=True)
class IntervalStaffing:
    """Erlang C answer for one interval, with the figures a planner reads."""

    arrivals: float
    traffic_erlangs: float
    agents: int
    heads: int
    service_level: float
    wait_probability: float
    asa_seconds: float
    occupancy: float


def staff_interval(
    arrivals_per_interval: float,
    aht_seconds: float,
    interval_seconds: float,
    *,
    service_level_target: float = 0.9,
    target_seconds: float = 300.0,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
) -> IntervalStaffing:
    """Agents, scheduled heads and the resulting service figures for one interval."""
    agents = required_agents(
        arrivals_per_interval,
        aht_seconds,
        interval_seconds,
        service_level=service_level_target,
        target_seconds=target_seconds,
        max_occupancy=max_occupancy,
    )
    traffic = traffic_intensity(arrivals_per_interval, aht_seconds, interval_seconds)
    return IntervalStaffing(
        arrivals=arrivals_per_interval,
        traffic_erlangs=traffic,
        agents=agents,
        heads=scheduled_heads(agents, shrinkage),
        service_level=service_level(traffic, agents, aht_seconds, target_seconds) if agents else 1.0,
        wait_probability=erlang_c(traffic, agents) if agents else 0.0,
        asa_seconds=average_speed_of_answer(traffic, agents, aht_seconds) if agents else 0.0,
        occupancy=occupancy(traffic, agents),
    )
