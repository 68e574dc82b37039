"""Data behind the insights console pages: each chart as plain JSON-ready data."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q
from django.utils import timezone

from modops.accounts.models import StaffProfile
from modops.accounts.permissions import Perm
from modops.accounts.services import has_perm, profile_of, require
from modops.insights import kpis
from modops.insights.slices import Slice
from modops.insights.targets import tiles
from modops.review.models import Queue, ReviewItem
from modops.workforce.planning import StaffingPlan, plan
from modops.workforce.services import coverage

TTA_BUCKETS: tuple[tuple[str, float], ...] = (
    ("<5 min", 300),
    ("5-15 min", 900),
    ("15-60 min", 3600),
    ("1-4 h", 4 * 3600),
    ("4-24 h", 86400),
    (">=24 h", float("inf")),
)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def backlog_series(until: datetime, days: int = 7, step_hours: int = 6) -> dict[str, Any]:
    """Open items per queue at regular points up to ``until``."""
    points = [until - timedelta(hours=step_hours * i) for i in range(days * 24 // step_hours, -1, -1)]
    slugs = list(Queue.objects.values_list("slug", flat=True))
    series: dict[str, list[int]] = {slug: [] for slug in slugs}
    for at in points:
        counts = dict(
            ReviewItem.objects.filter(first_seen_at__lt=at)
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=at))
            .values_list("queue__slug")
            .annotate(n=Count("id"))
            .order_by()
        )
        for slug in slugs:
            series[slug].append(counts.get(slug, 0))
    return {
        "labels": [p.strftime("%a %H:%M") for p in points],
        "series": {slug: values for slug, values in series.items() if any(values)},
    }


def sla_trend(until: datetime, days: int = 14) -> dict[str, Any]:
    labels, values = [], []
    for i in range(days, 0, -1):
        start = until - timedelta(days=i)
        value = kpis.sla_attainment(Slice(since=start, until=start + timedelta(days=1))).value
        labels.append(start.strftime("%d %b"))
        values.append(None if value is None else round(value * 100, 1))
    return {"labels": labels, "values": values}


def tta_histogram(s: Slice) -> dict[str, Any]:
    counts = [0] * len(TTA_BUCKETS)
    for seconds in kpis.time_to_action_values(s):
        for i, (_, upper) in enumerate(TTA_BUCKETS):
            if seconds < upper:
                counts[i] += 1
                break
    return {"labels": [name for name, _ in TTA_BUCKETS], "values": counts}


def capacity(staffing: StaffingPlan, week_of: datetime) -> dict[str, Any]:
    """Forecast arrivals and rostered heads per region per hour of week, and the gap as a 7×24 grid."""
    arrivals = [0.0] * 168
    for _, how, value in staffing.forecast.rows():
        arrivals[how] += value
    cover = coverage(week_of.date())
    grid = [[staffing.gap[d * 24 + h].gap for h in range(24)] for d in range(7)]
    return {
        "labels": [f"{DAYS[h // 24]} {h % 24:02d}" for h in range(168)],
        "arrivals": [round(v, 2) for v in arrivals],
        "required": [row.required_heads for row in staffing.gap],
        "by_region": cover.by_region,
        "gap_grid": grid,
        "days": DAYS,
        "mape": staffing.accuracy.mape,
    }


def overview(user: AbstractBaseUser | AnonymousUser, s: Slice) -> dict[str, Any]:
    require(user, Perm.INSIGHTS_VIEW)  # type: ignore[arg-type]
    staffing = plan(s.until - timedelta(days=s.until.weekday(), hours=s.until.hour, minutes=s.until.minute))
    return {
        "tiles": [t.as_dict() for t in tiles(s.until)],
        "kpis": kpis.compute_all(s),
        "charts": {
            "backlog": backlog_series(s.until),
            "sla": sla_trend(s.until),
            "tta": tta_histogram(s),
            "capacity": capacity(staffing, s.until),
        },
        "staffing": staffing,
    }


def team_view(user: AbstractBaseUser | AnonymousUser, s: Slice) -> dict[str, Any]:
    """Per person: decisions, handle time, QA score and exposure, alphabetical, never ranked.

    Leads and managers (team.view) see the staff of their site (everyone, without a site); others
    see only themselves.
    """
    me = profile_of(user)  # type: ignore[arg-type]
    if has_perm(user, Perm.TEAM_VIEW):  # type: ignore[arg-type]
        people = StaffProfile.objects.select_related("user", "site")
        if me is not None and me.site_id is not None:
            people = people.filter(site_id=me.site_id)
        scope = "team"
    else:
        people = (
            StaffProfile.objects.select_related("user", "site").filter(pk=me.pk) if me else StaffProfile.objects.none()
        )
        scope = "self"
    exposure = kpis.exposure_minutes(s).by_moderator
    rows = []
    for person in people.order_by("user__username"):
        name = person.user.get_username()
        mine = Slice(since=s.since, until=s.until, moderator=name)
        rows.append(
            {
                "username": name,
                "site": person.site.name if person.site else "",
                "decisions": kpis.decisions_in(mine).count(),
                "aht_seconds": kpis.average_handle_time(mine),
                "qa_score": None,  # filled by the quality domain once it records scores
                "exposure_minutes": round(exposure.get(name, 0.0), 1),
            }
        )
    return {"scope": scope, "rows": rows}


def default_slice(params: Any) -> Slice:
    return Slice.parse(params, now=timezone.now(), default_days=7)
