"""Set-based intake: a batch of reports, or of detections, in a fixed number of statements.

The effect is the one of taking the signals one by one in lock order (``_take_report``,
``_take_detection``): subjects are brought up to date in memory in that order, and each signal sees
its subject as it was right after its own context was applied. A signal that flips a stream's live
state closes the set built so far (written out) so the stream's recompute sees every item opened
before it, as one by one. A detection joins an item only when it names a policy and scores at or
above ``DETECTION_REVIEW_THRESHOLD``; the others are recorded alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.db import IntegrityError, connection
from django.db.models import Model, Q

from modops.audit.services import NewEvent, require_transaction
from modops.intake.models import Detection, Report
from modops.policies.models import Policy
from modops.review.models import ItemStatus, ReviewItem
from modops.review.services import Signal
from modops.review.services.items import (
    SIGNAL_FIELDS,
    SubjectContext,
    add_signal,
    context_of,
    new_item,
    opened_event,
)
from modops.review.services.routing import queue_by_id
from modops.statements import Statements, as_uuid, bulk_set
from modops.subjects.kinds import SubjectKind
from modops.subjects.models import Subject
from modops.subjects.services import Dirty, SubjectRef, apply_ref, fetch, wanted_by

if TYPE_CHECKING:
    from modops.intake.services import DetectionInput, ReportInput

#: Detections below this score are recorded but open no review item.
DETECTION_REVIEW_THRESHOLD = 0.5


#: Times a batch re-reads items that concurrent writers opened under it before giving up.
_RACE_ROUNDS = 3


@dataclass(frozen=True)
class Taken:
    """One report of a batch, with its policy looked up and the actor who sent it."""

    data: ReportInput
    policy: Policy
    actor: str
    at: datetime

    @property
    def language(self) -> str:
        return self.data.language or self.data.subject.language or ""

    @property
    def signal(self) -> Signal:
        return Signal(is_report=True, confidence=self.data.reporter_trust, language=self.language, at=self.at)

    @property
    def attaches(self) -> bool:
        return True

    def row(self, subject: Subject, item: ReviewItem | None) -> Report:
        assert item is not None
        return report_row(self, subject, item)

    def event(self, row: Model) -> NewEvent:
        assert isinstance(row, Report)
        return received_event(self, row)

    def body(self, row: Model) -> dict[str, Any]:
        assert isinstance(row, Report)
        return {"report_id": str(row.id), "review_item_id": str(row.review_item_id)}


@dataclass(frozen=True)
class TakenDetection:
    """One detection of a batch, with its policy (if it names one) looked up and the actor who sent it."""

    data: DetectionInput
    policy: Policy | None
    actor: str
    at: datetime

    @property
    def signal(self) -> Signal:
        language = self.data.language or self.data.subject.language or ""
        return Signal(is_report=False, confidence=self.data.score, language=language, at=self.at)

    @property
    def attaches(self) -> bool:
        return self.policy is not None and self.data.score >= DETECTION_REVIEW_THRESHOLD

    def row(self, subject: Subject, item: ReviewItem | None) -> Detection:
        return detection_row(self, subject, item)

    def event(self, row: Model) -> NewEvent:
        assert isinstance(row, Detection)
        return detection_event(self, row)

    def body(self, row: Model) -> dict[str, Any]:
        assert isinstance(row, Detection)
        item_id = row.review_item_id
        return {"detection_id": str(row.id), "review_item_id": str(item_id) if item_id else None, "actions": []}


class Work(Protocol):
    """A signal of a batch: a report (``Taken``) or a detection (``TakenDetection``)."""

    @property
    def data(self) -> ReportInput | DetectionInput: ...
    @property
    def policy(self) -> Policy | None: ...
    @property
    def actor(self) -> str: ...
    @property
    def signal(self) -> Signal: ...
    @property
    def attaches(self) -> bool: ...
    def row(self, subject: Subject, item: ReviewItem | None) -> Model: ...
    def event(self, row: Model) -> NewEvent: ...
    def body(self, row: Model) -> dict[str, Any]: ...


def report_row(taken: Taken, subject: Subject, item: ReviewItem) -> Report:
    data = taken.data
    return Report(
        subject=subject,
        policy=taken.policy,
        review_item=item,
        reporter_id=data.reporter_id,
        source=data.source.value,
        reporter_trust=data.reporter_trust,
        text=data.text,
        language=taken.language,
        received_at=taken.at,
    )


def received_event(taken: Taken, report: Report) -> NewEvent:
    subject = report.subject
    return NewEvent(
        actor=taken.actor,
        verb="report.received",
        subject_kind=subject.kind,
        subject_external_id=subject.external_id,
        review_item_id=report.review_item_id,
        after={"report_id": str(report.id), "policy": taken.policy.code, "reporter_id": taken.data.reporter_id},
    )


def detection_row(taken: TakenDetection, subject: Subject, item: ReviewItem | None) -> Detection:
    data = taken.data
    return Detection(
        subject=subject,
        policy=taken.policy,
        review_item=item,
        source=data.source,
        label=data.label,
        score=data.score,
        received_at=taken.at,
    )


def detection_event(taken: TakenDetection, detection: Detection) -> NewEvent:
    subject = detection.subject
    policy = taken.policy
    return NewEvent(
        actor=taken.actor,
        verb="detection.received",
        subject_kind=subject.kind,
        subject_external_id=subject.external_id,
        review_item_id=detection.review_item_id,
        after={
            "detection_id": str(detection.id),
            "source": taken.data.source,
            "score": taken.data.score,
            "policy": policy.code if policy else None,
        },
    )


@dataclass
class _Pending:
    index: int
    taken: Work
    subject: Subject
    context: SubjectContext
    item: ReviewItem | None = None
    events: list[NewEvent] = field(default_factory=list)


def load_subjects(refs: list[SubjectRef]) -> dict[tuple[str, str], Subject]:
    """Every subject the refs name, creating the missing ones bare; their accounts and streams cached."""
    wanted = list(dict.fromkeys(w for ref in refs for w in wanted_by(ref)))
    known = fetch(wanted)
    missing = sorted(w for w in wanted if w not in known)
    if missing:
        # Sorted, so concurrent batches take the unique-index entries in one order.
        Subject.objects.bulk_create([Subject(kind=k, external_id=e) for k, e in missing], ignore_conflicts=True)
        known.update(fetch(missing))
    by_pk = {s.pk: s for s in known.values()}
    far = {pk for s in known.values() for pk in (s.account_id, s.stream_id) if pk and pk not in by_pk}
    if far:
        by_pk.update({s.pk: s for s in Subject.objects.filter(pk__in=far)})
    for s in known.values():
        # Share one instance per row, so a change made for one report is seen by the next.
        if s.account_id:
            s.account = by_pk[s.account_id]
        if s.stream_id:
            s.stream = by_pk[s.stream_id]
    return known


def save_subjects(dirty: Dirty, now: datetime) -> None:
    """One UPDATE per set of changed columns (not per subject): never write a column nobody changed."""
    groups: dict[tuple[str, ...], list[Subject]] = {}
    for subject, fields in dirty.items():
        subject.updated_at = now
        groups.setdefault(tuple(sorted(fields)), []).append(subject)
    for changed, subjects in groups.items():
        bulk_set(Subject, subjects, [*changed, "updated_at"])


def take_reports(
    batch: Sequence[Work],
    order: list[int],
    recompute: Callable[[Subject, str], list[NewEvent]],
    now: datetime,
    writes: Statements,
) -> tuple[list[dict[str, Any]], list[NewEvent]]:
    """Record ``batch`` (taken in ``order``); the response bodies by batch index and the events, in order.

    A batch holds reports or detections, not both. The rows themselves (``Report`` or ``Detection``)
    are queued in ``writes``, for the caller to send with the event log's append (``record_with``).
    """
    require_transaction()
    known = load_subjects([t.data.subject for t in batch])

    def lookup(kind: SubjectKind, external_id: str) -> Subject:
        return known[(kind.value, external_id)]

    dirty: Dirty = {}
    done: list[_Pending] = []
    segment: list[_Pending] = []
    before: dict[int, list[NewEvent]] = {}
    for i in order:
        taken = batch[i]
        upserted = apply_ref(taken.data.subject, lookup, dirty)
        if upserted.live_changed:
            # The recompute reads the database: write what came before it first.
            _attach(segment)
            done += segment
            segment = []
            save_subjects(dirty, now)
            dirty = {}
            before[i] = recompute(upserted.subject, taken.actor)
        segment.append(_Pending(i, taken, upserted.subject, context_of(upserted.subject)))
    save_subjects(dirty, now)
    _attach(segment)
    done += segment
    rows = [p.taken.row(p.subject, p.item) for p in done]
    writes.insert(rows)
    bodies: list[dict[str, Any]] = [{} for _ in batch]
    events: list[NewEvent] = []
    for pending, row in zip(done, rows, strict=True):
        bodies[pending.index] = pending.taken.body(row)
        events += before.get(pending.index, [])
        events += pending.events
        events.append(pending.taken.event(row))
    return bodies, events


def _policy_of(pending: _Pending) -> Policy:
    policy = pending.taken.policy
    assert policy is not None
    return policy


def _attach(segment: list[_Pending]) -> None:
    """Attach the signals of ``segment`` that join an item: lock the open ones, open the missing, update the rest."""
    by_pair: dict[tuple[int, int], list[_Pending]] = {}
    for p in segment:
        if p.taken.attaches:
            by_pair.setdefault((p.subject.pk, _policy_of(p).pk), []).append(p)
    if not by_pair:
        return
    todo = list(by_pair)
    touched: dict[Any, ReviewItem] = {}
    for _ in range(_RACE_ROUNDS):
        existing = _lock_open_items(todo)
        opened: dict[tuple[int, int], ReviewItem] = {}
        for pair in todo:
            item = existing.get(pair)
            for p in by_pair[pair]:
                item = _take_signal(p, item)
                p.item = item
            assert item is not None
            if pair in existing:
                touched[item.pk] = item
            else:
                opened[pair] = item
        if not opened:
            break
        # A concurrent writer may open the same item between our read and our insert: the partial
        # unique index refuses ours, and those pairs are taken again against the winner's item.
        insert = Statements()
        insert.insert(list(opened.values()), returning=["id"], ignore_conflicts=True)
        stored = {as_uuid(row[0]) for row in insert.run()[0]}
        todo = [pair for pair, item in opened.items() if item.pk not in stored]
        if not todo:
            break
    else:
        raise IntegrityError("review items kept being opened concurrently; try again")
    if touched:
        bulk_set(ReviewItem, list(touched.values()), SIGNAL_FIELDS)


def _take_signal(p: _Pending, item: ReviewItem | None) -> ReviewItem:
    policy, actor = _policy_of(p), p.taken.actor
    if item is None:
        item = new_item(p.subject, policy, p.taken.signal, p.context)
        p.events = [opened_event(item, actor)]
        return item
    item.subject, item.policy = p.subject, policy
    p.events = add_signal(item, policy, p.taken.signal, p.context, actor)
    return item


def _lock_open_items(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], ReviewItem]:
    """The open items of ``pairs``, locked in one order so concurrent batches queue instead of deadlocking."""
    if not pairs:
        return {}
    wanted = set(pairs)
    if connection.vendor == "postgresql":
        # Exactly the wanted pairs, joined on two arrays: not every open item of those subjects
        # under any of those policies, and the same statement text whatever the batch size.
        subjects, policies = zip(*sorted(wanted), strict=True)
        found = list(
            ReviewItem.objects.raw(
                "SELECT r.* FROM review_reviewitem r JOIN unnest(%s::bigint[], %s::bigint[]) AS w(s, p) "
                "ON r.subject_id = w.s AND r.policy_id = w.p WHERE r.status <> %s "
                "ORDER BY r.subject_id, r.policy_id FOR UPDATE OF r",
                [list(subjects), list(policies), ItemStatus.CLOSED.value],
            )
        )
        for item in found:
            item.queue = queue_by_id(item.queue_id)
        return {(r.subject_id, r.policy_id): r for r in found}
    rows = (
        ReviewItem.objects.select_for_update(of=("self",))
        .select_related("queue")
        .filter(Q(subject_id__in={s for s, _ in wanted}) & Q(policy_id__in={p for _, p in wanted}))
        .exclude(status=ItemStatus.CLOSED)
        .order_by("subject_id", "policy_id")
    )
    return {(r.subject_id, r.policy_id): r for r in rows if (r.subject_id, r.policy_id) in wanted}
