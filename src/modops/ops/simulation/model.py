"""Inputs of a simulated day: review item arrivals, sites and the staff on shift.

Times are seconds from 00:00 UTC of the simulated day. A recorded day from the database is
replayed by building the same ``Arrival`` records from its review items.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "DAY_SECONDS",
    "EXPOSURE_TIER",
    "SITES",
    "Arrival",
    "Day",
    "Site",
    "StaffGroup",
]

DAY_SECONDS = 86_400.0
EXPOSURE_TIER = 2
"""Items at this sensitivity tier or above count towards a moderator's exposure."""


@dataclass(frozen=True, slots=True)
class Arrival:
    """One review item entering the queues.

    ``reach`` is the audience (viewers or followers) at the time of the report, ``velocity`` the
    reports per minute on the subject, ``confidence`` the strength of the strongest signal (0-1].
    ``sensitivity_tier`` is the clearance a moderator needs (0-3).
    """

    item_id: str
    at_seconds: float
    policy: str
    severity: int
    live: bool
    reach: int
    confidence: float
    velocity: float
    sla_seconds: float
    handle_seconds: float
    language: str
    sensitivity_tier: int

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not (math.isfinite(self.at_seconds) and 0.0 <= self.at_seconds < DAY_SECONDS):
            problems.append(f"at_seconds must be within the day [0, 86400), got {self.at_seconds}")
        if self.severity not in (1, 2, 3, 4):
            problems.append(f"severity must be 1-4, got {self.severity}")
        if self.reach < 0:
            problems.append(f"reach must be >= 0, got {self.reach}")
        if not 0.0 < self.confidence <= 1.0:
            problems.append(f"confidence must be in (0, 1], got {self.confidence}")
        if self.velocity < 0:
            problems.append(f"velocity must be >= 0, got {self.velocity}")
        if self.sla_seconds <= 0:
            problems.append(f"sla_seconds must be > 0, got {self.sla_seconds}")
        if self.handle_seconds <= 0:
            problems.append(f"handle_seconds must be > 0, got {self.handle_seconds}")
        if self.sensitivity_tier not in (0, 1, 2, 3):
            problems.append(f"sensitivity_tier must be 0-3, got {self.sensitivity_tier}")
        if problems:
            raise ValueError(f"arrival {self.item_id!r}: " + "; ".join(problems))

    @property
    def exposing(self) -> bool:
        return self.sensitivity_tier >= EXPOSURE_TIER


@dataclass(frozen=True, slots=True)
class Site:
    """A moderation site; staff added there by a roster change get its languages and clearance."""

    name: str
    utc_offset_hours: int
    languages: frozenset[str]
    clearance: int


SITES: dict[str, Site] = {
    site.name: site
    for site in (
        Site("seattle", -8, frozenset({"en", "es"}), 3),
        Site("dublin", 0, frozenset({"en", "de", "pt"}), 3),
        Site("manila", 8, frozenset({"en", "ja"}), 3),
    )
}


@dataclass(frozen=True, slots=True)
class StaffGroup:
    """``count`` moderators at ``site`` on shift ``start_hour``-``end_hour`` local time, every day.

    An ``end_hour`` at or before ``start_hour`` runs past local midnight.
    """

    site: str
    count: int
    start_hour: int
    end_hour: int
    languages: frozenset[str]
    clearance: int

    def __post_init__(self) -> None:
        if self.site not in SITES:
            raise ValueError(f"unknown site {self.site!r}; known sites: {', '.join(sorted(SITES))}")
        if self.count < 0:
            raise ValueError(f"count must be >= 0, got {self.count}")
        if not (0 <= self.start_hour <= 23 and 0 <= self.end_hour <= 24):
            raise ValueError(f"shift hours must be 0-23 and 0-24, got {self.start_hour}-{self.end_hour}")
        if self.start_hour == self.end_hour % 24:
            raise ValueError(f"shift {self.start_hour:02d}-{self.end_hour:02d} has no length")
        if not 0 <= self.clearance <= 3:
            raise ValueError(f"clearance must be 0-3, got {self.clearance}")
        if not self.languages:
            raise ValueError("a staff group needs at least one language")

    @property
    def length_hours(self) -> int:
        return (self.end_hour - self.start_hour) % 24

    def utc_windows(self) -> tuple[tuple[float, float], ...]:
        """Working windows within the simulated UTC day, in seconds; split at midnight UTC."""
        offset = SITES[self.site].utc_offset_hours
        start = ((self.start_hour - offset) % 24) * 3600.0
        end = start + self.length_hours * 3600.0
        if end <= DAY_SECONDS:
            return ((start, end),)
        return ((0.0, end - DAY_SECONDS), (start, DAY_SECONDS))


@dataclass(frozen=True, slots=True)
class Day:
    """A day to replay: its arrivals (sorted by time) and the staff on shift."""

    arrivals: tuple[Arrival, ...]
    staff: tuple[StaffGroup, ...]
    label: str = "recorded"

    @classmethod
    def of(
        cls,
        arrivals: Iterable[Arrival],
        staff: Iterable[StaffGroup],
        label: str = "recorded",
    ) -> Day:
        ordered = tuple(sorted(arrivals, key=lambda a: (a.at_seconds, a.item_id)))
        ids = [a.item_id for a in ordered]
        if len(set(ids)) != len(ids):
            raise ValueError("arrival item_id values must be unique")
        return cls(arrivals=ordered, staff=tuple(staff), label=label)
