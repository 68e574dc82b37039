"""The Twitch Helix adapter, against a local server that checks each call exactly."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from modops.audit.services import record
from modops.enforcement.models import Adapter, OutboxMessage, OutboxStatus
from modops.enforcement.services import deliver_due, reverse_action
from modops.testing.factories import decide_item, open_item

CONFIG = {"client_id": "client-abc", "access_token": "token-xyz", "moderator_id": "mod_77"}
AUTH = {"broadcaster_id": "ch_9", "moderator_id": "mod_77"}
FOURTEEN_DAYS = 1_209_600


@pytest.fixture
def helix(receiver):
    Adapter.objects.create(name="twitch", kind="twitch", config={**CONFIG, "base_url": receiver.url + "/helix"})
    return receiver


def _calls(receiver) -> list[tuple[str, str, list[tuple[str, str]], object]]:
    out = []
    for r in receiver.requests:
        url = urlsplit(r.path)
        body = json.loads(r.body) if r.body else None
        out.append((r.method, url.path, parse_qsl(url.query, keep_blank_values=True), body))
    return out


def _deliver() -> None:
    assert deliver_due() >= 1
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.DELIVERED}


def _act(moderator, action: str, duration: int | None = None, subject: str = "m1", note: str = "rude in chat"):
    return decide_item(moderator.user, open_item(subject), action=action, duration=duration, note=note).actions[0]


def test_every_call_carries_the_bearer_token_and_client_id(moderator, helix):
    _act(moderator, "warn")
    _deliver()
    [request] = helix.requests
    assert request.headers["Authorization"] == "Bearer token-xyz"
    assert request.headers["Client-Id"] == "client-abc"
    assert request.headers["Content-Type"] == "application/json"


def test_warn_posts_a_warning(moderator, helix):
    _act(moderator, "warn")
    _deliver()
    assert _calls(helix) == [
        (
            "POST",
            "/helix/moderation/warnings",
            list(AUTH.items()),
            {"data": {"user_id": "acc_9", "reason": "rude in chat"}},
        )
    ]


@pytest.mark.parametrize("kind", ["timeout", "suspension"])
@pytest.mark.parametrize("duration", [600, 86400, FOURTEEN_DAYS])
def test_timeouts_and_suspensions_up_to_14_days_are_bans_with_duration(moderator, helix, kind, duration):
    _act(moderator, kind, duration)
    _deliver()
    assert _calls(helix) == [
        (
            "POST",
            "/helix/moderation/bans",
            list(AUTH.items()),
            {"data": {"user_id": "acc_9", "reason": "rude in chat", "duration": duration}},
        )
    ]


@pytest.mark.parametrize(
    ("kind", "duration"),
    [("suspension", FOURTEEN_DAYS + 1), ("suspension", 30 * 86400), ("indefinite_suspension", None)],
)
def test_longer_suspensions_and_indefinite_ones_are_bans_without_duration(moderator, helix, kind, duration):
    _act(moderator, kind, duration)
    _deliver()
    assert _calls(helix) == [
        (
            "POST",
            "/helix/moderation/bans",
            list(AUTH.items()),
            {"data": {"user_id": "acc_9", "reason": "rude in chat"}},
        )
    ]


def test_delete_message_deletes_that_chat_message(moderator, helix):
    _act(moderator, "delete_message", subject="msg_abc")
    _deliver()
    [(method, path, query, body)] = _calls(helix)
    assert (method, path, query, body) == (
        "DELETE",
        "/helix/moderation/chat",
        [*AUTH.items(), ("message_id", "msg_abc")],
        None,
    )
    assert "Content-Type" not in helix.requests[0].headers


def test_the_reason_is_cut_to_500_characters(moderator, helix):
    _act(moderator, "warn", note="x" * 800)
    _deliver()
    assert _calls(helix)[0][3]["data"]["reason"] == "x" * 500


def test_reversing_an_indefinite_ban_unbans(moderator, helix):
    action = _act(moderator, "indefinite_suspension")
    _deliver()
    with transaction.atomic():
        record(reverse_action(action, "staff:mod1", "appeal granted"))
    _deliver()
    assert _calls(helix)[1] == ("DELETE", "/helix/moderation/bans", [*AUTH.items(), ("user_id", "acc_9")], None)


def test_a_long_suspension_is_lifted_when_it_ends(moderator, helix):
    action = _act(moderator, "suspension", 30 * 86400)
    _deliver()
    from modops.enforcement.worker import run_once

    with time_machine.travel(action.ends_at + timedelta(minutes=1)):
        run_once()  # expires it and queues the reversal
        run_once()  # delivers the reversal
    assert _calls(helix)[1] == ("DELETE", "/helix/moderation/bans", [*AUTH.items(), ("user_id", "acc_9")], None)


def test_a_timed_ban_that_runs_out_needs_no_call(moderator, helix):
    action = _act(moderator, "timeout", 600)
    _deliver()
    from modops.enforcement.worker import run_once

    with time_machine.travel(action.ends_at + timedelta(minutes=1)):
        run_once()
        run_once()
    assert len(helix.requests) == 1
    assert OutboxMessage.objects.get(topic="action.reverse").status == OutboxStatus.DELIVERED


def test_a_timed_ban_reversed_early_is_lifted(moderator, helix):
    action = _act(moderator, "timeout", 600)
    _deliver()
    with transaction.atomic():
        record(reverse_action(action, "staff:mod1", "mistake"))
    _deliver()
    assert _calls(helix)[1] == ("DELETE", "/helix/moderation/bans", [*AUTH.items(), ("user_id", "acc_9")], None)


def test_an_action_without_a_channel_is_dead_lettered_not_guessed(moderator, helix):
    item = open_item("acc_lonely", kind="account", account_id=None, channel_id=None)
    decide_item(moderator.user, item, action="warn")
    deliver_due()
    row = OutboxMessage.objects.get()
    assert row.status == OutboxStatus.DEAD
    assert "broadcaster_id" in row.last_error
    assert helix.requests == []


def test_helix_rate_limits_are_retried(moderator, helix):
    helix.status = 429
    _act(moderator, "warn")
    deliver_due()
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    helix.status = 200
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        deliver_due()
    row.refresh_from_db()
    assert row.status == OutboxStatus.DELIVERED


def test_missing_credentials_dead_letter_the_message(moderator, receiver):
    Adapter.objects.create(name="twitch", kind="twitch", config={"base_url": receiver.url, "client_id": "c"})
    _act(moderator, "warn")
    deliver_due()
    row = OutboxMessage.objects.get()
    assert row.status == OutboxStatus.DEAD
    assert "access_token" in row.last_error
