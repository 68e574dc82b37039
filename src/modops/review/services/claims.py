"""Claims with leases: who works on an item, until when; release, skip, escalate, lease expiry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from modops.accounts import exposure
from modops.accounts.permissions import Perm, PermissionDenied
from modops.accounts.services import clearance_of, profile_of, require
from modops.audit.services import NewEvent, record
from modops.review.models import ItemStatus, Queue, ReviewItem, SkipRecord
from modops.review.services.errors import Conflict, Invalid, NotFound
from modops.review.services.routing import queue_by_slug


@dataclass(frozen=True)
class ClaimResult:
    item: ReviewItem
    lease_expires_at: datetime


def _actor(user: User) -> str:
    return f"staff:{user.get_username()}"


def _event(item: ReviewItem, user: User | None, verb: str, after: dict[str, object], reason: str = "") -> NewEvent:
    return NewEvent.about_item(item, _actor(user) if user else "system:worker", verb, after=after, reason=reason)


def may_work(user: User, queue: Queue) -> bool:
    """Skills and clearance allow this person to work this queue at all."""
    profile = profile_of(user)
    skills = set(profile.skills) if profile else set()
    if getattr(user, "is_superuser", False):
        return True
    return set(queue.required_skills) <= skills and clearance_of(user) >= queue.clearance_tier


def eligible_queues(user: User) -> list[Queue]:
    return [q for q in Queue.objects.all() if may_work(user, q)]


def _candidates(user: User, queue: Queue) -> object:
    profile = profile_of(user)
    languages = list(profile.languages) if profile else []
    linked = list(profile.linked_account_ids) if profile else []
    skipped = SkipRecord.objects.filter(review_item=OuterRef("pk"), user=user)
    qs = ReviewItem.objects.filter(queue=queue, status=ItemStatus.OPEN, tier__lte=clearance_of(user))
    if not getattr(user, "is_superuser", False):
        qs = qs.filter(Q(language="") | Q(language__in=languages))
    if linked:
        qs = qs.exclude(account_external_id__in=linked)
    if exposure.over_cap(user):
        # Over the exposure cap for this shift: offer only non-sensitive work until the window clears.
        qs = qs.filter(tier__lt=exposure.SENSITIVE_TIER)
    return qs.filter(~Exists(skipped)).order_by("-priority", "sla_due_at")


def claim(user: User, queue_slug: str, now: datetime | None = None) -> ClaimResult | None:
    """Hand ``user`` the highest-priority open item of the queue they are eligible for, with a lease.

    Eligible: language among theirs, tier within their clearance, not about an account they are
    linked to, not skipped by them. Concurrent claimers never get the same item: on PostgreSQL the
    row is taken with ``FOR UPDATE SKIP LOCKED``; SQLite serialises writers.
    """
    require(user, Perm.REVIEW_CLAIM)
    queue = queue_by_slug(queue_slug)
    if queue is None:
        raise NotFound(f"queue {queue_slug!r}")
    if not may_work(user, queue):
        raise PermissionDenied(
            f"queue {queue.slug} needs skills {queue.required_skills} and clearance {queue.clearance_tier}"
        )
    now = now or timezone.now()
    with transaction.atomic():
        qs = _candidates(user, queue)
        item = qs.select_for_update(skip_locked=True, of=("self",)).select_related("subject", "policy", "queue").first()  # type: ignore[attr-defined]
        if item is None:
            return None
        lease = now + timedelta(seconds=settings.MODOPS_LEASE_SECONDS)
        item.status = ItemStatus.CLAIMED
        item.claimed_by = user
        item.lease_expires_at = lease
        item.version += 1
        item.save(update_fields=["status", "claimed_by", "lease_expires_at", "version"])
        record(
            [
                _event(
                    item, user, "review_item.claimed", {"lease_expires_at": lease.isoformat(), "version": item.version}
                )
            ]
        )
    return ClaimResult(item, lease)


def claim_next(user: User, now: datetime | None = None) -> ClaimResult | None:
    """Claim the highest-priority item ``user`` is eligible for across every queue they may work."""
    require(user, Perm.REVIEW_CLAIM)
    tops = []
    for queue in eligible_queues(user):
        top = _candidates(user, queue).values_list("priority", "sla_due_at").first()  # type: ignore[attr-defined]
        if top is not None:
            tops.append((-top[0], top[1], queue.slug))
    for _, _, slug in sorted(tops):
        # Someone may take the peeked item first; claim() then hands over the queue's next one.
        result = claim(user, slug, now)
        if result is not None:
            return result
    return None


def _held_item(user: User, item_id: uuid.UUID) -> ReviewItem:
    item = (
        ReviewItem.objects.select_for_update(of=("self",))
        .select_related("subject", "queue", "policy")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise NotFound(f"review item {item_id}")
    if item.status != ItemStatus.CLAIMED or item.claimed_by_id != user.pk:
        raise Conflict("you do not hold a claim on this item")
    return item


def renew(user: User, item_id: uuid.UUID) -> ClaimResult:
    require(user, Perm.REVIEW_CLAIM)
    with transaction.atomic():
        item = _held_item(user, item_id)
        item.lease_expires_at = timezone.now() + timedelta(seconds=settings.MODOPS_LEASE_SECONDS)
        item.save(update_fields=["lease_expires_at"])
        record(
            [_event(item, user, "review_item.lease_renewed", {"lease_expires_at": item.lease_expires_at.isoformat()})]
        )
    return ClaimResult(item, item.lease_expires_at)


def _reopen(item: ReviewItem) -> None:
    item.status = ItemStatus.OPEN
    item.claimed_by = None
    item.lease_expires_at = None
    item.version += 1
    item.save(update_fields=["status", "claimed_by", "lease_expires_at", "version", "queue"])


def release(user: User, item_id: uuid.UUID, reason: str = "") -> ReviewItem:
    require(user, Perm.REVIEW_CLAIM)
    with transaction.atomic():
        item = _held_item(user, item_id)
        _reopen(item)
        record([_event(item, user, "review_item.released", {"version": item.version}, reason)])
    return item


def skip(user: User, item_id: uuid.UUID, reason: str = "") -> ReviewItem:
    """Release the item and never offer it to this person again."""
    require(user, Perm.REVIEW_CLAIM)
    with transaction.atomic():
        item = _held_item(user, item_id)
        SkipRecord.objects.get_or_create(review_item=item, user=user)
        _reopen(item)
        record([_event(item, user, "review_item.skipped", {"version": item.version}, reason)])
    return item


def escalate(user: User, item_id: uuid.UUID, queue_slug: str, reason: str) -> ReviewItem:
    """Move the item to another queue (child safety, legal, policy, ...), open for that queue's staff."""
    require(user, Perm.REVIEW_ESCALATE)
    with transaction.atomic():
        item = _held_item(user, item_id)
        target = queue_by_slug(queue_slug)
        if target is None:
            raise Invalid("queue", f"unknown queue {queue_slug!r}")
        if target.pk == item.queue_id:
            raise Invalid("queue", "the item is already in that queue")
        before = item.queue.slug
        item.queue = target
        _reopen(item)
        event = _event(item, user, "review_item.escalated", {"queue": target.slug, "version": item.version}, reason)
        event.before = {"queue": before}
        record([event])
    return item


def expire_leases(now: datetime | None = None, batch: int = 500) -> int:
    """Return items whose lease ran out to their queue."""
    now = now or timezone.now()
    with transaction.atomic():
        items = list(
            ReviewItem.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subject", "queue")
            .filter(status=ItemStatus.CLAIMED, lease_expires_at__lt=now)[:batch]
        )
        events = []
        for item in items:
            holder = item.claimed_by_id
            _reopen(item)
            events.append(_event(item, None, "review_item.lease_expired", {"version": item.version, "holder": holder}))
        record(events)
    return len(items)
