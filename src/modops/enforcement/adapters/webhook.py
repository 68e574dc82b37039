"""Signed webhooks.

Each delivery is a JSON POST with headers:

- ``X-Modops-Timestamp``: Unix seconds when it was signed;
- ``X-Modops-Signature``: ``sha256=`` + hex HMAC-SHA256(secret, timestamp + "." + raw body);
- ``Idempotency-Key``: the same on every retry of one message, so receivers can deduplicate;
- ``X-Modops-Topic``: e.g. ``action.apply``.

Receivers should recompute the signature in constant time and refuse timestamps older than a few
minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING

from modops.enforcement.adapters.base import PlatformAdapter, register
from modops.enforcement.adapters.http import send

if TYPE_CHECKING:
    from modops.enforcement.models import OutboxMessage


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None, tolerance: int = 300
) -> bool:
    """What a receiver does: check freshness, then compare signatures in constant time."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


@register
class WebhookAdapter(PlatformAdapter):
    kind = "webhook"
    description = "POSTs each action as signed JSON to a URL of the platform's."
    required_config = ("url", "secret")

    def deliver(self, message: OutboxMessage) -> None:
        body = json.dumps({"id": message.idempotency_key, **message.payload}, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        send(
            "POST",
            str(self.config["url"]),
            {
                "Content-Type": "application/json",
                "X-Modops-Timestamp": timestamp,
                "X-Modops-Signature": sign(str(self.config["secret"]), timestamp, body),
                "X-Modops-Topic": message.topic,
                "Idempotency-Key": message.idempotency_key,
            },
            body,
        )
