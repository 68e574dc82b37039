"""Discrete-event replay of one day through a routing policy, on SimPy.

Each moderator is a process that works through their shift windows: when free, they take the
first waiting item in the policy's order that they are eligible for; when nothing fits they sleep
until the next arrival or the end of their window. An item started before the window ends is
finished. The run stops at the end of the day: what is still waiting or in hand is the backlog.
"""

from __future__ import annotations

import bisect
from collections.abc import Generator
from dataclasses import dataclass

import simpy

from modops.ops.simulation.model import DAY_SECONDS, Arrival, Day, StaffGroup
from modops.ops.simulation.routing import RoutingPolicy, SortKey

__all__ = ["Handled", "Moderator", "RunLog", "moderators_for", "simulate_day"]

SHIFT_HOURS_PER_CAP = 8.0


@dataclass(frozen=True, slots=True)
class Moderator:
    moderator_id: str
    site: str
    languages: frozenset[str]
    clearance: int
    windows: tuple[tuple[float, float], ...]
    exposure_cap_seconds: float

    def eligible(self, item: Arrival) -> bool:
        return item.language in self.languages and item.sensitivity_tier <= self.clearance


@dataclass(frozen=True, slots=True)
class Handled:
    item: Arrival
    moderator_id: str
    started: float
    finished: float


@dataclass(frozen=True, slots=True)
class RunLog:
    """What happened: items actioned within the day, and exposure seconds per moderator."""

    policy: str
    arrivals: tuple[Arrival, ...]
    handled: tuple[Handled, ...]
    exposure_seconds: dict[str, float]
    exposure_cap_seconds: dict[str, float]
    end_seconds: float


def moderators_for(staff: tuple[StaffGroup, ...], exposure_cap_minutes: float) -> list[Moderator]:
    """One moderator per head; the exposure cap scales with shift length (cap per 8 hours)."""
    if exposure_cap_minutes < 0:
        raise ValueError(f"exposure cap must be >= 0 minutes, got {exposure_cap_minutes}")
    moderators: list[Moderator] = []
    for index, group in enumerate(staff):
        cap = exposure_cap_minutes * 60.0 * group.length_hours / SHIFT_HOURS_PER_CAP
        for n in range(group.count):
            moderators.append(
                Moderator(
                    moderator_id=f"{group.site}-{group.start_hour:02d}{group.end_hour:02d}-g{index}-{n + 1}",
                    site=group.site,
                    languages=group.languages,
                    clearance=group.clearance,
                    windows=group.utc_windows(),
                    exposure_cap_seconds=cap,
                )
            )
    return moderators


class _Floor:
    """Shared state of the simulated floor: the waiting items and the wake-up signal."""

    def __init__(self, env: simpy.Environment, policy: RoutingPolicy) -> None:
        self.env = env
        self.policy = policy
        self.waiting: list[tuple[SortKey, Arrival]] = []
        self.signal: simpy.Event = env.event()
        self.handled: list[Handled] = []
        self.exposure: dict[str, float] = {}

    def add(self, item: Arrival) -> None:
        bisect.insort(self.waiting, (self.policy.order(item), item), key=lambda pair: pair[0])
        fired, self.signal = self.signal, self.env.event()
        fired.succeed()

    def take(self, moderator: Moderator) -> Arrival | None:
        exposure = self.exposure.get(moderator.moderator_id, 0.0)
        for index, (_, item) in enumerate(self.waiting):
            if not moderator.eligible(item):
                continue
            if (
                self.policy.exposure_cap
                and item.exposing
                and exposure + item.handle_seconds > moderator.exposure_cap_seconds
            ):
                continue
            del self.waiting[index]
            return item
        return None


def _arrivals(
    env: simpy.Environment, floor: _Floor, arrivals: tuple[Arrival, ...]
) -> Generator[simpy.Event, object, None]:
    for item in arrivals:
        if item.at_seconds > env.now:
            yield env.timeout(item.at_seconds - env.now)
        floor.add(item)


def _moderator(env: simpy.Environment, floor: _Floor, moderator: Moderator) -> Generator[simpy.Event, object, None]:
    for start, end in moderator.windows:
        if env.now < start:
            yield env.timeout(start - env.now)
        while env.now < end:
            item = floor.take(moderator)
            if item is None:
                yield env.any_of([floor.signal, env.timeout(end - env.now)])
                continue
            started = env.now
            yield env.timeout(item.handle_seconds)
            floor.handled.append(Handled(item, moderator.moderator_id, started, env.now))
            if item.exposing:
                floor.exposure[moderator.moderator_id] = (
                    floor.exposure.get(moderator.moderator_id, 0.0) + item.handle_seconds
                )


def simulate_day(day: Day, policy: RoutingPolicy, exposure_cap_minutes: float = 60.0) -> RunLog:
    """Replay ``day`` with ``policy`` and return what was handled by the end of the day."""
    env = simpy.Environment()
    floor = _Floor(env, policy)
    moderators = moderators_for(day.staff, exposure_cap_minutes)
    env.process(_arrivals(env, floor, day.arrivals))
    for moderator in moderators:
        env.process(_moderator(env, floor, moderator))
    env.run(until=DAY_SECONDS)
    return RunLog(
        policy=policy.name,
        arrivals=day.arrivals,
        handled=tuple(floor.handled),
        exposure_seconds={m.moderator_id: floor.exposure.get(m.moderator_id, 0.0) for m in moderators},
        exposure_cap_seconds={m.moderator_id: m.exposure_cap_seconds for m in moderators},
        end_seconds=DAY_SECONDS,
    )
