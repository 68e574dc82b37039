"""NCMEC CyberTipline reports: drafted on a match, confirmed by a cleared reviewer, then submitted.

Submission runs NCMEC's documented flow (submit → upload → fileinfo → finish) with one event per
step, each written as the step succeeds, so the log shows exactly how far a submission got. A
failure after the report was opened retracts it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from modops.accounts.permissions import Perm, PermissionDenied
from modops.accounts.services import clearance_of, require
from modops.audit.services import NewEvent, record
from modops.childsafety.keys import evidence_cipher
from modops.childsafety.models import Evidence, NcmecReport, ReportStatus
from modops.media.cybertipline import CyberTiplineClient, CyberTiplineError
from modops.media.ncmec import (
    CyberTipReport,
    FileDetails,
    FileRelevance,
    IncidentSummary,
    IncidentType,
    Person,
    ReportedUser,
    Reporter,
    file_details_xml,
    report_xml,
)
from modops.review.models import ReviewItem
from modops.review.services.errors import Conflict, Invalid, NotFound

REQUIRED_CLEARANCE = 3


class NcmecNotConfigured(Exception):
    """``MODOPS_NCMEC_URL`` is not set: reports can be drafted and confirmed, not sent."""


def require_cleared(user: User) -> None:
    require(user, Perm.MEDIA_REVEAL_TIER3)
    if clearance_of(user) < REQUIRED_CLEARANCE:
        raise PermissionDenied(f"child-safety material needs clearance {REQUIRED_CLEARANCE}")


def _document(evidence: Evidence, item: ReviewItem | None) -> CyberTipReport:
    subject = evidence.subject
    account_id = evidence.account_external_id or None
    match = evidence.match
    return CyberTipReport(
        incident_summary=IncidentSummary(
            incident_type=IncidentType.CHILD_PORNOGRAPHY,
            incident_datetime=evidence.received_at,
            incident_datetime_description="time the file was uploaded to the service",
        ),
        reporter=Reporter(reporting_person=Person(emails=(settings.MODOPS_NCMEC_REPORTER_EMAIL,))),
        person_or_user_reported=ReportedUser(
            esp_identifier=account_id,
            esp_service=settings.MODOPS_NCMEC_ESP_SERVICE,
            screen_name=subject.display_name or None,
        ),
        additional_info=(
            f"The file matched hash list {evidence.bank_name!r} ({match.get('signal_type')}, distance "
            f"{match.get('distance')}) on upload as {subject.kind} {subject.external_id}."
        ),
    )


def _file_details(evidence: Evidence) -> dict[str, Any]:
    return {
        "file_name": f"{evidence.id}",
        "original_file_name": evidence.original_filename or None,
        "file_viewed_by_esp": False,
        "publicly_available": False,
        "file_relevance": FileRelevance.REPORTED.value,
        "original_file_hashes": [["MD5", evidence.md5], ["SHA256", evidence.sha256]],
    }


def file_details_document(report: NcmecReport, report_id: str, file_id: str) -> bytes:
    """The ``<fileDetails>`` for this report; the ids are NCMEC's, known only after the upload."""
    fields = report.file_details
    relevance = fields.get("file_relevance")
    return file_details_xml(
        FileDetails(
            report_id=report_id,
            file_id=file_id,
            file_name=fields.get("file_name"),
            original_file_name=fields.get("original_file_name"),
            file_viewed_by_esp=fields.get("file_viewed_by_esp"),
            publicly_available=fields.get("publicly_available"),
            file_relevance=FileRelevance(relevance) if relevance else None,
            original_file_hashes=tuple((str(k), str(v)) for k, v in fields.get("original_file_hashes", [])),
        )
    )


def draft_report(evidence: Evidence, item: ReviewItem | None) -> NcmecReport:
    return NcmecReport.objects.create(
        evidence=evidence,
        review_item=item,
        report_xml=report_xml(_document(evidence, item)).decode("utf-8"),
        file_details=_file_details(evidence),
    )


def _event(report: NcmecReport, actor: str, verb: str, after: dict[str, Any], reason: str = "") -> NewEvent:
    subject = report.evidence.subject
    return NewEvent(
        actor=actor,
        verb=verb,
        subject_kind=subject.kind,
        subject_external_id=subject.external_id,
        review_item_id=report.review_item_id,
        after={"report_id": str(report.id), **after},
        reason=reason,
    )


def get_report(user: User, report_id: uuid.UUID, *, for_update: bool = False) -> NcmecReport:
    require_cleared(user)
    rows = NcmecReport.objects.select_related("evidence", "evidence__subject")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    report = rows.filter(pk=report_id).first()
    if report is None:
        raise NotFound(f"NCMEC report {report_id}")
    return report


def confirm_report(user: User, report_id: uuid.UUID) -> NcmecReport:
    with transaction.atomic():
        report = get_report(user, report_id, for_update=True)
        if report.status != ReportStatus.DRAFT:
            raise Conflict(f"report is {report.status}, not a draft")
        report.status = ReportStatus.CONFIRMED
        report.confirmed_by = user
        report.confirmed_at = timezone.now()
        report.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        record([_event(report, f"staff:{user.get_username()}", "ncmec.report_confirmed", {})])
    return report


def configured_client() -> CyberTiplineClient:
    if not settings.MODOPS_NCMEC_URL:
        raise NcmecNotConfigured("MODOPS_NCMEC_URL is not set")
    return CyberTiplineClient(settings.MODOPS_NCMEC_URL, settings.MODOPS_NCMEC_USERNAME, settings.MODOPS_NCMEC_PASSWORD)


def _step(report: NcmecReport, actor: str, verb: str, after: dict[str, Any], **fields: Any) -> None:
    with transaction.atomic():
        for name, value in fields.items():
            setattr(report, name, value)
        if fields:
            report.save(update_fields=list(fields))
        record([_event(report, actor, verb, after)])


def submit_report(user: User, report_id: uuid.UUID, client: CyberTiplineClient | None = None) -> NcmecReport:
    """Send a confirmed report and its file to NCMEC. Network calls run outside any transaction."""
    actor = f"staff:{user.get_username()}"
    client = client or configured_client()
    with transaction.atomic():
        report = get_report(user, report_id, for_update=True)
        if report.status != ReportStatus.CONFIRMED:
            raise Conflict(f"report is {report.status}; only a confirmed report is submitted")
        evidence = report.evidence
        if evidence.sealed is None:
            raise Invalid("evidence", "the evidence was purged")
        record([_event(report, actor, "ncmec.submission_started", {})])
    data = evidence_cipher().open(bytes(evidence.sealed), aad=evidence.id.bytes)
    ncmec_id = ""
    try:
        ncmec_id = client.submit_xml(report.report_xml.encode("utf-8"))
        _step(report, actor, "ncmec.report_opened", {"ncmec_report_id": ncmec_id}, ncmec_report_id=ncmec_id)
        uploaded = client.upload(ncmec_id, f"{evidence.id}", data)
        file_id = uploaded.file_id or ""
        _step(report, actor, "ncmec.file_uploaded", {"file_id": file_id, "hash": uploaded.hash}, ncmec_file_id=file_id)
        client.file_info_xml(file_details_document(report, ncmec_id, file_id))
        _step(report, actor, "ncmec.file_details_sent", {"file_id": file_id})
        client.finish(ncmec_id)
        _step(
            report,
            actor,
            "ncmec.report_submitted",
            {"ncmec_report_id": ncmec_id},
            status=ReportStatus.SUBMITTED,
            submitted_at=timezone.now(),
        )
    except CyberTiplineError as exc:
        _fail(report, actor, ncmec_id, client, str(exc))
        raise
    return report


def _fail(report: NcmecReport, actor: str, ncmec_id: str, client: CyberTiplineClient, error: str) -> None:
    retracted = False
    if ncmec_id:
        try:
            client.retract(ncmec_id)
            retracted = True
        except CyberTiplineError:
            retracted = False
    # A failed attempt goes back to confirmed so it can be sent again; the log keeps the failure.
    _step(
        report,
        actor,
        "ncmec.submission_failed",
        {"ncmec_report_id": ncmec_id or None, "retracted": retracted, "error": error[:500]},
        status=ReportStatus.CONFIRMED,
        last_error=error[:2000],
        ncmec_report_id="",
        ncmec_file_id="",
    )
