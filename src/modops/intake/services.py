"""Intake: reports and detections in, review items out."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from modops.accounts.models import ApiToken
from modops.audit.services import NewEvent, record, record_with
from modops.dbretry import retrying
from modops.intake.batch import DETECTION_REVIEW_THRESHOLD as DETECTION_REVIEW_THRESHOLD
from modops.intake.batch import (
    Taken,
    TakenDetection,
    detection_event,
    detection_row,
    received_event,
    report_row,
    take_reports,
)
from modops.intake.models import IdempotencyRecord, ReportSource
from modops.policies.models import Policy
from modops.policies.services import UnknownPolicy, get_policy
from modops.review.services import attach_signal, recompute_for_subject
from modops.review.services.errors import Invalid
from modops.statements import Statements
from modops.subjects.kinds import SubjectKind
from modops.subjects.services import SubjectRef, upsert


@dataclass(frozen=True)
class ReportInput:
    subject: SubjectRef
    policy_code: str
    reporter_id: str
    text: str = ""
    language: str = ""
    source: ReportSource = ReportSource.USER
    reporter_trust: float = 0.5
    #: When it was received; only replays and the demo set it, the API never does.
    at: datetime | None = None


@dataclass(frozen=True)
class DetectionInput:
    subject: SubjectRef
    source: str
    score: float
    policy_code: str | None = None
    label: str = ""
    language: str = ""
    at: datetime | None = None


def _subject_events(upserted_subject: Any, live_changed: bool, actor: str) -> list[NewEvent]:
    if not live_changed:
        return []
    # A chat message or clip can carry its stream's new live state: recompute the whole stream
    # (its own items and everything reported inside it), which includes this subject.
    if upserted_subject.kind != SubjectKind.STREAM and upserted_subject.stream_id:
        return recompute_for_subject(upserted_subject.stream, actor)
    return recompute_for_subject(upserted_subject, actor)


def _take_report(data: ReportInput, policy: Policy, actor: str, now: datetime) -> tuple[dict[str, Any], list[NewEvent]]:
    taken = Taken(data, policy, actor, now)
    upserted = upsert(data.subject)
    subject = upserted.subject
    events = _subject_events(subject, upserted.live_changed, actor)
    item, item_events = attach_signal(subject, policy, taken.signal, actor)
    report = report_row(taken, subject, item)
    report.save(force_insert=True)
    events.extend(item_events)
    events.append(received_event(taken, report))
    return {"report_id": str(report.id), "review_item_id": str(item.id)}, events


def submit_report(data: ReportInput, actor: str) -> dict[str, Any]:
    """Record a report and attach it to its subject's open item; returns the API response body."""
    policy = get_policy(data.policy_code)
    now = data.at or timezone.now()
    with transaction.atomic():
        body, events = _take_report(data, policy, actor, now)
        record(events, at=now)
    return body


#: Most reports a batch may carry.
MAX_BATCH = 500


def _batch_policies(what: str, codes: list[str | None], required: bool) -> list[Policy | None]:
    """The policy each signal of a batch names (None where it may name none); a bad one is named by index."""
    if not 1 <= len(codes) <= MAX_BATCH:
        raise Invalid(what, f"send 1 to {MAX_BATCH} {what} per batch")
    policies: list[Policy | None] = []
    for i, code in enumerate(codes):
        try:
            policies.append(get_policy(code or "") if code or required else None)
        except UnknownPolicy:
            raise Invalid(f"{what}.{i}.policy", f"unknown policy {code!r}") from None
    return policies


def submit_reports(batch: list[ReportInput], actor: str, set_based: bool = True) -> list[dict[str, Any]]:
    """Record a batch of reports in one transaction: all are accepted, or none (a bad one is named).

    One transaction and one append to the event log for the whole batch: the way for a platform to
    send a flood of reports cheaply. Set-based (a fixed number of statements per batch) unless
    ``set_based`` is false, which takes the reports one by one with the same effect.
    """
    policies = cast(list[Policy], _batch_policies("reports", [data.policy_code for data in batch], required=True))
    now = timezone.now()
    # Take rows in one global order so concurrent batches queue behind each other instead of deadlocking.
    order = sorted(range(len(batch)), key=lambda i: _lock_key(batch[i]))
    writes = Statements()
    with transaction.atomic():
        if not set_based:
            bodies: list[dict[str, Any]] = [{} for _ in batch]
            events: list[NewEvent] = []
            for i in order:
                bodies[i], taken = _take_report(batch[i], policies[i], actor, now)
                events.extend(taken)
        else:
            work = [Taken(data, policies[i], actor, now) for i, data in enumerate(batch)]
            bodies, events = take_reports(work, order, _recompute, now, writes)
        record_with(writes, lambda _: events, at=now, last=True)
    return bodies


def submit_group(group: list[tuple[ReportInput, Policy, str]]) -> list[dict[str, Any]]:
    """Record reports from several requests (each with its policy and actor) in one transaction."""
    now = timezone.now()
    work = [Taken(data, policy, actor, data.at or now) for data, policy, actor in group]
    order = sorted(range(len(work)), key=lambda i: _lock_key(work[i].data))
    writes = Statements()
    with transaction.atomic():
        bodies, events = take_reports(work, order, _recompute, now, writes)
        record_with(writes, lambda _: events, at=now, last=True)
    return bodies


def _recompute(subject: Any, actor: str) -> list[NewEvent]:
    return _subject_events(subject, True, actor)


def _lock_key(data: ReportInput | DetectionInput) -> tuple[str, ...]:
    s = data.subject
    return (s.account_id or "", s.channel_id or "", s.stream_id or "", s.kind.value, s.id, data.policy_code or "")


def _take_detection(
    data: DetectionInput, policy: Policy | None, actor: str, now: datetime
) -> tuple[dict[str, Any], list[NewEvent]]:
    taken = TakenDetection(data, policy, actor, now)
    upserted = upsert(data.subject)
    subject = upserted.subject
    events = _subject_events(subject, upserted.live_changed, actor)
    item = None
    if taken.attaches:
        assert policy is not None
        item, item_events = attach_signal(subject, policy, taken.signal, actor)
        events.extend(item_events)
    detection = detection_row(taken, subject, item)
    detection.save(force_insert=True)
    events.append(detection_event(taken, detection))
    return taken.body(detection), events


def submit_detection(data: DetectionInput, actor: str) -> dict[str, Any]:
    """Record a detection; a score at or above the threshold opens (or joins) a review item."""
    policy: Policy | None = get_policy(data.policy_code) if data.policy_code else None
    now = data.at or timezone.now()
    with transaction.atomic():
        body, events = _take_detection(data, policy, actor, now)
        record(events, at=now)
    return body


def submit_detections(batch: list[DetectionInput], actor: str, set_based: bool = True) -> list[dict[str, Any]]:
    """Record a batch of detections in one transaction, with one append to the event log.

    The same effect as ``submit_detection`` for each, taken in lock order (so concurrent batches
    queue instead of deadlocking); set-based unless ``set_based`` is false. Unknown policies are
    refused for the whole batch, as for reports.
    """
    policies = _batch_policies("detections", [data.policy_code for data in batch], required=False)
    now = timezone.now()
    order = sorted(range(len(batch)), key=lambda i: _lock_key(batch[i]))
    writes = Statements()
    with transaction.atomic():
        if not set_based:
            bodies: list[dict[str, Any]] = [{} for _ in batch]
            events: list[NewEvent] = []
            for i in order:
                bodies[i], taken = _take_detection(batch[i], policies[i], actor, batch[i].at or now)
                events.extend(taken)
        else:
            work = [TakenDetection(data, policies[i], actor, data.at or now) for i, data in enumerate(batch)]
            bodies, events = take_reports(work, order, _recompute, now, writes)
        record_with(writes, lambda _: events, at=now, last=True)
    return bodies


class IdempotencyMismatch(Exception):
    """The key was used before with a different request body."""


def request_digest(body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def idempotent(
    token: ApiToken, endpoint: str, key: str | None, digest: str, work: Callable[[], dict[str, Any]], status: int = 202
) -> tuple[int, dict[str, Any]]:
    """Run ``work`` once per (token, endpoint, key); a repeat returns the first response.

    The record is written in the same transaction as the work, so a crash leaves neither; two
    concurrent first attempts race on the unique key and the loser returns the winner's response.
    """
    if not key:
        return status, retrying(work)

    def stored() -> tuple[int, dict[str, Any]] | None:
        found = IdempotencyRecord.objects.filter(token=token, endpoint=endpoint, key=key).first()
        if found is None:
            return None
        if found.request_digest != digest:
            raise IdempotencyMismatch(key)
        return found.status_code, dict(found.body)

    previous = stored()
    if previous is not None:
        return previous

    def once() -> dict[str, Any]:
        with transaction.atomic():
            body = work()
            IdempotencyRecord.objects.create(
                token=token, endpoint=endpoint, key=key, request_digest=digest, status_code=status, body=body
            )
        return body

    try:
        body = retrying(once)
    except IntegrityError:
        previous = stored()
        if previous is None:
            raise
        return previous
    return status, body
