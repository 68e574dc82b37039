"""Client for NCMEC's CyberTipline Reporting API.

Flow: ``status`` → ``submit`` (report XML, returns the report id) → ``upload`` (each
file, returns its file id) → ``file_info`` (its ``<fileDetails>``) → ``finish``.
``retract`` cancels an unfinished report. Every response is a ``<reportResponse>``
whose ``responseCode`` 0 means success; anything else raises
:class:`CyberTiplineError`.
"""

from __future__ import annotations

import base64
import secrets
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .ncmec import CyberTipReport, FileDetails, file_details_xml, report_xml

PRODUCTION_URL = "https://report.cybertip.org/ispws"
TEST_URL = "https://exttest.cybertip.org/ispws"

HttpResponse = tuple[int, bytes]
Http = Callable[[str, str, Mapping[str, str], bytes | None], HttpResponse]
"""``(method, url, headers, body) -> (status, body)``: swap in for tests or proxies."""


class CyberTiplineError(RuntimeError):
    def __init__(self, code: int, description: str, http_status: int | None = None) -> None:
        super().__init__(f"CyberTipline error {code}: {description}")
        self.code = code
        self.description = description
        self.http_status = http_status


@dataclass(frozen=True, slots=True)
class ReportResponse:
    response_code: int
    description: str
    report_id: str | None = None
    file_id: str | None = None
    hash: str | None = None


def parse_report_response(body: bytes, http_status: int | None = None) -> ReportResponse:
    try:
        # The body comes from the configured NCMEC endpoint; expat (>= 2.4.1, bundled)
        # caps entity expansion, and no DTDs or external entities are resolved.
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError as exc:
        raise CyberTiplineError(-1, f"unparseable response: {exc}", http_status) from exc
    if root.tag != "reportResponse":
        raise CyberTiplineError(-1, f"unexpected response element <{root.tag}>", http_status)

    def field(tag: str) -> str | None:
        node = root.find(tag)
        return node.text.strip() if node is not None and node.text else None

    code_text = field("responseCode")
    try:
        code = int(code_text) if code_text is not None else -1
    except ValueError:
        raise CyberTiplineError(-1, f"bad responseCode {code_text!r}", http_status) from None
    response = ReportResponse(
        response_code=code,
        description=field("responseDescription") or "",
        report_id=field("reportId"),
        file_id=field("fileId"),
        hash=field("hash"),
    )
    if code != 0:
        raise CyberTiplineError(code, response.description, http_status)
    return response


def urllib_http(timeout: float = 30.0) -> Http:
    """The default transport, on the standard library."""

    def send(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> HttpResponse:
        # The scheme is checked to be http(s) in CyberTiplineClient.__init__.
        request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return int(response.status), bytes(response.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), bytes(exc.read())

    return send


class CyberTiplineClient:
    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        http: Http | None = None,
    ) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("base_url must be an http(s) URL")
        self.base_url = base_url.rstrip("/")
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._auth = f"Basic {token}"
        self._http = http or urllib_http()

    def __repr__(self) -> str:  # never show credentials
        return f"CyberTiplineClient({self.base_url!r})"

    def _call(self, method: str, path: str, body: bytes | None, content_type: str | None) -> ReportResponse:
        headers = {"Authorization": self._auth, "Accept": "application/xml"}
        if content_type:
            headers["Content-Type"] = content_type
        status, payload = self._http(method, f"{self.base_url}{path}", headers, body)
        if status == 401:
            raise CyberTiplineError(-1, "authentication failed", status)
        if not payload:
            raise CyberTiplineError(-1, f"HTTP {status} with no body", status)
        return parse_report_response(payload, status)

    def status(self) -> ReportResponse:
        return self._call("GET", "/status", None, None)

    def submit(self, report: CyberTipReport) -> str:
        """Open a report; returns NCMEC's report id."""
        return self.submit_xml(report_xml(report))

    def submit_xml(self, document: bytes) -> str:
        """Open a report from an already rendered (and reviewed) ``<report>`` document."""
        response = self._call("POST", "/submit", document, "text/xml; charset=utf-8")
        if not response.report_id:
            raise CyberTiplineError(-1, "submit response has no reportId")
        return response.report_id

    def upload(self, report_id: str, filename: str, data: bytes) -> ReportResponse:
        """Attach a file; the response carries its ``file_id`` and NCMEC's ``hash``."""
        boundary = f"modops-{secrets.token_hex(16)}"
        safe_name = filename.replace('"', "_").replace("\r", "_").replace("\n", "_")
        body = b"".join(
            [
                f"--{boundary}\r\n".encode(),
                b'Content-Disposition: form-data; name="id"\r\n\r\n',
                report_id.encode(),
                b"\r\n",
                f"--{boundary}\r\n".encode(),
                f'Content-Disposition: form-data; name="file"; filename="{safe_name}"\r\n'.encode(),
                b"Content-Type: application/octet-stream\r\n\r\n",
                data,
                b"\r\n",
                f"--{boundary}--\r\n".encode(),
            ]
        )
        response = self._call("POST", "/upload", body, f"multipart/form-data; boundary={boundary}")
        if not response.file_id:
            raise CyberTiplineError(-1, "upload response has no fileId")
        return response

    def file_info(self, details: FileDetails) -> ReportResponse:
        return self.file_info_xml(file_details_xml(details))

    def file_info_xml(self, document: bytes) -> ReportResponse:
        return self._call("POST", "/fileinfo", document, "text/xml; charset=utf-8")

    def finish(self, report_id: str) -> ReportResponse:
        return self._call("POST", "/finish", _id_form(report_id), _FORM)

    def retract(self, report_id: str) -> ReportResponse:
        return self._call("POST", "/retract", _id_form(report_id), _FORM)


_FORM = "application/x-www-form-urlencoded"


def _id_form(report_id: str) -> bytes:
    return urllib.parse.urlencode({"id": report_id}).encode()
