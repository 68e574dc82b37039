"""Read models for the console pages. State changes go through the domain services, never here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from modops.accounts import exposure
from modops.accounts.models import StaffProfile
from modops.accounts.permissions import Perm, PermissionDenied
from modops.accounts.services import has_perm, profile_of, require
from modops.audit.models import Event
from modops.audit.services import Link, NewEvent, events_for_subject, record
from modops.enforcement.services import standing, suggest_for
from modops.enforcement.services.standing import Standing
from modops.intake.models import Detection, Report
from modops.mediastore.models import MediaObject
from modops.mediastore.services import media_for
from modops.ops.ladder import Step
from modops.policies.models import Policy
from modops.review.models import Decision, ItemStatus, Queue, ReviewItem
from modops.review.queries import get_item
from modops.review.services import eligible_queues
from modops.review.services.errors import Conflict, Invalid, NotFound
from modops.subjects.kinds import SUBJECT_KINDS, SubjectKind
from modops.subjects.models import Subject
from modops.subjects.services import account_of

#: An open item due within this long counts as at risk of missing its SLA.
SLA_RISK = timedelta(minutes=5)
CHAT_CONTEXT = 6


@dataclass(frozen=True)
class QueueRow:
    queue: Queue
    size: int
    claimed: int
    oldest_seconds: float | None
    at_risk: int
    breached: int
    workable: bool


def queue_overview(user: User, now: datetime | None = None) -> list[QueueRow]:
    """The queues a person may work (or every queue, for those who oversee them), with live figures."""
    now = now or timezone.now()
    if has_perm(user, Perm.REVIEW_CLAIM):
        queues = eligible_queues(user)
        workable = {q.pk for q in queues}
        if has_perm(user, Perm.REVIEW_VIEW_ALL):
            queues = list(Queue.objects.all())
    elif has_perm(user, Perm.REVIEW_VIEW_ALL):
        queues, workable = list(Queue.objects.all()), set()
    else:
        raise PermissionDenied(Perm.REVIEW_CLAIM.value)
    stats: dict[int, dict[str, Any]] = {
        row["queue"]: dict(row)
        for row in ReviewItem.objects.filter(queue__in=queues)
        .exclude(status=ItemStatus.CLOSED)
        .values("queue")
        .annotate(
            size=Count("id"),
            claimed=Count("id", filter=Q(status=ItemStatus.CLAIMED)),
            oldest=Min("first_seen_at"),
            at_risk=Count("id", filter=Q(sla_due_at__lt=now + SLA_RISK, sla_due_at__gte=now)),
            breached=Count("id", filter=Q(sla_due_at__lt=now)),
        )
    }
    rows = []
    for q in queues:
        s: dict[str, Any] = stats.get(q.pk, {})
        oldest = s.get("oldest")
        rows.append(
            QueueRow(
                queue=q,
                size=s.get("size", 0),
                claimed=s.get("claimed", 0),
                oldest_seconds=(now - oldest).total_seconds() if oldest else None,
                at_risk=s.get("at_risk", 0),
                breached=s.get("breached", 0),
                workable=q.pk in workable,
            )
        )
    return sorted(rows, key=lambda r: (not r.workable, -r.breached, -r.at_risk, -r.size, r.queue.slug))


@dataclass
class ReviewContext:
    item: ReviewItem
    held: bool
    subject: Subject
    account: Subject | None
    account_standing: Standing | None
    stream: Subject | None
    reports: list[Report]
    detections: list[Detection]
    chat_before: list[Subject]
    chat_after: list[Subject]
    related: list[ReviewItem]
    prior_decisions: list[Decision]
    suggestion: Step
    policies: list[Policy]
    escalation_queues: list[Queue]
    media: list[tuple[MediaObject, int]] = field(default_factory=list)
    over_exposure: bool = False


def _chat_context(subject: Subject) -> tuple[list[Subject], list[Subject]]:
    if subject.kind != SubjectKind.CHAT_MESSAGE or not (subject.stream_id or subject.channel_id):
        return [], []
    around = Subject.objects.filter(kind=SubjectKind.CHAT_MESSAGE).select_related("account")
    around = (
        around.filter(stream_id=subject.stream_id)
        if subject.stream_id
        else around.filter(channel_id=subject.channel_id)
    )
    before = list(around.filter(pk__lt=subject.pk).order_by("-pk")[:CHAT_CONTEXT])[::-1]
    after = list(around.filter(pk__gt=subject.pk).order_by("pk")[:CHAT_CONTEXT])
    return before, after


def review_context(user: User, item_id: uuid.UUID) -> ReviewContext:
    """Everything a moderator needs to judge one item, on one screen."""
    item = get_item(user, item_id)
    subject = item.subject
    account = account_of(subject)
    stream = subject if subject.kind == SubjectKind.STREAM else None
    if stream is None and subject.stream_id:
        stream = Subject.objects.filter(pk=subject.stream_id).first()
    before, after = _chat_context(subject)
    related = list(
        ReviewItem.objects.select_related("policy", "queue", "subject")
        .exclude(pk=item.pk)
        .exclude(status=ItemStatus.CLOSED)
        .filter(Q(subject=subject) | (Q(account_external_id=item.account_external_id) & ~Q(account_external_id="")))
        .order_by("-priority")[:10]
    )
    subject_ids = [subject.pk] + ([account.pk] if account and account.pk != subject.pk else [])
    prior = list(
        Decision.objects.select_related("policy", "decided_by", "review_item__subject")
        .filter(review_item__subject_id__in=subject_ids)
        .order_by("-created_at")[:10]
    )
    held = item.status == ItemStatus.CLAIMED and item.claimed_by_id == user.pk
    if held:
        exposure.touch(user, item.id, item.tier)
    return ReviewContext(
        item=item,
        held=held,
        subject=subject,
        account=account,
        account_standing=standing(account, history_limit=10) if account else None,
        stream=stream,
        reports=list(Report.objects.filter(review_item=item).order_by("-received_at")[:50]),
        detections=list(Detection.objects.filter(review_item=item).order_by("-score")[:20]),
        chat_before=before,
        chat_after=after,
        related=related,
        prior_decisions=prior,
        suggestion=suggest_for(subject, item.policy),
        policies=list(Policy.objects.filter(active=True).order_by("-severity", "code")),
        escalation_queues=list(Queue.objects.filter(escalation_target=True).exclude(pk=item.queue_id)),
        media=media_for(user, subject) if has_perm(user, Perm.MEDIA_REVEAL) else [],
        over_exposure=exposure.over_cap(user),
    )


def heartbeat(user: User, item_id: uuid.UUID) -> float:
    """The item is still on screen: count exposure if it is sensitive; return the shift's total."""
    item = get_item(user, item_id)
    if item.status == ItemStatus.CLAIMED and item.claimed_by_id == user.pk:
        exposure.touch(user, item.id, item.tier)
    return exposure.seconds_for(user)


def add_note(user: User, item_id: uuid.UUID, text: str) -> Link:
    """A note on an item for whoever reads it next; recorded in the event log."""
    require(user, Perm.REVIEW_DECIDE)
    text = text.strip()
    if not text:
        raise Invalid("note", "a note needs some text")
    # Outside the transaction, so a refusal's audit event is not rolled back with it.
    item = get_item(user, item_id)
    with transaction.atomic():
        if item.status == ItemStatus.CLOSED:
            raise Conflict("the item is already decided")
        return record([NewEvent.about_item(item, f"staff:{user.get_username()}", "review_item.noted", reason=text)])[0]


@dataclass(frozen=True)
class LookupResult:
    subjects: list[Subject]
    item: ReviewItem | None


def lookup(user: User, query: str) -> LookupResult:
    """Find subjects by platform id (``kind:id`` or a bare id) or a review item by its id."""
    require(user, Perm.SUBJECTS_VIEW)
    query = query.strip()
    if not query or len(query) > 220:
        raise Invalid("q", "enter a platform id, kind:id or a review item id")
    item = None
    try:
        item = get_item(user, uuid.UUID(query))
    except (ValueError, NotFound, PermissionDenied):
        item = None
    kind, sep, external_id = query.partition(":")
    subjects = Subject.objects.all()
    if sep and kind in SUBJECT_KINDS:
        subjects = subjects.filter(kind=kind, external_id=external_id)
    else:
        subjects = subjects.filter(external_id=query)
    return LookupResult(list(subjects.order_by("kind")[:20]), item)


@dataclass(frozen=True)
class SubjectPage:
    subject: Subject
    standing: Standing
    items: list[ReviewItem]
    events: list[Event]


def subject_page(user: User, kind: str, external_id: str) -> SubjectPage:
    require(user, Perm.SUBJECTS_VIEW)
    subject = Subject.objects.filter(kind=kind, external_id=external_id).first()
    if subject is None:
        raise NotFound(f"{kind}:{external_id}")
    events = events_for_subject(kind, external_id, limit=1000) if has_perm(user, Perm.EVENTS_VIEW) else []
    items = list(ReviewItem.objects.select_related("policy", "queue").filter(subject=subject).order_by("-created_at"))
    return SubjectPage(subject, standing(subject), items, events)


def update_preferences(user: User, blur_px: int, greyscale: bool) -> StaffProfile:
    profile = profile_of(user)
    if profile is None:
        raise PermissionDenied("no staff profile")
    if not 0 <= blur_px <= 60:
        raise Invalid("blur", "blur must be 0 to 60 pixels")
    profile.media_blur_px = blur_px
    profile.media_greyscale = greyscale
    profile.save(update_fields=["media_blur_px", "media_greyscale"])
    return profile
