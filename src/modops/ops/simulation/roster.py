"""Roster changes written as ``site:count@HH-HH``, e.g. ``manila:2@08-16``.

``manila:2@08-16`` adds two moderators at the Manila site working 08:00-16:00 Manila time, with
the site's languages and clearance. ``22-06`` is an overnight shift.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from modops.ops.simulation.model import SITES, StaffGroup

__all__ = [
    "RosterChange",
    "RosterChangeError",
    "apply_roster_changes",
    "parse_roster_change",
]

_PATTERN = re.compile(
    r"^\s*(?P<site>[A-Za-z_-]+)\s*:\s*(?P<count>[+-]?\d+)\s*@\s*(?P<start>\d{1,2})\s*-\s*(?P<end>\d{1,2})\s*$"
)


class RosterChangeError(ValueError):
    """A roster change string that cannot be applied; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class RosterChange:
    site: str
    count: int
    start_hour: int
    end_hour: int

    def __str__(self) -> str:
        return f"{self.site}:{self.count}@{self.start_hour:02d}-{self.end_hour:02d}"

    def staff_group(self) -> StaffGroup:
        site = SITES[self.site]
        return StaffGroup(
            site=self.site,
            count=self.count,
            start_hour=self.start_hour,
            end_hour=self.end_hour,
            languages=site.languages,
            clearance=site.clearance,
        )


def parse_roster_change(text: str) -> RosterChange:
    """Parse ``site:count@HH-HH``; raise ``RosterChangeError`` saying what is wrong."""
    match = _PATTERN.match(text)
    if match is None:
        raise RosterChangeError(f"cannot read roster change {text!r}: expected site:count@HH-HH, e.g. manila:2@08-16")
    site = match["site"].lower()
    if site not in SITES:
        raise RosterChangeError(f"unknown site {match['site']!r} in {text!r}; known sites: {', '.join(sorted(SITES))}")
    count = int(match["count"])
    if count < 1:
        raise RosterChangeError(f"staff count in {text!r} must be a positive number, got {count}")
    start, end = int(match["start"]), int(match["end"])
    if start > 23:
        raise RosterChangeError(f"shift start in {text!r} must be an hour 00-23, got {start}")
    if end > 24:
        raise RosterChangeError(f"shift end in {text!r} must be an hour 00-24, got {end}")
    if start == end % 24:
        raise RosterChangeError(f"shift {start:02d}-{end:02d} in {text!r} has no length")
    return RosterChange(site=site, count=count, start_hour=start, end_hour=end)


def apply_roster_changes(staff: Iterable[StaffGroup], changes: Sequence[str | RosterChange]) -> tuple[StaffGroup, ...]:
    """The staff with every change added; all changes are parsed before any is applied."""
    parsed = [c if isinstance(c, RosterChange) else parse_roster_change(c) for c in changes]
    return (*staff, *(change.staff_group() for change in parsed))
