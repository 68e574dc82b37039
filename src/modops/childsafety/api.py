"""Child-safety API: quarantined evidence and NCMEC reports, for staff with clearance 3 only."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from modops.api.auth import moderation_auth, staff_of
from modops.api.schemas import ErrorOut
from modops.childsafety import services
from modops.childsafety.models import Evidence, NcmecReport
from modops.media.cybertipline import CyberTiplineError

router = Router(tags=["child safety"], auth=moderation_auth)


class EvidenceOut(Schema):
    id: str
    subject: dict[str, str]
    review_item_id: str | None
    account_id: str
    bank: str
    match: dict[str, object]
    content_type: str
    size: int
    md5: str
    sha256: str
    received_at: datetime
    preserve_until: datetime
    legal_hold: bool
    purged: bool
    reports: list[str]


def _evidence_out(evidence: Evidence) -> dict[str, object]:
    return {
        "id": str(evidence.id),
        "subject": {"kind": evidence.subject.kind, "id": evidence.subject.external_id},
        "review_item_id": str(evidence.review_item_id) if evidence.review_item_id else None,
        "account_id": evidence.account_external_id,
        "bank": evidence.bank_name,
        "match": evidence.match,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "md5": evidence.md5,
        "sha256": evidence.sha256,
        "received_at": evidence.received_at,
        "preserve_until": evidence.preserve_until,
        "legal_hold": evidence.legal_hold,
        "purged": evidence.purged_at is not None,
        "reports": [str(r) for r in NcmecReport.objects.filter(evidence=evidence).values_list("id", flat=True)],
    }


@router.get("/child-safety/evidence/{evidence_id}", response={200: EvidenceOut, 403: ErrorOut, 404: ErrorOut})
def read_evidence(request: HttpRequest, evidence_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Metadata of quarantined evidence. Clearance 3; refusals are logged."""
    return _evidence_out(services.get_evidence(staff_of(request), evidence_id))


@router.get(
    "/child-safety/evidence/{evidence_id}/media",
    response={200: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def evidence_media(request: HttpRequest, evidence_id: uuid.UUID, reveal: bool = False):  # type: ignore[no-untyped-def]
    """The evidence file: blurred greyscale PNG by default; ``reveal=true`` for the original. Every view is logged."""
    rendition = services.view_media(staff_of(request), evidence_id, reveal)
    response = HttpResponse(rendition.data, content_type=rendition.content_type)
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = "inline" if rendition.safe else "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


class LegalHoldIn(Schema):
    hold: bool
    reason: str = Field(min_length=1, max_length=500)


@router.post(
    "/child-safety/evidence/{evidence_id}/legal-hold", response={200: EvidenceOut, 403: ErrorOut, 404: ErrorOut}
)
def legal_hold(request: HttpRequest, evidence_id: uuid.UUID, payload: LegalHoldIn):  # type: ignore[no-untyped-def]
    return _evidence_out(services.set_legal_hold(staff_of(request), evidence_id, payload.hold, payload.reason))


class ReportOut(Schema):
    id: str
    evidence_id: str
    status: str
    report_xml: str
    file_details: dict[str, object]
    ncmec_report_id: str
    confirmed_by: str | None
    submitted_at: datetime | None
    last_error: str


def _report_out(report: NcmecReport) -> dict[str, object]:
    return {
        "id": str(report.id),
        "evidence_id": str(report.evidence_id),
        "status": report.status,
        "report_xml": report.report_xml,
        "file_details": report.file_details,
        "ncmec_report_id": report.ncmec_report_id,
        "confirmed_by": report.confirmed_by.get_username() if report.confirmed_by else None,
        "submitted_at": report.submitted_at,
        "last_error": report.last_error,
    }


@router.get("/child-safety/reports/{report_id}", response={200: ReportOut, 403: ErrorOut, 404: ErrorOut})
def read_report(request: HttpRequest, report_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _report_out(services.get_report(staff_of(request), report_id))


@router.post(
    "/child-safety/reports/{report_id}/confirm", response={200: ReportOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
)
def confirm_report(request: HttpRequest, report_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A cleared reviewer confirms the draft is right to send."""
    return _report_out(services.confirm_report(staff_of(request), report_id))


@router.post(
    "/child-safety/reports/{report_id}/submit",
    response={200: ReportOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 502: ErrorOut, 503: ErrorOut},
)
def submit_report(request: HttpRequest, report_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Send a confirmed report to NCMEC (submit, upload, file details, finish); each step is logged."""
    try:
        return _report_out(services.submit_report(staff_of(request), report_id))
    except services.NcmecNotConfigured as exc:
        return Status(503, {"detail": f"NCMEC reporting is not configured: {exc}"})
    except CyberTiplineError as exc:
        return Status(502, {"detail": f"NCMEC refused the submission: {exc}"})
