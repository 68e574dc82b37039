from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone

import pytest

from modops.media.cybertipline import CyberTiplineClient, CyberTiplineError, parse_report_response
from modops.media.ncmec import (
    ChatImIncident,
    CyberTipReport,
    FileDetails,
    FileRelevance,
    IncidentSummary,
    IncidentType,
    IndustryClassification,
    IpCaptureEvent,
    IpEventName,
    LawEnforcement,
    Person,
    ReportAnnotation,
    ReportedUser,
    Reporter,
    WebPageIncident,
    file_details_xml,
    report_xml,
)

from .ncmec_server import REPORT_ORDER, FakeCyberTipline

WHEN = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def _report(**changes: object) -> CyberTipReport:
    fields: dict[str, object] = {
        "incident_summary": IncidentSummary(
            IncidentType.ONLINE_ENTICEMENT, WHEN, annotations=(ReportAnnotation.SEXTORTION,)
        ),
        "reporter": Reporter(
            Person("Trust", "Safety", emails=("ts@example.org",)), legal_url="https://example.org/legal"
        ),
        "internet_details": (
            ChatImIncident("stream chat", "#channel", "message <with> & markup"),
            WebPageIncident(("https://example.org/clip/1",)),
        ),
        "law_enforcement": LawEnforcement("Example PD", case_number="42"),
        "person_or_user_reported": ReportedUser(
            esp_identifier="u123",
            screen_name="badactor",
            ip_capture_events=(IpCaptureEvent("192.0.2.1", IpEventName.LOGIN, WHEN, possible_proxy=False),),
        ),
        "intended_recipients": (ReportedUser(screen_name="kid1"),),
        "victims": (ReportedUser(screen_name="kid2"),),
        "additional_info": "see attached",
    }
    fields.update(changes)
    return CyberTipReport(**fields)  # type: ignore[arg-type]


def test_report_children_follow_ncmecs_order_and_text_is_escaped() -> None:
    root = ET.fromstring(report_xml(_report()))  # noqa: S314  (documents built by this library)
    tags = [child.tag for child in root]
    assert tags == [
        "incidentSummary",
        "internetDetails",
        "internetDetails",
        "lawEnforcement",
        "reporter",
        "personOrUserReported",
        "intendedRecipient",
        "victim",
        "additionalInfo",
    ]
    assert [REPORT_ORDER.index(t) for t in tags] == sorted(REPORT_ORDER.index(t) for t in tags)
    summary = root.find("incidentSummary")
    assert summary is not None
    assert [c.tag for c in summary] == ["incidentType", "reportAnnotations", "incidentDateTime"]
    assert summary.findtext("incidentDateTime") == "2026-03-01T12:30:00+00:00"
    assert root.findtext("internetDetails/chatImIncident/content") == "message <with> & markup"
    assert root.findtext("reporter/reportingPerson/email") == "ts@example.org"
    assert root.findtext("personOrUserReported/ipCaptureEvent/eventName") == "Login"


def test_minimal_report_has_only_summary_and_reporter() -> None:
    minimal = CyberTipReport(
        IncidentSummary(IncidentType.CHILD_PORNOGRAPHY, WHEN.astimezone(timezone(timedelta(hours=-5)))),
        Reporter(Person(emails=("ts@example.org",))),
    )
    root = ET.fromstring(report_xml(minimal))  # noqa: S314  (documents built by this library)
    assert [c.tag for c in root] == ["incidentSummary", "reporter"]
    assert root.findtext("incidentSummary/incidentDateTime", "").endswith("-05:00")


def test_naive_datetimes_and_missing_reporter_email_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        report_xml(_report(incident_summary=IncidentSummary(IncidentType.CHILD_SEX_TOURISM, datetime(2026, 1, 1))))
    with pytest.raises(ValueError, match="email"):
        Reporter(Person("No", "Email"))


def test_file_details_carry_hashes_with_their_type() -> None:
    details = FileDetails(
        report_id="1",
        file_id="f1",
        original_file_name="clip.mp4",
        file_viewed_by_esp=True,
        file_relevance=FileRelevance.REPORTED,
        file_annotations=("liveStreaming",),
        industry_classification=IndustryClassification.A1,
        original_file_hashes=(("MD5", "d41d8cd98f00b204e9800998ecf8427e"), ("PDQ", "ab" * 32)),
        details=(("HASH", "vpdq-frames", "12"),),
    )
    root = ET.fromstring(file_details_xml(details))  # noqa: S314  (documents built by this library)
    hashes = root.findall("originalFileHash")
    assert (hashes[0].get("hashType"), hashes[0].text) == ("MD5", "d41d8cd98f00b204e9800998ecf8427e")
    assert root.findtext("fileViewedByEsp") == "true"
    assert root.find("fileAnnotations/liveStreaming") is not None
    assert root.find("details").get("type") == "HASH"  # type: ignore[union-attr]


def test_client_runs_the_whole_flow_against_the_api() -> None:
    with FakeCyberTipline("esp", "s3cret") as server:
        client = CyberTiplineClient(server.url, "esp", "s3cret")
        assert client.status().response_code == 0
        report_id = client.submit(_report())
        data = b"\x89PNG evidence bytes"
        uploaded = client.upload(report_id, 'odd"name.png', data)
        assert uploaded.hash == hashlib.md5(data, usedforsecurity=False).hexdigest()
        assert uploaded.file_id is not None
        client.file_info(FileDetails(report_id, uploaded.file_id, original_file_hashes=(("MD5", uploaded.hash),)))
        assert client.finish(report_id).report_id == report_id
        assert server.calls == ["/status", "/submit", "/upload", "/fileinfo", "/finish"]
        assert server.reports[report_id]["state"] == "finished"
        with pytest.raises(CyberTiplineError, match="not open") as error:
            client.upload(report_id, "late.png", b"x")
        assert error.value.code == 4100


def test_retract_cancels_an_open_report() -> None:
    with FakeCyberTipline("esp", "pw") as server:
        client = CyberTiplineClient(server.url, "esp", "pw")
        report_id = client.submit(_report())
        client.retract(report_id)
        assert server.reports[report_id]["state"] == "retracted"
        with pytest.raises(CyberTiplineError):
            client.finish(report_id)


def test_wrong_credentials_are_reported() -> None:
    with FakeCyberTipline("esp", "pw") as server:
        client = CyberTiplineClient(server.url, "esp", "wrong")
        with pytest.raises(CyberTiplineError, match="authentication"):
            client.status()
        assert "wrong" not in repr(client)


def test_file_info_for_an_unknown_file_is_an_error() -> None:
    with FakeCyberTipline("esp", "pw") as server:
        client = CyberTiplineClient(server.url, "esp", "pw")
        report_id = client.submit(_report())
        with pytest.raises(CyberTiplineError) as error:
            client.file_info(FileDetails(report_id, "nope"))
        assert error.value.code == 4200


def test_response_parsing() -> None:
    ok = parse_report_response(b"<reportResponse><responseCode>0</responseCode><reportId>7</reportId></reportResponse>")
    assert ok.report_id == "7"
    with pytest.raises(CyberTiplineError, match="1000: bad"):
        parse_report_response(
            b"<reportResponse><responseCode>1000</responseCode><responseDescription>bad</responseDescription></reportResponse>"
        )
    with pytest.raises(CyberTiplineError, match="unparseable"):
        parse_report_response(b"<html>")
