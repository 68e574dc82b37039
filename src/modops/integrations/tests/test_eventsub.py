"""The Twitch EventSub webhook receiver."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client, override_settings

from modops.integrations.models import EventSubDelivery, ModerationSignal
from modops.integrations.twitch import signature
from modops.screening.models import HeldMessage

SECRET = "s3cret-for-tests"
URL = "/integrations/twitch/eventsub"
FIXTURES = Path(__file__).resolve().parent / "fixtures"  # Twitch's own example payloads
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("configured")]


@pytest.fixture
def configured():  # type: ignore[no-untyped-def]
    with override_settings(MODOPS_TWITCH_EVENTSUB_SECRET=SECRET):
        yield


def _chat(text: str = "good game", message_id: str = "m-1") -> dict:
    return {
        "subscription": {"id": "sub-1", "type": "channel.chat.message", "version": "1", "status": "enabled"},
        "event": {
            "broadcaster_user_id": "1971641",
            "chatter_user_id": "4145994",
            "message_id": message_id,
            "message": {"text": text, "fragments": []},
        },
    }


def post(
    body: bytes | dict,
    message_id: str = "d-1",
    kind: str = "notification",
    at: datetime | None = None,
    secret: str = SECRET,
    drop: str | None = None,
    sig: str | None = None,
):  # type: ignore[no-untyped-def]
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = (at or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    headers = {
        "HTTP_TWITCH_EVENTSUB_MESSAGE_ID": message_id,
        "HTTP_TWITCH_EVENTSUB_MESSAGE_TIMESTAMP": stamp,
        "HTTP_TWITCH_EVENTSUB_MESSAGE_SIGNATURE": sig or signature(secret, message_id, stamp, raw),
        "HTTP_TWITCH_EVENTSUB_MESSAGE_TYPE": kind,
    }
    if drop:
        headers.pop(drop)
    return Client().post(URL, data=raw, content_type="application/json", **headers)


def test_challenge_is_answered_as_plain_text() -> None:
    body = {"challenge": "pogchamp-kappa-360noscope", "subscription": {"id": "s", "type": "channel.chat.message"}}
    response = post(body, kind="webhook_callback_verification")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"pogchamp-kappa-360noscope"


def test_chat_message_is_screened_and_a_hold_stored() -> None:
    assert post(_chat("kill yourself loser", "chat-9")).status_code == 204
    delivery = EventSubDelivery.objects.get(message_id="d-1")
    assert delivery.result["verdict"] == "hold"
    assert HeldMessage.objects.get(message_id="chat-9").channel == "1971641"


def test_shipped_chat_fixture_is_accepted() -> None:
    body = (FIXTURES / "channel.chat.message.json").read_bytes()
    assert post(body).status_code == 204
    assert EventSubDelivery.objects.get(message_id="d-1").result["verdict"] in ("allow", "hold", "deny")


@pytest.mark.parametrize(
    ("name", "subscription_type"),
    [
        ("channel.moderate.v2.timeout.json", "channel.moderate"),
        ("automod.message.hold.v2.json", "automod.message.hold"),
    ],
)
def test_moderation_events_are_recorded_as_signals(name: str, subscription_type: str) -> None:
    body = (FIXTURES / name).read_bytes()
    assert post(body).status_code == 204
    signal = ModerationSignal.objects.get()
    assert signal.kind == subscription_type and signal.platform == "twitch" and signal.channel


@pytest.mark.parametrize(
    "header",
    [
        "HTTP_TWITCH_EVENTSUB_MESSAGE_SIGNATURE",
        "HTTP_TWITCH_EVENTSUB_MESSAGE_ID",
        "HTTP_TWITCH_EVENTSUB_MESSAGE_TIMESTAMP",
        "HTTP_TWITCH_EVENTSUB_MESSAGE_TYPE",
    ],
)
def test_missing_signing_header_is_401_and_nothing_is_processed(header: str) -> None:
    assert post(_chat(), drop=header).status_code == 401
    assert not EventSubDelivery.objects.exists()


def test_wrong_signature_is_403_and_nothing_is_processed() -> None:
    assert post(_chat("kill yourself"), secret="another-secret-value").status_code == 403
    assert post(_chat("kill yourself"), sig="sha256=zz").status_code == 403
    assert not EventSubDelivery.objects.exists() and not HeldMessage.objects.exists()


def test_replay_older_than_ten_minutes_is_refused() -> None:
    response = post(_chat(), at=datetime.now(UTC) - timedelta(minutes=11))
    assert response.status_code == 403 and "replay" in response.json()["detail"]
    assert not EventSubDelivery.objects.exists()


def test_duplicate_message_id_is_ignored() -> None:
    assert post(_chat("kill yourself loser", "chat-1")).status_code == 204
    assert post(_chat("kill yourself loser", "chat-2")).status_code == 204
    assert EventSubDelivery.objects.count() == 1
    assert list(HeldMessage.objects.values_list("message_id", flat=True)) == ["chat-1"]


def test_revocation_is_recorded() -> None:
    body = {"subscription": {"id": "sub-1", "type": "channel.chat.message", "status": "authorization_revoked"}}
    assert post(body, kind="revocation").status_code == 204
    assert EventSubDelivery.objects.get().result == {"revoked": "authorization_revoked"}


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe not utf-8",
        b"[1, 2]",
        b"{",
        b'{"subscription": "x"}',
        b'{"subscription": {"type": "channel.chat.message"}}',
        json.dumps({"subscription": {"type": "channel.chat.message"}, "event": {"message": {"text": 5}}}).encode(),
    ],
)
def test_malformed_bodies_are_400(raw: bytes) -> None:
    assert post(raw).status_code == 400
    assert not EventSubDelivery.objects.exists()


@pytest.mark.parametrize(
    "text",
    ["\u200b" * 5000 + "hi", "e\u0301" * 3000, "😀🔥💯" * 50, "مرحبا بالجميع في البث"],
)
def test_hostile_chat_text_is_screened_without_error(text: str) -> None:
    assert post(_chat(text)).status_code == 204
    assert EventSubDelivery.objects.get().result["verdict"] in ("allow", "hold", "deny")


def test_megabyte_body_is_refused_before_processing() -> None:
    response = post(_chat("a" * 3_000_000))
    assert response.status_code == 413
    assert not EventSubDelivery.objects.exists()
