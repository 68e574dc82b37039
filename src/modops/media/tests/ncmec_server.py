"""A local stand-in for the CyberTipline Reporting API, following its documented flow."""

from __future__ import annotations

import base64
import hashlib
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPORT_ORDER = [
    "incidentSummary",
    "internetDetails",
    "lawEnforcement",
    "reporter",
    "personOrUserReported",
    "intendedRecipient",
    "victim",
    "additionalInfo",
]


class FakeCyberTipline:
    def __init__(self, username: str, password: str) -> None:
        self.credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.reports: dict[str, dict[str, object]] = {}
        self.calls: list[str] = []
        self._next = 1000
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                fake.handle(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                fake.handle(self, self.rfile.read(length))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/ispws"

    def __enter__(self) -> FakeCyberTipline:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        if request.headers.get("Authorization") != f"Basic {self.credentials}":
            request.send_response(401)
            request.end_headers()
            return
        path = request.path.removeprefix("/ispws")
        with self._lock:
            self.calls.append(path)
            code, description, extra = self.route(request, path, body)
        response = ET.Element("reportResponse")
        ET.SubElement(response, "responseCode").text = str(code)
        ET.SubElement(response, "responseDescription").text = description
        for tag, value in extra.items():
            ET.SubElement(response, tag).text = value
        payload = ET.tostring(response, encoding="utf-8", xml_declaration=True)
        request.send_response(200 if code == 0 else 400)
        request.send_header("Content-Type", "application/xml")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def route(self, request: BaseHTTPRequestHandler, path: str, body: bytes) -> tuple[int, str, dict[str, str]]:
        if path == "/status":
            return 0, "Remote User : ok", {}
        if path == "/submit":
            root = ET.fromstring(body)  # noqa: S314  (our own client, loopback only)
            if root.tag != "report":
                return 1000, "root element must be <report>", {}
            ranks = [REPORT_ORDER.index(child.tag) for child in root]
            if ranks != sorted(ranks):
                return 1000, "elements out of order", {}
            summary = root.find("incidentSummary")
            if summary is None or summary.find("incidentType") is None or summary.find("incidentDateTime") is None:
                return 1000, "incidentType and incidentDateTime are required", {}
            report_id = str(self._next)
            self._next += 1
            self.reports[report_id] = {"state": "open", "files": {}, "xml": body}
            return 0, "Success", {"reportId": report_id}
        if path == "/upload":
            content_type = request.headers["Content-Type"]
            message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
            parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
            report_id = parts["id"].get_payload(decode=True).decode()
            report = self.reports.get(report_id)
            if report is None or report["state"] != "open":
                return 4100, "report is not open", {}
            data = parts["file"].get_payload(decode=True)
            file_id = hashlib.sha256(data).hexdigest()[:12]
            files = report["files"]
            assert isinstance(files, dict)
            files[file_id] = {"md5": hashlib.md5(data, usedforsecurity=False).hexdigest(), "info": None}
            return 0, "Success", {"reportId": report_id, "fileId": file_id, "hash": files[file_id]["md5"]}
        if path == "/fileinfo":
            root = ET.fromstring(body)  # noqa: S314  (our own client, loopback only)
            report = self.reports.get(root.findtext("reportId") or "")
            if report is None or report["state"] != "open":
                return 4100, "report is not open", {}
            files = report["files"]
            assert isinstance(files, dict)
            entry = files.get(root.findtext("fileId") or "")
            if entry is None:
                return 4200, "unknown fileId", {}
            entry["info"] = body
            return 0, "Success", {}
        if path in ("/finish", "/retract"):
            report_id = urllib.parse.parse_qs(body.decode()).get("id", [""])[0]
            report = self.reports.get(report_id)
            if report is None or report["state"] != "open":
                return 4100, "report is not open", {}
            report["state"] = "finished" if path == "/finish" else "retracted"
            return 0, "Success", {"reportId": report_id}
        return 404, "unknown endpoint", {}
