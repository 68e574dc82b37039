"""NCMEC CyberTipline report documents (``<report>`` and ``<fileDetails>``).

Element names and child order follow NCMEC's published Reporting API field list; the
XSD itself is only served to registered providers, so validate against it in NCMEC's
test environment before going live. Only the incident type and time are required by
NCMEC; everything else is voluntary and omitted when empty.
"""

from __future__ import annotations

import enum
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime


class IncidentType(enum.StrEnum):
    CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)"
    CHILD_SEX_TRAFFICKING = "Child Sex Trafficking"
    CHILD_SEX_TOURISM = "Child Sex Tourism"
    CHILD_SEXUAL_MOLESTATION = "Child Sexual Molestation"
    MISLEADING_DOMAIN_NAME = "Misleading Domain Name"
    MISLEADING_WORDS_OR_IMAGES = "Misleading Words or Digital Images on the Internet"
    ONLINE_ENTICEMENT = "Online Enticement of Children for Sexual Act"
    UNSOLICITED_OBSCENE_MATERIAL = "Unsolicited Obscene Material Sent to a Child"


class ReportAnnotation(enum.StrEnum):
    SEXTORTION = "sextortion"
    CSAM_SOLICITATION = "csamSolicitation"
    MINOR_TO_MINOR_INTERACTION = "minorToMinorInteraction"
    SPAM = "spam"
    SADISTIC_ONLINE_EXPLOITATION = "sadisticOnlineExploitation"


class IpEventName(enum.StrEnum):
    LOGIN = "Login"
    REGISTRATION = "Registration"
    PURCHASE = "Purchase"
    UPLOAD = "Upload"
    OTHER = "Other"
    UNKNOWN = "Unknown"


class FileRelevance(enum.StrEnum):
    REPORTED = "Reported"
    SUPPLEMENTAL_REPORTED = "Supplemental Reported"


class IndustryClassification(enum.StrEnum):
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("NCMEC date-times must carry a time zone")
    return moment.isoformat()


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    incident_type: IncidentType
    incident_datetime: datetime
    escalate_to_high_priority: str | None = None
    annotations: Sequence[ReportAnnotation] = ()
    incident_datetime_description: str | None = None


@dataclass(frozen=True, slots=True)
class WebPageIncident:
    urls: Sequence[str]
    additional_info: str | None = None


@dataclass(frozen=True, slots=True)
class ChatImIncident:
    chat_client: str | None = None
    chat_room_name: str | None = None
    content: str | None = None


@dataclass(frozen=True, slots=True)
class OnlineGamingIncident:
    game_name: str | None = None
    console: str | None = None
    content: str | None = None


InternetDetails = WebPageIncident | ChatImIncident | OnlineGamingIncident


@dataclass(frozen=True, slots=True)
class Address:
    street: str | None = None
    city: str | None = None
    zip_code: str | None = None
    state: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    first_name: str | None = None
    last_name: str | None = None
    phones: Sequence[str] = ()
    emails: Sequence[str] = ()
    addresses: Sequence[Address] = ()


@dataclass(frozen=True, slots=True)
class LawEnforcement:
    agency_name: str
    case_number: str | None = None
    officer_contact: Person | None = None
    reported_to_le: bool | None = None
    served_legal_process: bool | None = None


@dataclass(frozen=True, slots=True)
class Reporter:
    reporting_person: Person
    contact_person: Person | None = None
    terms_of_service: str | None = None
    legal_url: str | None = None

    def __post_init__(self) -> None:
        if not self.reporting_person.emails:
            raise ValueError("the reporting person needs at least one email address")


@dataclass(frozen=True, slots=True)
class IpCaptureEvent:
    ip_address: str
    event_name: IpEventName | None = None
    date_time: datetime | None = None
    possible_proxy: bool | None = None
    port: int | None = None


@dataclass(frozen=True, slots=True)
class ReportedUser:
    esp_identifier: str | None = None
    esp_service: str | None = None
    screen_name: str | None = None
    display_names: Sequence[str] = ()
    profile_urls: Sequence[str] = ()
    ip_capture_events: Sequence[IpCaptureEvent] = ()
    device_ids: Sequence[str] = ()
    prior_ct_reports: Sequence[str] = ()
    additional_info: str | None = None
    person: Person | None = None


@dataclass(frozen=True, slots=True)
class CyberTipReport:
    incident_summary: IncidentSummary
    reporter: Reporter
    internet_details: Sequence[InternetDetails] = ()
    law_enforcement: LawEnforcement | None = None
    person_or_user_reported: ReportedUser | None = None
    intended_recipients: Sequence[ReportedUser] = ()
    victims: Sequence[ReportedUser] = ()
    additional_info: str | None = None


@dataclass(frozen=True, slots=True)
class FileDetails:
    report_id: str
    file_id: str
    file_name: str | None = None
    original_file_name: str | None = None
    location_of_file: str | None = None
    file_viewed_by_esp: bool | None = None
    exif_viewed_by_esp: bool | None = None
    publicly_available: bool | None = None
    file_relevance: FileRelevance | None = None
    file_annotations: Sequence[str] = ()
    industry_classification: IndustryClassification | None = None
    original_file_hashes: Sequence[tuple[str, str]] = field(default_factory=tuple)
    """``(hashType, value)`` pairs, e.g. ``("MD5", "...")``."""
    ip_capture_event: IpCaptureEvent | None = None
    device_ids: Sequence[str] = ()
    details: Sequence[tuple[str, str, str]] = ()
    """``(type, name, value)``: type is ``EXIF`` or ``HASH``."""
    additional_info: Sequence[str] = ()


# -- XML ---------------------------------------------------------------------------


def _text(parent: ET.Element, tag: str, value: str | int | bool | None) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        value = "true" if value else "false"
    ET.SubElement(parent, tag).text = str(value)


def _texts(parent: ET.Element, tag: str, values: Sequence[str]) -> None:
    for value in values:
        _text(parent, tag, value)


def _person(parent: ET.Element, tag: str, person: Person) -> ET.Element:
    node = ET.SubElement(parent, tag)
    _person_fields(node, person)
    return node


def _person_fields(node: ET.Element, person: Person) -> None:
    _text(node, "firstName", person.first_name)
    _text(node, "lastName", person.last_name)
    _texts(node, "phone", person.phones)
    _texts(node, "email", person.emails)
    for address in person.addresses:
        a = ET.SubElement(node, "address")
        _text(a, "address", address.street)
        _text(a, "city", address.city)
        _text(a, "zipCode", address.zip_code)
        _text(a, "state", address.state)
        _text(a, "country", address.country)


def _ip_event(parent: ET.Element, event: IpCaptureEvent) -> None:
    node = ET.SubElement(parent, "ipCaptureEvent")
    _text(node, "ipAddress", event.ip_address)
    _text(node, "eventName", event.event_name.value if event.event_name else None)
    _text(node, "dateTime", _iso(event.date_time) if event.date_time else None)
    _text(node, "possibleProxy", event.possible_proxy)
    _text(node, "port", event.port)


def _user(parent: ET.Element, tag: str, user: ReportedUser) -> None:
    node = ET.SubElement(parent, tag)
    if user.person is not None:
        _person(node, "personOrUserReportedPerson", user.person)
    _text(node, "espIdentifier", user.esp_identifier)
    _text(node, "espService", user.esp_service)
    _text(node, "screenName", user.screen_name)
    _texts(node, "displayName", user.display_names)
    _texts(node, "profileUrl", user.profile_urls)
    for event in user.ip_capture_events:
        _ip_event(node, event)
    _texts(node, "deviceId", user.device_ids)
    _texts(node, "priorCTReports", user.prior_ct_reports)
    _text(node, "additionalInfo", user.additional_info)


def _internet(parent: ET.Element, details: InternetDetails) -> None:
    node = ET.SubElement(parent, "internetDetails")
    if isinstance(details, WebPageIncident):
        inner = ET.SubElement(node, "webPageIncident")
        _texts(inner, "url", details.urls)
        _text(inner, "additionalInfo", details.additional_info)
    elif isinstance(details, ChatImIncident):
        inner = ET.SubElement(node, "chatImIncident")
        _text(inner, "chatClient", details.chat_client)
        _text(inner, "chatRoomName", details.chat_room_name)
        _text(inner, "content", details.content)
    else:
        inner = ET.SubElement(node, "onlineGamingIncident")
        _text(inner, "gameName", details.game_name)
        _text(inner, "console", details.console)
        _text(inner, "content", details.content)


def _to_bytes(root: ET.Element) -> bytes:
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def report_xml(report: CyberTipReport) -> bytes:
    """The ``<report>`` document, children in NCMEC's order."""
    root = ET.Element("report")
    summary = report.incident_summary
    s = ET.SubElement(root, "incidentSummary")
    _text(s, "incidentType", summary.incident_type.value)
    _text(s, "escalateToHighPriority", summary.escalate_to_high_priority)
    if summary.annotations:
        annotations = ET.SubElement(s, "reportAnnotations")
        for annotation in summary.annotations:
            ET.SubElement(annotations, annotation.value)
    _text(s, "incidentDateTime", _iso(summary.incident_datetime))
    _text(s, "incidentDateTimeDescription", summary.incident_datetime_description)
    for details in report.internet_details:
        _internet(root, details)
    if report.law_enforcement is not None:
        le = report.law_enforcement
        node = ET.SubElement(root, "lawEnforcement")
        _text(node, "agencyName", le.agency_name)
        _text(node, "caseNumber", le.case_number)
        if le.officer_contact is not None:
            _person(node, "officerContact", le.officer_contact)
        _text(node, "reportedToLe", le.reported_to_le)
        _text(node, "servedLegalProcess", le.served_legal_process)
    reporter = ET.SubElement(root, "reporter")
    _person(reporter, "reportingPerson", report.reporter.reporting_person)
    if report.reporter.contact_person is not None:
        _person(reporter, "contactPerson", report.reporter.contact_person)
    _text(reporter, "termsOfService", report.reporter.terms_of_service)
    _text(reporter, "legalURL", report.reporter.legal_url)
    if report.person_or_user_reported is not None:
        _user(root, "personOrUserReported", report.person_or_user_reported)
    for recipient in report.intended_recipients:
        _user(root, "intendedRecipient", recipient)
    for victim in report.victims:
        _user(root, "victim", victim)
    _text(root, "additionalInfo", report.additional_info)
    return _to_bytes(root)


def file_details_xml(details: FileDetails) -> bytes:
    """The ``<fileDetails>`` document sent to ``/fileinfo`` after an upload."""
    root = ET.Element("fileDetails")
    _text(root, "reportId", details.report_id)
    _text(root, "fileId", details.file_id)
    _text(root, "fileName", details.file_name)
    _text(root, "originalFileName", details.original_file_name)
    _text(root, "locationOfFile", details.location_of_file)
    _text(root, "fileViewedByEsp", details.file_viewed_by_esp)
    _text(root, "exifViewedByEsp", details.exif_viewed_by_esp)
    _text(root, "publiclyAvailable", details.publicly_available)
    _text(root, "fileRelevance", details.file_relevance.value if details.file_relevance else None)
    if details.file_annotations:
        annotations = ET.SubElement(root, "fileAnnotations")
        for annotation in details.file_annotations:
            ET.SubElement(annotations, annotation)
    if details.industry_classification is not None:
        _text(root, "industryClassification", details.industry_classification.value)
    for hash_type, value in details.original_file_hashes:
        node = ET.SubElement(root, "originalFileHash", hashType=hash_type)
        node.text = value
    if details.ip_capture_event is not None:
        _ip_event(root, details.ip_capture_event)
    _texts(root, "deviceId", details.device_ids)
    for kind, name, value in details.details:
        node = ET.SubElement(root, "details", type=kind)
        pair = ET.SubElement(node, "nameValuePair")
        _text(pair, "name", name)
        _text(pair, "value", value)
    _texts(root, "additionalInfo", details.additional_info)
    return _to_bytes(root)
