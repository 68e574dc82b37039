"""Slices: the window and the filters every KPI can be cut by.

Item-level dimensions (queue, policy, language) filter review items directly. Staff dimensions
(moderator, site, region) keep the work of those people: items they decided, and for time-based
KPIs (handle time, occupancy, exposure) the claims they held, matched on the event's actor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from modops.review.models import Decision
from modops.review.services.errors import Invalid

MAX_WINDOW = timedelta(days=400)
DIMENSIONS = ("region", "site", "queue", "policy", "language", "moderator")


@dataclass(frozen=True)
class Slice:
    since: datetime
    until: datetime
    region: str = ""
    site: str = ""
    queue: str = ""
    policy: str = ""
    language: str = ""
    moderator: str = ""

    def __post_init__(self) -> None:
        if timezone.is_naive(self.since) or timezone.is_naive(self.until):
            raise Invalid("since", "since and until need a time zone")
        if self.until <= self.since:
            raise Invalid("until", "until must be after since")
        if self.until - self.since > MAX_WINDOW:
            raise Invalid("since", f"the window is limited to {MAX_WINDOW.days} days")

    @classmethod
    def trailing(cls, hours: float, now: datetime | None = None, **filters: str) -> Slice:
        until = now or timezone.now()
        return cls(since=until - timedelta(hours=hours), until=until, **filters)

    @classmethod
    def parse(cls, params: Mapping[str, Any], now: datetime | None = None, default_days: int = 7) -> Slice:
        """From query parameters; a bad value raises ``Invalid`` naming the parameter."""
        until = parse_moment(params.get("until"), "until") or now or timezone.now()
        since = parse_moment(params.get("since"), "since") or until - timedelta(days=default_days)
        filters = {}
        for name in DIMENSIONS:
            value = params.get(name) or ""
            if not isinstance(value, str) or len(value) > 150:
                raise Invalid(name, "must be a short text")
            filters[name] = value.strip()
        return cls(since=since, until=until, **filters)

    def filters(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if k in DIMENSIONS and v}

    @property
    def by_staff(self) -> bool:
        return bool(self.region or self.site or self.moderator)

    def usernames(self) -> list[str] | None:
        """Usernames of the staff in the slice, or None when the slice is not cut by staff."""
        if not self.by_staff:
            return None
        users = get_user_model().objects.all()
        if self.moderator:
            users = users.filter(username=self.moderator)
        if self.site:
            users = users.filter(staff__site__name=self.site)
        if self.region:
            users = users.filter(staff__site__region=self.region)
        return list(users.values_list("username", flat=True))

    def actors(self) -> list[str] | None:
        names = self.usernames()
        return None if names is None else [f"staff:{name}" for name in names]

    def items(self, prefix: str = "", with_policy: bool = True) -> Q:
        """A filter on review items reached through ``prefix`` (e.g. ``review_item__``)."""
        q = Q()
        if self.queue:
            q &= Q(**{f"{prefix}queue__slug": self.queue})
        if self.policy and with_policy:
            q &= Q(**{f"{prefix}policy__code": self.policy})
        if self.language:
            q &= Q(**{f"{prefix}language": self.language})
        names = self.usernames()
        if names is not None:
            decided = Decision.objects.filter(decided_by__username__in=names).values("review_item_id")
            q &= Q(**{f"{prefix}pk__in": decided})
        return q

    @property
    def by_item(self) -> bool:
        return bool(self.queue or self.policy or self.language or self.by_staff)


def parse_moment(value: object, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise Invalid(name, "must be a date or a date-time")
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                raise ValueError(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=timezone.get_current_timezone())
    except ValueError:
        raise Invalid(name, f"cannot read {value[:40]!r} as a date (YYYY-MM-DD) or ISO date-time") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment
