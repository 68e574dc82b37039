"""Twitch Helix: the moderation calls that carry out modops actions in a channel.

| modops action                        | Helix call                                                  |
|--------------------------------------|-------------------------------------------------------------|
| warn                                 | POST /moderation/warnings  {"data": {"user_id", "reason"}}  |
| timeout, suspension (≤ 14 days)      | POST /moderation/bans  {"data": {"user_id", "duration", "reason"}} |
| suspension > 14 days, indefinite     | POST /moderation/bans  {"data": {"user_id", "reason"}}  (no duration = ban) |
| delete_message                       | DELETE /moderation/chat?message_id=...                      |
| reversal of a ban applied without duration | DELETE /moderation/bans?user_id=...                   |

Every call carries ``broadcaster_id`` (the channel) and ``moderator_id`` as query parameters.
Helix has no call to end a stream or remove a clip: those are recorded as not applicable here.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from typing import TYPE_CHECKING, Any

from modops.enforcement.adapters.base import DeliveryError, PlatformAdapter, register
from modops.enforcement.adapters.http import send
from modops.ops.ladder import MAX_TIMEOUT_SECONDS

if TYPE_CHECKING:
    from modops.enforcement.models import OutboxMessage

log = logging.getLogger(__name__)
REASON_LIMIT = 500
BAN_TYPES = {"timeout", "suspension", "indefinite_suspension"}


@register
class TwitchHelixAdapter(PlatformAdapter):
    kind = "twitch"
    description = "Carries out actions in the channel through Twitch's Helix moderation API."
    required_config = ("client_id", "access_token", "moderator_id")

    @property
    def base_url(self) -> str:
        return str(self.config.get("base_url") or "https://api.twitch.tv/helix").rstrip("/")

    def _call(self, method: str, path: str, query: dict[str, str], body: dict[str, Any] | None = None) -> None:
        url = f"{self.base_url}{path}?{urllib.parse.urlencode(query)}"
        headers = {
            "Authorization": f"Bearer {self.config['access_token']}",
            "Client-Id": str(self.config["client_id"]),
        }
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        send(method, url, headers, data)

    def deliver(self, message: OutboxMessage) -> None:
        payload = message.payload
        action = payload["action"]
        target = payload["target"]
        kind = action["type"]
        channel = action.get("channel_id")
        if kind in {"end_stream", "remove_content", "none"}:
            log.info("no Helix call for this action", extra={"data": {"type": kind, "key": message.idempotency_key}})
            return
        if not channel:
            raise DeliveryError("no channel (broadcaster_id) for this action", retryable=False)
        query = {"broadcaster_id": str(channel), "moderator_id": str(self.config["moderator_id"])}
        reason = str((payload.get("notice") or {}).get("facts") or action.get("policy") or "")[:REASON_LIMIT]
        if message.topic == "action.reverse":
            expired = bool((payload.get("subject") or {}).get("expired"))
            self._reverse(kind, action, target, query, expired)
            return
        if kind == "warn":
            self._call("POST", "/moderation/warnings", query, {"data": {"user_id": target["id"], "reason": reason}})
        elif kind in BAN_TYPES:
            data: dict[str, Any] = {"user_id": target["id"], "reason": reason}
            duration = action.get("duration_seconds")
            if kind != "indefinite_suspension" and duration and duration <= MAX_TIMEOUT_SECONDS:
                data["duration"] = int(duration)
            self._call("POST", "/moderation/bans", query, {"data": data})
        elif kind == "delete_message":
            self._call("DELETE", "/moderation/chat", {**query, "message_id": str(target["id"])})
        else:
            raise DeliveryError(f"unsupported action {kind!r}", retryable=False)

    def _reverse(
        self, kind: str, action: dict[str, Any], target: dict[str, Any], query: dict[str, str], expired: bool
    ) -> None:
        duration = action.get("duration_seconds")
        timed_natively = kind in {"timeout", "suspension"} and duration is not None and duration <= MAX_TIMEOUT_SECONDS
        if kind not in BAN_TYPES or (timed_natively and expired):
            return  # Twitch lifts timed bans itself; warnings and deletions have nothing to undo.
        self._call("DELETE", "/moderation/bans", {**query, "user_id": str(target["id"])})
