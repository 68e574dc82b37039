"""Review items on the intake side: attaching reports and detections, priority and SLA upkeep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from modops.audit.services import NewEvent, record, require_transaction
from modops.ops.priority import PriorityInputs, add_arrival, decayed_count, priority, velocity_per_minute
from modops.ops.sla import sla_due_at
from modops.policies.models import Policy
from modops.review.models import ItemStatus, ReviewItem
from modops.review.services.routing import route
from modops.subjects.models import Subject
from modops.subjects.services import account_of


@dataclass(frozen=True)
class Signal:
    """A report or a detection, as far as the item cares."""

    is_report: bool
    confidence: float
    language: str
    at: datetime


def _compute(item: ReviewItem, policy: Policy, now: datetime) -> None:
    velocity = velocity_per_minute(decayed_count(item.velocity, (now - item.last_signal_at).total_seconds()))
    computed = priority(
        PriorityInputs(
            severity=policy.severity, reach=item.reach, live=item.live, confidence=item.confidence, velocity=velocity
        )
    )
    # A floor set by a workflow (a known-CSAM match goes to the top) must survive later signals.
    item.priority = max(computed, item.priority_floor)
    due = sla_due_at(item.first_seen_at, policy.sla_live_seconds, policy.sla_seconds, item.live, item.sla_due_at)
    item.sla_due_at = due


def _open_item(subject: Subject, policy: Policy) -> ReviewItem | None:
    return (
        ReviewItem.objects.select_for_update(of=("self",))
        .select_related("queue")
        .filter(subject=subject, policy=policy)
        .exclude(status=ItemStatus.CLOSED)
        .first()
    )


def live_and_reach(subject: Subject) -> tuple[bool, int]:
    """Whether the harm is live now and how many it reaches: the subject's own, else its stream's."""
    if subject.live is not None or subject.kind == "stream":
        return bool(subject.live), subject.reach
    stream = subject.stream if subject.stream_id else None
    if stream is not None:
        return bool(stream.live), stream.reach
    return False, subject.reach


@dataclass(frozen=True)
class SubjectContext:
    """What an item takes from its subject at the moment a signal arrives."""

    live: bool
    reach: int
    language: str
    account_external_id: str


def context_of(subject: Subject) -> SubjectContext:
    live, reach = live_and_reach(subject)
    account = account_of(subject)
    return SubjectContext(live, reach, subject.language, account.external_id if account else "")


def new_item(subject: Subject, policy: Policy, signal: Signal, context: SubjectContext) -> ReviewItem:
    """An unsaved item opened by ``signal``, routed, with the signal counted and priority computed."""
    now = signal.at
    item = ReviewItem(
        subject=subject,
        policy=policy,
        first_seen_at=now,
        last_signal_at=now,
        live=context.live,
        reach=context.reach,
        language=signal.language or context.language,
        tier=policy.sensitivity_tier,
        account_external_id=context.account_external_id,
        sla_due_at=now,
    )
    item.queue = route(policy.id, item.language, item.tier, context.live)
    item.sla_due_at = sla_due_at(now, policy.sla_live_seconds, policy.sla_seconds, context.live)
    _bump(item, signal, now)
    _compute(item, policy, now)
    return item


def opened_event(item: ReviewItem, actor: str) -> NewEvent:
    return _event(item, actor, "review_item.opened", {}, _snapshot(item))


def add_signal(item: ReviewItem, policy: Policy, signal: Signal, context: SubjectContext, actor: str) -> list[NewEvent]:
    """Count ``signal`` on an open item in memory; the event if its priority moved. The caller saves."""
    before = _snapshot(item)
    _bump(item, signal, signal.at)
    item.live, item.reach = context.live, context.reach
    _compute(item, policy, signal.at)
    if item.priority != before["priority"]:
        return [_event(item, actor, "review_item.reprioritised", before, _snapshot(item))]
    return []


def attach_signal(subject: Subject, policy: Policy, signal: Signal, actor: str) -> tuple[ReviewItem, list[NewEvent]]:
    """Attach a signal to the one open item for (subject, policy), creating and routing it if needed.

    Returns the item and the events to record; the caller records them last, with its own.
    New reports do not bump ``version``: a storm of reports must not stop a moderator deciding.
    """
    require_transaction()
    item = _open_item(subject, policy)
    context = context_of(subject) if item is None else None
    if item is None and context is not None:
        item = new_item(subject, policy, signal, context)
        try:
            with transaction.atomic():
                item.save(force_insert=True)
        except IntegrityError:
            # Another request opened the item first: attach to theirs.
            found = _open_item(subject, policy)
            if found is None:
                raise
            item = found
        else:
            return item, [opened_event(item, actor)]
    assert item is not None
    item.subject, item.policy = subject, policy  # already loaded: spare the lazy look-ups
    live, reach = live_and_reach(subject)
    events = add_signal(item, policy, signal, SubjectContext(live, reach, "", ""), actor)
    item.save(update_fields=SIGNAL_FIELDS)
    return item, events


SIGNAL_FIELDS = [
    "velocity",
    "report_count",
    "detection_count",
    "confidence",
    "last_signal_at",
    "live",
    "reach",
    "priority",
    "sla_due_at",
]


def _bump(item: ReviewItem, signal: Signal, now: datetime) -> None:
    if signal.is_report:
        elapsed = (now - item.last_signal_at).total_seconds()
        item.velocity = add_arrival(item.velocity, elapsed)
        item.report_count += 1
    else:
        item.velocity = decayed_count(item.velocity, (now - item.last_signal_at).total_seconds())
        item.detection_count += 1
    item.confidence = max(item.confidence, signal.confidence)
    item.last_signal_at = max(item.last_signal_at, now)


def _snapshot(item: ReviewItem) -> dict[str, object]:
    return {
        "status": item.status,
        "queue": item.queue.slug,
        "priority": item.priority,
        "sla_due_at": item.sla_due_at.isoformat(),
        "live": item.live,
        "reports": item.report_count,
        "detections": item.detection_count,
    }


def _event(item: ReviewItem, actor: str, verb: str, before: dict[str, object], after: dict[str, object]) -> NewEvent:
    return NewEvent.about_item(item, actor, verb, before=before, after=after)


def recompute_for_subject(subject: Subject, actor: str) -> list[NewEvent]:
    """Recompute priority and SLA of the open items on a subject (and on what streams inside it)."""
    require_transaction()
    now = timezone.now()
    events = []
    items = (
        ReviewItem.objects.select_for_update(of=("self",))
        .select_related("policy", "queue", "subject")
        .filter(Q(subject=subject) | Q(subject__stream=subject))
        .exclude(status=ItemStatus.CLOSED)
    )
    for item in items:
        before = _snapshot(item)
        item.live, item.reach = live_and_reach(item.subject)
        _compute(item, item.policy, now)
        item.save(update_fields=["live", "reach", "priority", "sla_due_at"])
        events.append(_event(item, actor, "review_item.reprioritised", before, _snapshot(item)))
    return events


def mark_sla_breaches(now: datetime | None = None, batch: int = 500) -> int:
    """Mark open items past their due time as breached, one event each."""
    now = now or timezone.now()
    with transaction.atomic():
        items = list(
            ReviewItem.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subject", "queue")
            .filter(sla_breached=False, sla_due_at__lt=now)
            .exclude(status=ItemStatus.CLOSED)[:batch]
        )
        for item in items:
            item.sla_breached = True
            item.save(update_fields=["sla_breached"])
        record(
            _event(item, "system:worker", "review_item.sla_breached", {}, {"sla_due_at": item.sla_due_at.isoformat()})
            for item in items
        )
    return len(items)
