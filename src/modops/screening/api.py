"""Screening API: batch and NDJSON screening (intake scope); channel settings, held messages,
chat commands, raid incidents and lockdown (moderation scope, ``channels.moderate``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field, StringConstraints

from modops.api.auth import actor_of, intake_auth, moderation_auth, token_of
from modops.api.schemas import ErrorOut
from modops.screening import bus
from modops.screening.services import (
    Incoming,
    Queued,
    apply_lockdown,
    get_channel_settings,
    list_held,
    list_incidents,
    resolve_held,
    run_command,
    save_channel_settings,
    screen_batch,
    submit_chat,
)

router = Router(tags=["screening"])

MAX_BATCH = 1000
STREAM_BATCH = 256
MAX_LINE_BYTES = 1 << 20
Short = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Ident = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class MessageIn(Schema):
    id: Ident | int
    text: str
    channel: Short | None = None
    user: Short | int | None = None
    first_time: bool | None = None
    account_created_at: datetime | None = None

    def to_incoming(self) -> Incoming:
        created = self.account_created_at.timestamp() if self.account_created_at else None
        user = None if self.user is None else str(self.user)
        return Incoming(str(self.id), self.text, self.channel, user, self.first_time, created)


class ScreenIn(Schema):
    messages: list[MessageIn] = Field(min_length=1, max_length=MAX_BATCH)


class VerdictOut(Schema):
    id: str
    verdict: str
    offensive: float
    categories: dict[str, float]
    level: int
    boundaries: list[dict[str, int]]
    reasons: list[str]


class ScreenOut(Schema):
    verdicts: list[VerdictOut]


class QueuedOut(Schema):
    queued: int
    published: int


@router.post(
    "/screen",
    auth=intake_auth,
    response={200: ScreenOut, 202: QueuedOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 503: ErrorOut},
)
def screen(request: HttpRequest, payload: ScreenIn):  # type: ignore[no-untyped-def]
    """Screen up to 1,000 messages. With a chat bus configured they are queued (202) and the
    verdicts appear on ``<prefix>.verdicts.<channel>``."""
    try:
        outcome = submit_chat([m.to_incoming() for m in payload.messages])
    except bus.BusUnavailable as exc:
        return Status(503, {"detail": f"the chat bus is unavailable: {exc}"})
    if isinstance(outcome, Queued):
        return Status(202, {"queued": outcome.accepted, "published": outcome.published})
    return {"verdicts": outcome}


def _lines(request: HttpRequest) -> Iterator[tuple[int, bytes | None]]:
    """(line number, raw line), or None for a line over the size limit (its rest is skipped)."""
    number = 0
    while True:
        line = request.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:
                rest = request.readline(MAX_LINE_BYTES)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
            continue
        yield number, line


def _ndjson(request: HttpRequest) -> Iterator[bytes]:
    pending: list[tuple[int, Incoming | str]] = []

    def flush() -> Iterator[bytes]:
        good = [item for _, item in pending if isinstance(item, Incoming)]
        verdicts = iter(screen_batch(good)) if good else iter(())
        for number, item in pending:
            if isinstance(item, Incoming):
                line: dict[str, Any] = next(verdicts)
            else:
                line = {"line": number, "error": item}
            yield json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace") + b"\n"
        pending.clear()

    for number, raw in _lines(request):
        if raw is None:
            pending.append((number, f"line over {MAX_LINE_BYTES} bytes"))
        elif raw.strip():
            pending.append((number, bus.decode(raw)))
        if len(pending) >= STREAM_BATCH:
            yield from flush()
    yield from flush()


@router.post("/screen/stream", auth=intake_auth, response={200: None, 401: ErrorOut, 403: ErrorOut, 415: ErrorOut})
def screen_stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """NDJSON in (``application/x-ndjson``, one message a line), NDJSON verdicts out, streamed in
    order. A line that cannot be screened is answered with ``{"line": N, "error": ...}``."""
    if request.content_type not in ("application/x-ndjson", "application/jsonl", "application/json-lines"):
        return JsonResponse({"detail": "send application/x-ndjson"}, status=415)
    return StreamingHttpResponse(_ndjson(request), content_type="application/x-ndjson")


class AutoTimeoutIn(Schema):
    after: int = Field(default=0, ge=0, le=1000)
    window_minutes: int = Field(default=10, ge=1, le=10_080)
    seconds: int = Field(default=600, ge=1, le=1_209_600)


class ChannelSettingsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    automod: dict[str, int | None] = Field(default_factory=dict)
    blocked_terms: list[str] = Field(default_factory=list, max_length=10_000)
    permitted_terms: list[str] = Field(default_factory=list, max_length=10_000)
    allowed_links: list[Annotated[str, StringConstraints(max_length=253)]] = Field(
        default_factory=list, max_length=1000
    )
    auto_timeout: AutoTimeoutIn = Field(default_factory=AutoTimeoutIn)


class ChannelSettingsOut(Schema):
    channel: str
    automod: dict[str, int | None]
    blocked_terms: list[str]
    permitted_terms: list[str]
    allowed_links: list[str]
    auto_timeout: dict[str, int]
    chat: dict[str, Any]


_MOD = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get("/channels/{channel_id}/settings", auth=moderation_auth, response={200: ChannelSettingsOut, **_MOD})
def channel_settings(request: HttpRequest, channel_id: str):  # type: ignore[no-untyped-def]
    return get_channel_settings(channel_id[:100], token_of(request).user)


@router.put("/channels/{channel_id}/settings", auth=moderation_auth, response={200: ChannelSettingsOut, **_MOD})
def put_channel_settings(request: HttpRequest, channel_id: str, payload: ChannelSettingsIn):  # type: ignore[no-untyped-def]
    """Replace the channel's settings. A pattern RE2 refuses is a 422 naming it (``blocked_terms.3``)."""
    save_channel_settings(channel_id[:100], payload.model_dump(), actor_of(request), token_of(request).user)
    return get_channel_settings(channel_id[:100], token_of(request).user)


class HeldOut(Schema):
    id: str
    channel: str
    user: str
    text: str
    verdict: dict[str, Any]
    status: str
    held_at: datetime
    expires_at: datetime
    resolved_by: str


@router.get("/channels/{channel_id}/held", auth=moderation_auth, response={200: list[HeldOut], **_MOD})
def held(request: HttpRequest, channel_id: str, status: str = "pending", limit: int = 100):  # type: ignore[no-untyped-def]
    return list_held(channel_id[:100], token_of(request).user, status[:20], max(1, limit))


class ModeratorIn(Schema):
    moderator_id: Short = "modops"


class ResolutionOut(Schema):
    id: str
    status: str
    changed: bool


def _resolve(request: HttpRequest, held_id: str, payload: ModeratorIn | None, allow: bool) -> dict[str, Any]:
    moderator = payload.moderator_id if payload else "modops"
    done = resolve_held(
        held_id[:200], allow, moderator, actor=actor_of(request), user=token_of(request).user, check=True
    )
    return {"id": done.message_id, "status": done.status, "changed": done.changed}


@router.post("/held/{held_id}/allow", auth=moderation_auth, response={200: ResolutionOut, **_MOD})
def allow_held(request: HttpRequest, held_id: str, payload: ModeratorIn | None = None):  # type: ignore[no-untyped-def]
    """Show a held message. An expired or already resolved hold is returned unchanged."""
    return _resolve(request, held_id, payload, True)


@router.post("/held/{held_id}/deny", auth=moderation_auth, response={200: ResolutionOut, **_MOD})
def deny_held(request: HttpRequest, held_id: str, payload: ModeratorIn | None = None):  # type: ignore[no-untyped-def]
    return _resolve(request, held_id, payload, False)


class CommandIn(Schema):
    moderator_id: Short
    text: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


@router.post("/channels/{channel_id}/commands", auth=moderation_auth, response={200: dict[str, Any], **_MOD})
def command(request: HttpRequest, channel_id: str, payload: CommandIn):  # type: ignore[no-untyped-def]
    """Apply a chat command (``/ban user reason``, ``/timeout user 10m``, ``/slow 30`` ...)."""
    return run_command(channel_id[:100], payload.moderator_id, payload.text, actor_of(request), token_of(request).user)


@router.get("/channels/{channel_id}/incidents", auth=moderation_auth, response={200: list[dict[str, Any]], **_MOD})
def incidents(request: HttpRequest, channel_id: str):  # type: ignore[no-untyped-def]
    return list_incidents(channel_id[:100], token_of(request).user)


class LockdownIn(Schema):
    moderator_id: Short
    incident_id: Annotated[str, StringConstraints(max_length=100)] | None = None


@router.post("/channels/{channel_id}/lockdown", auth=moderation_auth, response={200: dict[str, Any], **_MOD})
def lockdown(request: HttpRequest, channel_id: str, payload: LockdownIn):  # type: ignore[no-untyped-def]
    """Follower-only chat, slow mode and Shield Mode at once (a raid's recommended lockdown)."""
    return apply_lockdown(
        channel_id[:100], payload.moderator_id, actor_of(request), token_of(request).user, payload.incident_id
    )
