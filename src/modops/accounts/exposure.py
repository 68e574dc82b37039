"""Exposure to disturbing material: seconds each person spends with tier >= 2 items open.

A shift is taken as a rolling window (``MODOPS_EXPOSURE_WINDOW_SECONDS``, 8 hours by default), so
the cap holds whatever the rota looks like. Over the cap (``MODOPS_EXPOSURE_CAP_SECONDS``, one hour
by default) routing stops offering sensitive items to that person and the console suggests a break.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from modops.accounts.models import ExposureSpan, StaffProfile
from modops.accounts.permissions import Perm
from modops.accounts.services import require

#: Items at or above this tier count towards exposure.
SENSITIVE_TIER = 2
#: A heartbeat later than this after the previous one starts a new span (the gap is not counted).
HEARTBEAT_TOLERANCE = timedelta(seconds=45)


def cap_seconds() -> int:
    return int(settings.MODOPS_EXPOSURE_CAP_SECONDS)


def window() -> timedelta:
    return timedelta(seconds=int(settings.MODOPS_EXPOSURE_WINDOW_SECONDS))


def touch(user: User, review_item_id: uuid.UUID, tier: int, now: datetime | None = None) -> None:
    """Count the time since the last heartbeat for this item, or start a new span."""
    if tier < SENSITIVE_TIER:
        return
    now = now or timezone.now()
    with transaction.atomic():
        span = (
            ExposureSpan.objects.select_for_update()
            .filter(user=user, review_item_id=review_item_id, last_seen_at__gte=now - HEARTBEAT_TOLERANCE)
            .order_by("-last_seen_at")
            .first()
        )
        if span is None:
            ExposureSpan.objects.create(
                user=user, review_item_id=review_item_id, tier=tier, started_at=now, last_seen_at=now
            )
        elif now > span.last_seen_at:
            span.last_seen_at = now
            span.save(update_fields=["last_seen_at"])


def _seconds_in_window(spans: list[ExposureSpan], now: datetime) -> float:
    start = now - window()
    total = 0.0
    for span in spans:
        begin, end = max(span.started_at, start), min(span.last_seen_at, now)
        if end > begin:
            total += (end - begin).total_seconds()
    return total


def seconds_for(user: User | AnonymousUser, now: datetime | None = None) -> float:
    if not user.is_authenticated:
        return 0.0
    now = now or timezone.now()
    spans = list(ExposureSpan.objects.filter(user_id=user.pk, last_seen_at__gte=now - window()))
    return _seconds_in_window(spans, now)


def over_cap(user: User | AnonymousUser, now: datetime | None = None) -> bool:
    return seconds_for(user, now) >= cap_seconds()


@dataclass(frozen=True)
class ExposureRow:
    username: str
    role: str
    site: str
    seconds: float
    cap: int

    @property
    def share(self) -> float:
        return min(self.seconds / self.cap, 1.0) if self.cap else 1.0

    @property
    def over(self) -> bool:
        return self.seconds >= self.cap


def team_exposure(viewer: User | AnonymousUser, now: datetime | None = None) -> list[ExposureRow]:
    """Everyone's exposure in the current window, most exposed first (team leads and managers)."""
    require(viewer, Perm.TEAM_VIEW)
    now = now or timezone.now()
    spans: dict[int, list[ExposureSpan]] = {}
    for span in ExposureSpan.objects.filter(last_seen_at__gte=now - window()):
        spans.setdefault(span.user_id, []).append(span)
    rows = [
        ExposureRow(
            username=p.user.get_username(),
            role=p.role,
            site=p.site.name if p.site else "",
            seconds=_seconds_in_window(spans.get(p.user_id, []), now),
            cap=cap_seconds(),
        )
        for p in StaffProfile.objects.select_related("user", "site").order_by("user__username")
    ]
    return sorted(rows, key=lambda r: (-r.seconds, r.username))
