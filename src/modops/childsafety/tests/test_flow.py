"""The child-safety flow end to end: match → quarantine → restricted item → interim suspension
delivered → NCMEC report draft → confirmation and submission → evidence that opens only with the key."""

from __future__ import annotations

import base64
import json
import os
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

from modops.audit.models import Event
from modops.childsafety.models import Evidence, NcmecReport, ReportStatus
from modops.childsafety.services import purge_expired
from modops.conftest import Api
from modops.enforcement.models import Action, Adapter, OutboxMessage, OutboxStatus
from modops.enforcement.services import deliver_due
from modops.hashbanks.models import BankKind
from modops.hashbanks.services import BankSettings, add_hash, create_bank
from modops.hashbanks.tests.helpers import image_bytes, upload
from modops.media.evidence import EvidenceCipher, EvidenceKeyError
from modops.media.tests.ncmec_server import REPORT_ORDER, FakeCyberTipline
from modops.review.models import ReviewItem
from modops.review.services.items import Signal, attach_signal
from modops.testing.factories import report_body, token_for

KEY = base64.b64encode(os.urandom(32)).decode()
pytestmark = [pytest.mark.django_db]


@pytest.fixture
def csam_bank(settings):
    settings.MODOPS_EVIDENCE_KEY = KEY
    create_bank(
        "NCMEC CSAM",
        BankSettings(kind=BankKind.CSAM, interim_action={"type": "suspension", "duration_seconds": 2592000}),
        "test",
    )
    data = image_bytes(42)
    add_hash("NCMEC CSAM", "pdq", pdq_from_bytes(data)[0], "test")
    return data


def _match(data: bytes, account: str = "acc_bad") -> dict:
    token = token_for(["intake"], name="platform")
    response = upload(token, data, {"kind": "image", "id": "img_cs1", "account_id": account}, name="photo.jpg")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_csam_match_runs_the_whole_workflow(csam_bank, receiver, staff_api):
    Adapter.objects.create(name="platform", kind="webhook", config={"url": receiver.url, "secret": "s3cret"})
    # A live, widely watched report already waits in the child-safety queue.
    waiting = Api(token_for(["intake"], name="reports")).post(
        "/reports", report_body("st_big", policy="youth_safety", viewers=90_000)
    )
    assert waiting.status_code == 202, waiting.content
    altered = image_bytes(42, "JPEG", quality=75)
    body = _match(altered)
    [detection] = body["detections"]
    assert (detection["bank"], detection["bank_kind"]) == ("NCMEC CSAM", "csam")

    # Restricted review item at the top of the child-safety queue.
    item = ReviewItem.objects.get(pk=detection["review_item_id"])
    assert (item.queue.slug, item.queue.clearance_tier, item.tier) == ("child-safety", 3, 3)
    others = ReviewItem.objects.filter(queue=item.queue).exclude(pk=item.pk)
    assert others.exists() and all(item.priority > other.priority for other in others)
    assert Event.objects.filter(verb="review_item.reprioritised", review_item_id=item.id).exists()

    # Quarantined: sealed, held for a year, opens only with the key and only for this record.
    evidence = Evidence.objects.get(pk=detection["evidence_id"])
    assert altered not in bytes(evidence.sealed)
    assert evidence.legal_hold and evidence.preserve_until - evidence.received_at >= timedelta(days=365)
    assert EvidenceCipher(base64.b64decode(KEY)).open(bytes(evidence.sealed), aad=evidence.id.bytes) == altered
    with pytest.raises(EvidenceKeyError):
        EvidenceCipher(os.urandom(32)).open(bytes(evidence.sealed), aad=evidence.id.bytes)

    # Interim suspension of the uploading account, delivered through the outbox to the webhook.
    action = Action.objects.get(subject__external_id="acc_bad")
    assert (action.type, action.automated) == ("suspension", True)
    assert deliver_due() >= 1
    assert OutboxMessage.objects.get(action=action).status == OutboxStatus.DELIVERED
    [delivered] = [json.loads(r.body) for r in receiver.requests]
    assert (delivered["action"]["type"], delivered["target"]) == ("suspension", {"kind": "account", "id": "acc_bad"})

    # The report draft: well-formed, NCMEC's element order, the reported user and the file hashes.
    report = NcmecReport.objects.get(evidence=evidence)
    root = ET.fromstring(report.report_xml)  # noqa: S314 - our own document
    ranks = [REPORT_ORDER.index(child.tag) for child in root]
    assert ranks == sorted(ranks) and root.findtext("personOrUserReported/espIdentifier") == "acc_bad"
    assert ["MD5", evidence.md5] in report.file_details["original_file_hashes"]

    # A cleared reviewer sees it blurred first, then confirms and submits; each step is an event.
    _, lead_api = staff_api("cs_lead", clearance=3, role="team_lead")
    safe = lead_api.get(f"/child-safety/evidence/{evidence.id}/media")
    assert safe.status_code == 200 and safe["Content-Type"] == "image/png" and safe.content != altered
    assert lead_api.post(f"/child-safety/reports/{report.id}/confirm").json()["status"] == "confirmed"
    with (
        FakeCyberTipline("esp", "pw") as server,
        override_settings(MODOPS_NCMEC_URL=server.url, MODOPS_NCMEC_USERNAME="esp", MODOPS_NCMEC_PASSWORD="pw"),
    ):
        submitted = lead_api.post(f"/child-safety/reports/{report.id}/submit")
        assert submitted.status_code == 200, submitted.content
        assert server.calls == ["/submit", "/upload", "/fileinfo", "/finish"]
        [sent] = server.reports.values()
        assert sent["state"] == "finished"
        [file_info] = [f["info"] for f in sent["files"].values()]
        hashes = {n.get("hashType"): n.text for n in ET.fromstring(file_info).iter("originalFileHash")}  # noqa: S314
        assert hashes == {"MD5": evidence.md5, "SHA256": evidence.sha256}
    assert NcmecReport.objects.get(pk=report.id).status == ReportStatus.SUBMITTED
    verbs = list(Event.objects.filter(verb__startswith="ncmec.").order_by("id").values_list("verb", flat=True))
    assert verbs == [
        "ncmec.report_drafted",
        "ncmec.report_confirmed",
        "ncmec.submission_started",
        "ncmec.report_opened",
        "ncmec.file_uploaded",
        "ncmec.file_details_sent",
        "ncmec.report_submitted",
    ]
    assert Event.objects.filter(verb="evidence.viewed", actor="staff:cs_lead").count() == 1


def test_a_tier_one_moderator_is_refused_the_item_and_the_media_and_it_is_logged(csam_bank, moderator_api):
    evidence = Evidence.objects.get(pk=_match(image_bytes(42))["detections"][0]["evidence_id"])
    assert moderator_api.get(f"/review-items/{evidence.review_item_id}").status_code == 403
    [refused] = Event.objects.filter(verb="review_item.access_denied", review_item_id=evidence.review_item_id)
    assert refused.actor == "staff:mod1" and refused.after["item_tier"] == 3 and refused.after["clearance"] < 3
    for path in (f"/child-safety/evidence/{evidence.id}", f"/child-safety/evidence/{evidence.id}/media"):
        assert moderator_api.get(path).status_code == 403
    assert moderator_api.get(f"/child-safety/evidence/{evidence.id}/media", reveal="true").status_code == 403
    denied = Event.objects.filter(verb="evidence.access_denied", actor="staff:mod1")
    assert sorted(e.after["wanted"] for e in denied) == ["metadata", "original", "safe"]
    assert not Event.objects.filter(verb__in=["evidence.viewed", "evidence.revealed"]).exists()


def test_retention_purges_expired_evidence_but_never_held_evidence(csam_bank):
    evidence = Evidence.objects.get(pk=_match(image_bytes(42))["detections"][0]["evidence_id"])
    later = timezone.now() + timedelta(days=400)
    assert purge_expired(now=later) == 0
    assert Evidence.objects.get(pk=evidence.pk).sealed is not None
    Evidence.objects.filter(pk=evidence.pk).update(legal_hold=False)
    assert purge_expired(now=timezone.now()) == 0  # not yet past its year
    assert purge_expired(now=later) == 1
    purged = Evidence.objects.get(pk=evidence.pk)
    assert purged.sealed is None and purged.purged_at is not None


def test_a_failed_submission_retracts_the_opened_report(csam_bank, staff_api):
    report = NcmecReport.objects.get(evidence_id=_match(image_bytes(42))["detections"][0]["evidence_id"])
    _, lead_api = staff_api("cs_lead", clearance=3, role="team_lead")
    lead_api.post(f"/child-safety/reports/{report.id}/confirm")
    with (
        FakeCyberTipline("esp", "pw") as server,
        override_settings(MODOPS_NCMEC_URL=server.url, MODOPS_NCMEC_USERNAME="esp", MODOPS_NCMEC_PASSWORD="pw"),
    ):
        original = server.route

        def refuse_fileinfo(request, path, body):
            if path == "/fileinfo":
                return 4200, "unknown fileId", {}
            return original(request, path, body)

        server.route = refuse_fileinfo
        response = lead_api.post(f"/child-safety/reports/{report.id}/submit")
        assert response.status_code == 502
        assert server.calls[-1] == "/retract"
        assert [r["state"] for r in server.reports.values()] == ["retracted"]
    stored = NcmecReport.objects.get(pk=report.id)
    assert stored.status == ReportStatus.CONFIRMED and "unknown fileId" in stored.last_error
    assert Event.objects.filter(verb="ncmec.submission_failed", after__retracted=True).exists()


def test_submission_without_configuration_is_refused_without_side_effects(csam_bank, staff_api):
    report = NcmecReport.objects.get(evidence_id=_match(image_bytes(42))["detections"][0]["evidence_id"])
    _, lead_api = staff_api("cs_lead", clearance=3, role="team_lead")
    lead_api.post(f"/child-safety/reports/{report.id}/confirm")
    assert lead_api.post(f"/child-safety/reports/{report.id}/submit").status_code == 503
    assert not Event.objects.filter(verb="ncmec.submission_started").exists()


def test_a_later_signal_does_not_lower_the_top_priority_of_a_csam_item(csam_bank):
    waiting = Api(token_for(["intake"], name="reports")).post(
        "/reports", report_body("st_big", policy="youth_safety", viewers=90_000)
    )
    assert waiting.status_code == 202, waiting.content
    item = ReviewItem.objects.get(pk=_match(image_bytes(42))["detections"][0]["review_item_id"])
    top = item.priority
    assert item.priority_floor == top
    with transaction.atomic():
        attach_signal(
            item.subject,
            item.policy,
            Signal(is_report=True, confidence=0.1, language="", at=timezone.now()),
            "test",
        )
    later = ReviewItem.objects.get(pk=item.pk)
    assert later.report_count == 1 and later.priority == top
    others = ReviewItem.objects.filter(queue=later.queue).exclude(pk=later.pk)
    assert others.exists() and all(later.priority > other.priority for other in others)
