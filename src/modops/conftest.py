"""Shared fixtures: an API client with bearer tokens, staff, and a local HTTP receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from modops.accounts.models import StaffProfile
from modops.testing.factories import StaffFactory, token_for


class Api:
    """The test client speaking JSON with a bearer token."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}", **(extra or {})}

    def post(self, path: str, body: Any = None, raw: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(f"/api/v1{path}", data=data, content_type="application/json", **self._headers(headers))

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, **self._headers(None))


@pytest.fixture
def intake_api(db: None) -> Api:
    return Api(token_for(["intake"], name="platform"))


@pytest.fixture
def moderator(db: None) -> StaffProfile:
    return StaffFactory(user__username="mod1", clearance=1, languages=["en"])


@pytest.fixture
def moderator_api(moderator: StaffProfile) -> Api:
    return Api(token_for(["moderation"], moderator.user, name="console"))


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A local HTTP server that records requests and answers with ``status``."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    reply: bytes = b"{}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.requests.append(Received(self.command, self.path, dict(self.headers.items()), body))
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(state.reply)

        do_POST = do_DELETE = do_GET = do_PATCH = do_PUT = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def postgres_only() -> None:
    """Skip on SQLite: the test proves PostgreSQL row-locking behaviour."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks with SKIP LOCKED)")


@pytest.fixture
def staff_api(db: None) -> Any:
    """Make a staff member and an API client whose moderation token is bound to them."""

    def make(username: str, clearance: int = 1, **profile: Any) -> tuple[StaffProfile, Api]:
        staff = StaffFactory(user__username=username, clearance=clearance, **profile)
        return staff, Api(token_for(["moderation"], staff.user, name=f"console-{username}"))

    return make


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    """Process caches must not carry rows across tests that roll back."""
    from modops.caching import clear_all

    clear_all()
    yield
    clear_all()
