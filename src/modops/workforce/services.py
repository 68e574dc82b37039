"""Who is on shift when: shift intervals, hours on shift, coverage per hour of week, rosters."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Q

from modops.accounts.models import StaffProfile
from modops.ops.staffing.forecast import HOURS_PER_WEEK, hour_of_week
from modops.review.models import Queue
from modops.workforce.models import Assignment, Shift

_HOUR = timedelta(hours=1)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def shift_intervals(shift: Shift, first: date, last: date) -> Iterator[tuple[datetime, datetime]]:
    """UTC (start, end) of each occurrence of ``shift`` starting on a local date in ``first..last``."""
    zone = _zone(shift.site.time_zone)
    day = first
    while day <= last:
        if day.weekday() in shift.weekdays:
            start = datetime.combine(day, time(shift.start_hour), tzinfo=zone).astimezone(UTC)
            yield start, start + shift.length_hours * _HOUR
        day += timedelta(days=1)


def active_assignments(since: date, until: date) -> list[Assignment]:
    """Assignments in force on at least one day of ``since..until``."""
    return list(
        Assignment.objects.select_related("shift__site", "staff__user", "staff__site")
        .filter(starts_on__lte=until)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=since))
    )


@dataclass
class ShiftHours:
    """Seconds on shift and productive seconds (on shift less the shift's shrinkage) per person."""

    on_shift: dict[str, float] = field(default_factory=dict)
    productive: dict[str, float] = field(default_factory=dict)


def shift_hours(since: datetime, until: datetime, usernames: Iterable[str] | None = None) -> ShiftHours:
    """Time each person was rostered in ``[since, until)``, keyed by username."""
    wanted = set(usernames) if usernames is not None else None
    # A shift starting the local day before ``since`` can run into the window.
    first, last = (since - timedelta(days=2)).date(), until.date()
    hours = ShiftHours()
    for assignment in active_assignments(first, last):
        username = assignment.staff.user.get_username()
        if wanted is not None and username not in wanted:
            continue
        lo = max(first, assignment.starts_on)
        hi = min(last, assignment.ends_on) if assignment.ends_on else last
        for start, end in shift_intervals(assignment.shift, lo, hi):
            overlap = (min(end, until) - max(start, since)).total_seconds()
            if overlap <= 0:
                continue
            hours.on_shift[username] = hours.on_shift.get(username, 0.0) + overlap
            productive = overlap * (1.0 - assignment.shift.shrinkage)
            hours.productive[username] = hours.productive.get(username, 0.0) + productive
    return hours


def _week_start(on: date) -> date:
    return on - timedelta(days=on.weekday())


def hours_of_week(assignment: Assignment, week_of: date) -> set[int]:
    """UTC hours of week covered by the assignment in the week containing ``week_of``.

    The shifts of the week before are included because a Sunday night shift spills into Monday.
    """
    monday = _week_start(week_of)
    week_end = monday + timedelta(days=7)
    covered: set[int] = set()
    for day_start in (monday - timedelta(days=7), monday):
        for start, end in shift_intervals(assignment.shift, day_start, day_start + timedelta(days=6)):
            if not (
                assignment.starts_on <= start.date()
                and (assignment.ends_on is None or start.date() <= assignment.ends_on)
            ):
                continue
            ts = start
            while ts < end:
                if monday <= ts.date() < week_end:
                    covered.add(hour_of_week(ts))
                ts += _HOUR
    return covered


@dataclass(frozen=True)
class Coverage:
    """Staff on shift per UTC hour of week, in total and per region, skill, language and queue."""

    week_of: date
    total: list[int]
    by_region: dict[str, list[int]]
    by_skill: dict[str, list[int]]
    by_language: dict[str, list[int]]
    by_queue: dict[str, list[int]]

    def as_dict(self) -> dict[str, object]:
        return {
            "week_of": self.week_of.isoformat(),
            "total": self.total,
            "by_region": self.by_region,
            "by_skill": self.by_skill,
            "by_language": self.by_language,
            "by_queue": self.by_queue,
        }


def can_work(profile: StaffProfile, queue: Queue) -> bool:
    """Skills, clearance and (if the queue names languages) a shared language."""
    if not set(queue.required_skills) <= set(profile.skills):
        return False
    if profile.clearance < queue.clearance_tier:
        return False
    return not queue.languages or bool(set(queue.languages) & set(profile.languages))


def coverage(week_of: date) -> Coverage:
    """For each UTC hour of the week containing ``week_of``: who is on shift, counted several ways."""

    def zeros() -> list[int]:
        return [0] * HOURS_PER_WEEK

    monday = _week_start(week_of)
    total = zeros()
    by_region: dict[str, list[int]] = defaultdict(zeros)
    by_skill: dict[str, list[int]] = defaultdict(zeros)
    by_language: dict[str, list[int]] = defaultdict(zeros)
    by_queue: dict[str, list[int]] = defaultdict(zeros)
    queues = list(Queue.objects.all())
    for assignment in active_assignments(monday - timedelta(days=7), monday + timedelta(days=6)):
        profile = assignment.staff
        region = assignment.shift.site.region
        workable = [q.slug for q in queues if can_work(profile, q)]
        for how in hours_of_week(assignment, monday):
            total[how] += 1
            by_region[region][how] += 1
            for skill in set(profile.skills):
                by_skill[skill][how] += 1
            for language in set(profile.languages):
                by_language[language][how] += 1
            for slug in workable:
                by_queue[slug][how] += 1
    return Coverage(monday, total, dict(by_region), dict(by_skill), dict(by_language), dict(by_queue))


def roster(week_of: date) -> dict[tuple[str, int], int]:
    """Staff on shift per (region, UTC hour of week): the input of ``ops.staffing.plan.staffing_gap``."""
    cover = coverage(week_of)
    return {
        (region, how): heads for region, hours in cover.by_region.items() for how, heads in enumerate(hours) if heads
    }
