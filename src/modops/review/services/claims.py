"""Claims with leases: who works on an item, until when; release, skip, escalate, lease expiry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from modops.accounts import exposure
from modops.accounts.permissions import Perm, PermissionDenied
from modops.accounts.services import clearance_of, profile_of, require
from modops.audit.services import NewEvent, record, record_with
from modops.review.models import ItemStatus, Queue, ReviewItem, SkipRecord
from modops.review.services.errors import Conflict, Invalid, NotFound
from modops.review.services.routing import queue_by_slug
from modops.statements import Rows, Statements, as_uuid


@dataclass(frozen=True)
class ClaimResult:
    """What a claim hands over: the item's id and version (all a decision needs) and the lease.

    The item itself is read on first use, so a claim stays one statement and a caller that only
    decides never pays for loading what it does not show.
    """

    item_id: uuid.UUID
    version: int
    lease_expires_at: datetime

    @classmethod
    def of(cls, item: ReviewItem, lease_expires_at: datetime) -> ClaimResult:
        result = cls(item.id, item.version, lease_expires_at)
        result.__dict__["item"] = item
        return result

    @cached_property
    def item(self) -> ReviewItem:
        return ReviewItem.objects.select_related("subject", "policy", "queue", "claimed_by").get(pk=self.item_id)


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


def _placeholders(values: list[object]) -> str:
    return ", ".join(["%s"] * len(values))


def _eligible(user: User, queue: Queue) -> tuple[str, list[Any]]:
    """The one definition of which open items of ``queue`` may be offered to ``user``, as SQL over ``r``.

    Language among theirs, tier within their clearance (below the sensitive tiers while they are
    over their exposure cap), not about an account they are linked to, not skipped by them.
    """
    profile = profile_of(user)
    tier = clearance_of(user)
    if tier >= exposure.SENSITIVE_TIER and exposure.over_cap(user):
        # Over the exposure cap for this shift: offer only non-sensitive work until the window clears.
        tier = exposure.SENSITIVE_TIER - 1
    where = ["r.queue_id = %s", "r.status = 'open'", "r.tier <= %s"]
    params: list[Any] = [queue.pk, tier]
    if not getattr(user, "is_superuser", False):
        languages: list[object] = list(profile.languages) if profile else []
        if languages:
            where.append(f"(r.language = '' OR r.language IN ({_placeholders(languages)}))")
            params += languages
        else:
            where.append("r.language = ''")
    linked: list[object] = list(profile.linked_account_ids) if profile else []
    if linked:
        where.append(f"r.account_external_id NOT IN ({_placeholders(linked)})")
        params += linked
    where.append("NOT EXISTS (SELECT 1 FROM review_skiprecord k WHERE k.review_item_id = r.id AND k.user_id = %s)")
    params.append(user.pk)
    return " AND ".join(where), params


_ORDER = "ORDER BY r.priority DESC, r.sla_due_at LIMIT 1"


def claim(user: User, queue_slug: str, now: datetime | None = None) -> ClaimResult | None:
    """Hand ``user`` the highest-priority open item of the queue they are eligible for, with a lease.

    One statement takes the item: on PostgreSQL the row is chosen with ``FOR UPDATE SKIP LOCKED``,
    so concurrent claimers never get the same item; SQLite serialises writers. It travels with the
    event log's append (``record_with``).
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
    lease = now + timedelta(seconds=settings.MODOPS_LEASE_SECONDS)
    where, params = _eligible(user, queue)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    writes = Statements()
    if connection.vendor == "postgresql":
        # A claim is a lease, not a verdict: if the server crashes in the instant after this commit,
        # losing the claim (and its event, with it) returns the item to its queue, which is what an
        # expired lease does anyway. So a claim does not wait for its commit to reach the disk; the
        # log stays a prefix of the truth, since a later synchronous commit flushes it too.
        writes.add("SET LOCAL synchronous_commit TO OFF")
    at = writes.add(
        "UPDATE review_reviewitem SET status = 'claimed', claimed_by_id = %s, lease_expires_at = %s, "  # noqa: S608
        "version = version + 1 WHERE status = 'open' AND id = ("
        f"SELECT r.id FROM review_reviewitem r WHERE {where} {_ORDER}{lock}) "
        "RETURNING id, version, "
        "(SELECT s.kind FROM subjects_subject s WHERE s.id = review_reviewitem.subject_id), "
        "(SELECT s.external_id FROM subjects_subject s WHERE s.id = review_reviewitem.subject_id)",
        [user.pk, connection.ops.adapt_datetimefield_value(lease), *params],
        prepare=True,
    )

    def claimed(results: list[Rows]) -> list[NewEvent]:
        if not results[at]:
            return []
        item_id, version, kind, external_id = results[at][0]
        return [
            NewEvent(
                actor=_actor(user),
                verb="review_item.claimed",
                subject_kind=kind,
                subject_external_id=external_id,
                review_item_id=as_uuid(item_id),
                after={"lease_expires_at": lease.isoformat(), "version": version},
            )
        ]

    with transaction.atomic():
        results, events = record_with(writes, claimed, last=True)
    if not events:
        return None
    return ClaimResult(as_uuid(results[at][0][0]), int(results[at][0][1]), lease)


def claim_next(user: User, now: datetime | None = None) -> ClaimResult | None:
    """Claim the highest-priority item ``user`` is eligible for across every queue they may work."""
    require(user, Perm.REVIEW_CLAIM)
    tops = []
    with connection.cursor() as cursor:
        for queue in eligible_queues(user):
            where, params = _eligible(user, queue)
            cursor.execute(f"SELECT r.priority, r.sla_due_at FROM review_reviewitem r WHERE {where} {_ORDER}", params)  # noqa: S608
            top = cursor.fetchone()
            if top is not None:
                tops.append((-top[0], str(top[1]), queue.slug))
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
    return ClaimResult.of(item, item.lease_expires_at)


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
