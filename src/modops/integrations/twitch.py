"""Twitch EventSub over webhooks: signature and replay checks, then dispatch by type.

Checks, in order, before anything is stored: the four signing headers are present
(else 401), the signature is ``sha256=`` + HMAC-SHA256(secret, id + timestamp + raw
body) compared in constant time (else 403), the timestamp is within ten minutes
(else 403), the body is a JSON object of the expected shape (else 400). A message
id seen before is acknowledged and ignored (delivery is at-least-once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from modops.integrations.models import DeliveryKind, EventSubDelivery, ModerationSignal

REPLAY_WINDOW = timedelta(minutes=10)
HEADER_ID = "Twitch-Eventsub-Message-Id"
HEADER_TIMESTAMP = "Twitch-Eventsub-Message-Timestamp"
HEADER_SIGNATURE = "Twitch-Eventsub-Message-Signature"
HEADER_TYPE = "Twitch-Eventsub-Message-Type"
SIGNALS = frozenset({"channel.moderate", "automod.message.hold"})


class Rejected(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    content_type: str = "application/json"


def signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), message_id.encode() + timestamp.encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _parse_timestamp(value: str) -> datetime:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Twitch sends nanoseconds; Python keeps microseconds.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest.split("+")[0].split("-")[0])
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("timestamp without a time zone")
    return parsed


def verify(headers: dict[str, str], body: bytes, secret: str, now: datetime | None = None) -> tuple[str, str]:
    """Return (message id, message type) or raise :class:`Rejected`."""
    values = {name: headers.get(name, "") for name in (HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE, HEADER_TYPE)}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise Rejected(401, f"missing header {missing[0]}")
    expected = signature(secret, values[HEADER_ID], values[HEADER_TIMESTAMP], body)
    if not hmac.compare_digest(expected.encode(), values[HEADER_SIGNATURE].encode("utf-8", "replace")):
        raise Rejected(403, "signature does not match")
    try:
        sent = _parse_timestamp(values[HEADER_TIMESTAMP])
    except ValueError:
        raise Rejected(403, f"unreadable {HEADER_TIMESTAMP}") from None
    if abs((now or timezone.now()) - sent) > REPLAY_WINDOW:
        raise Rejected(403, "message is older than 10 minutes (replay refused)")
    return values[HEADER_ID], values[HEADER_TYPE]


def _body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise Rejected(400, "body is not valid UTF-8 JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("subscription"), dict):
        raise Rejected(400, "body.subscription: expected an object")
    return data


def _text(value: object, field: str, limit: int = 100) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise Rejected(400, f"{field}: expected a string")
    return str(value)[:limit]


def handle(headers: dict[str, str], body: bytes, secret: str, now: datetime | None = None) -> Reply:
    """Verify and process one webhook delivery."""
    message_id, kind = verify(headers, body, secret, now)
    if kind not in DeliveryKind.values:
        raise Rejected(400, f"{HEADER_TYPE}: unknown message type {kind[:40]!r}")
    data = _body(body)
    subscription = data["subscription"]
    subscription_type = _text(subscription.get("type"), "body.subscription.type")
    if kind == DeliveryKind.VERIFICATION:
        challenge = data.get("challenge")
        if not isinstance(challenge, str) or not challenge:
            raise Rejected(400, "body.challenge: expected a string")
        _record(message_id, kind, subscription, "", {"verified": True}, now)
        return Reply(200, challenge, "text/plain")
    if kind == DeliveryKind.REVOCATION:
        reason = _text(subscription.get("status"), "body.subscription.status")
        _record(message_id, kind, subscription, "", {"revoked": reason}, now)
        return Reply(204, "")
    event = data.get("event")
    if not isinstance(event, dict):
        raise Rejected(400, "body.event: expected an object")
    channel = _text(event.get("broadcaster_user_id"), "body.event.broadcaster_user_id")
    if subscription_type == "channel.chat.message":
        return _chat_message(message_id, kind, subscription, channel, event, now)
    if subscription_type in SIGNALS:
        return _signal(message_id, kind, subscription, subscription_type, channel, event, now)
    _record(message_id, kind, subscription, channel, {"ignored": subscription_type}, now)
    return Reply(204, "")


def _record(
    message_id: str, kind: str, subscription: dict[str, Any], channel: str, result: dict[str, Any], now: datetime | None
) -> bool:
    """Store the delivery; False when its id was seen before (nothing else is done then)."""
    try:
        with transaction.atomic():
            EventSubDelivery.objects.create(
                message_id=message_id[:200],
                kind=kind,
                subscription_type=_text(subscription.get("type"), "body.subscription.type"),
                subscription_id=_text(subscription.get("id"), "body.subscription.id", 200),
                channel=channel,
                received_at=now or timezone.now(),
                result=result,
            )
    except IntegrityError:
        return False
    return True


def _chat_message(
    message_id: str, kind: str, subscription: dict[str, Any], channel: str, event: dict[str, Any], now: datetime | None
) -> Reply:
    from modops.screening.bus import BusUnavailable
    from modops.screening.services import Incoming, Queued, submit_chat

    message = event.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    if not isinstance(text, str):
        raise Rejected(400, "body.event.message.text: expected a string")
    if EventSubDelivery.objects.filter(message_id=message_id[:200]).exists():
        return Reply(204, "")
    chat_id = _text(event.get("message_id"), "body.event.message_id", 200) or message_id
    user = _text(event.get("chatter_user_id"), "body.event.chatter_user_id")
    try:
        outcome = submit_chat([Incoming(chat_id, text, channel, user or None)])
    except BusUnavailable:
        # Not recorded, so Twitch's retry of the same message id is processed.
        raise Rejected(503, "the chat bus is unavailable; retry later") from None
    result = {"queued": True} if isinstance(outcome, Queued) else outcome[0]
    _record(message_id, kind, subscription, channel, result, now)
    return Reply(204, "")


def _signal(
    message_id: str,
    kind: str,
    subscription: dict[str, Any],
    subscription_type: str,
    channel: str,
    event: dict[str, Any],
    now: datetime | None,
) -> Reply:
    action = _text(event.get("action") or event.get("reason"), "body.event.action", 60)
    target = ""
    for key in ("user_id", "target_user_id"):
        if event.get(key) is not None:
            target = _text(event.get(key), f"body.event.{key}")
    if not target and isinstance(event.get(action), dict):
        target = _text(event[action].get("user_id"), f"body.event.{action}.user_id")
    with transaction.atomic():
        if not _record(message_id, kind, subscription, channel, {"signal": subscription_type}, now):
            return Reply(204, "")
        ModerationSignal.objects.create(
            platform="twitch",
            kind=subscription_type,
            channel=channel,
            action=action,
            target_user=target,
            payload=event,
            received_at=now or timezone.now(),
        )
    return Reply(204, "")
