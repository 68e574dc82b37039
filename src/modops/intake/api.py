"""Intake API: reports and detections."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Header, Router, Schema
from ninja.responses import Status
from pydantic import Field

from modops.api.auth import actor_of, intake_auth, token_of
from modops.api.schemas import ErrorOut, ExternalId, Language, SubjectIn
from modops.intake import groupcommit
from modops.intake.models import ReportSource
from modops.intake.services import (
    MAX_BATCH,
    DetectionInput,
    ReportInput,
    idempotent,
    request_digest,
    submit_detection,
    submit_report,
    submit_reports,
)

router = Router(tags=["intake"], auth=intake_auth)


class ReportIn(Schema):
    subject: SubjectIn
    policy: str = Field(min_length=1, max_length=50)
    reporter_id: ExternalId
    text: str = Field(default="", max_length=10_000)
    language: Language = ""
    source: Literal["user", "trusted_flagger"] = "user"
    reporter_trust: float = Field(default=0.5, ge=0, le=1)


class ReportAccepted(Schema):
    report_id: str
    review_item_id: str


class ReportBatchIn(Schema):
    reports: list[ReportIn] = Field(min_length=1, max_length=MAX_BATCH)


class ReportBatchAccepted(Schema):
    results: list[ReportAccepted]


class DetectionIn(Schema):
    subject: SubjectIn
    source: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+(:[A-Za-z0-9_.\-]+)?$")
    policy: str | None = Field(default=None, min_length=1, max_length=50)
    label: str = Field(default="", max_length=100)
    score: float = Field(ge=0, le=1)
    language: Language = ""


class DetectionAccepted(Schema):
    detection_id: str
    review_item_id: str | None
    actions: list[dict[str, object]]


IdempotencyKey: Any = Header(default=None, alias="Idempotency-Key", max_length=200)  # type: ignore[type-arg]


@router.post("/reports", response={202: ReportAccepted, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut})
def create_report(request: HttpRequest, payload: ReportIn, idempotency_key: str | None = IdempotencyKey):  # type: ignore[no-untyped-def]
    """A person's report on a subject. Repeats with the same ``Idempotency-Key`` return the first response."""
    data = _report_input(payload)
    actor = actor_of(request)
    if not idempotency_key and groupcommit.enabled():
        # Committed with the other reports this process is taking at the same moment.
        return Status(202, groupcommit.committer().submit(data, actor))
    return Status(
        *idempotent(
            token_of(request),
            "reports",
            idempotency_key,
            request_digest(request.body),
            lambda: submit_report(data, actor),
        )
    )


def _report_input(payload: ReportIn) -> ReportInput:
    return ReportInput(
        subject=payload.subject.to_ref(),
        policy_code=payload.policy,
        reporter_id=payload.reporter_id,
        text=payload.text,
        language=payload.language.lower(),
        source=ReportSource(payload.source),
        reporter_trust=payload.reporter_trust,
    )


@router.post("/reports/batch", response={202: ReportBatchAccepted, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut})
def create_reports(request: HttpRequest, payload: ReportBatchIn, idempotency_key: str | None = IdempotencyKey):  # type: ignore[no-untyped-def]
    """Up to 500 reports in one call, accepted together or refused together (the bad one is named)."""
    batch = [_report_input(r) for r in payload.reports]
    actor = actor_of(request)
    return Status(
        *idempotent(
            token_of(request),
            "reports:batch",
            idempotency_key,
            request_digest(request.body),
            lambda: {"results": submit_reports(batch, actor)},
        )
    )


@router.post("/detections", response={202: DetectionAccepted, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut})
def create_detection(request: HttpRequest, payload: DetectionIn, idempotency_key: str | None = IdempotencyKey):  # type: ignore[no-untyped-def]
    """An automated signal (``automod``, ``hash_match``, ``classifier:<name>``) with a score 0..1."""
    data = DetectionInput(
        subject=payload.subject.to_ref(),
        source=payload.source,
        score=payload.score,
        policy_code=payload.policy,
        label=payload.label,
        language=payload.language.lower(),
    )
    actor = actor_of(request)
    return Status(
        *idempotent(
            token_of(request),
            "detections",
            idempotency_key,
            request_digest(request.body),
            lambda: submit_detection(data, actor),
        )
    )
