"""The chat-command parser (pure) and applying commands through the API."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modops.audit.models import Event
from modops.conftest import Api
from modops.enforcement.models import Action, ActionStatus, OutboxMessage
from modops.screening.chatcommands import (
    DEFAULT_TIMEOUT_SECONDS,
    MAX_TIMEOUT_SECONDS,
    CommandError,
    CommandKind,
    parse_command,
)
from modops.screening.models import ChannelSettings

users = st.from_regex(r"[A-Za-z0-9_]{1,25}", fullmatch=True)
units = st.sampled_from([("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800)])


@given(
    user=users,
    amount=st.integers(1, 400),
    unit=units,
    reason=st.text(st.characters(categories=["L", "N"]), max_size=40),
)
def test_timeout_reads_duration_units_and_keeps_the_reason(
    user: str, amount: int, unit: tuple[str, int], reason: str
) -> None:
    text = f"/timeout @{user} {amount}{unit[0]} {reason}"
    seconds = amount * unit[1]
    if seconds > MAX_TIMEOUT_SECONDS:
        with pytest.raises(CommandError) as caught:
            parse_command(text)
        assert caught.value.field == "duration"
        return
    command = parse_command(text)
    assert command.kind is CommandKind.TIMEOUT and command.user == user.lower()
    assert command.duration_seconds == seconds and command.reason == reason.strip()


@given(st.text(max_size=200))
def test_any_text_parses_or_fails_with_a_named_field(text: str) -> None:
    try:
        command = parse_command(text)
    except CommandError as exc:
        assert exc.field in {"text", "command", "user", "duration", "reason", "seconds", "message_id"}
    else:
        assert isinstance(command.kind, CommandKind)


def test_timeout_defaults_to_ten_minutes_and_two_weeks_is_the_most() -> None:
    assert parse_command("/timeout bob").duration_seconds == DEFAULT_TIMEOUT_SECONDS
    assert parse_command("/timeout bob spamming links").reason == "spamming links"
    assert parse_command("/timeout bob 2w").duration_seconds == MAX_TIMEOUT_SECONDS
    with pytest.raises(CommandError, match="duration"):
        parse_command("/timeout bob 15d")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("/warn bob", "reason"),
        ("/ban", "user"),
        ("/ban bad-name!", "user"),
        ("/slow 500", "seconds"),
        ("/slow fast", "seconds"),
        ("/followers 200d", "duration"),
        ("/frobnicate", "command"),
        ("hello", "command"),
        ("/delete", "message_id"),
        ("/shield now", "command"),
        ("/ban bob " + "x" * 501, "reason"),
    ],
)
def test_errors_name_what_is_wrong(text: str, field: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert caught.value.field == field


def test_modes_and_defaults() -> None:
    assert parse_command("/slow").duration_seconds == 30
    assert parse_command("/followers 10").duration_seconds == 600  # bare number = minutes
    assert parse_command(".emoteonly").kind is CommandKind.EMOTEONLY
    assert parse_command("/restrict @Troll").user == "troll"


@pytest.mark.django_db
def test_ban_becomes_an_enforcement_action_in_the_channel(moderator_api: Api) -> None:
    from modops.enforcement.models import Adapter

    Adapter.objects.create(name="log", kind="log")
    response = moderator_api.post("/channels/c5/commands", {"moderator_id": "mod_1", "text": "/ban troll hate raid"})
    assert response.status_code == 200, response.content
    action = Action.objects.get(pk=response.json()["action_id"])
    assert action.type == "indefinite_suspension" and action.channel_external_id == "c5"
    assert action.subject.external_id == "troll" and action.notice["facts"] == "hate raid"
    assert OutboxMessage.objects.filter(action=action, topic="action.apply").exists()
    assert Event.objects.filter(verb="channel.command", after__command="ban").exists()
    unban = moderator_api.post("/channels/c5/commands", {"moderator_id": "mod_1", "text": "/unban troll"})
    assert unban.json()["reversed"] == [str(action.id)]
    action.refresh_from_db()
    assert action.status == ActionStatus.REVERSED


@pytest.mark.django_db
def test_timeout_and_warn_are_actions_and_modes_change_settings(moderator_api: Api) -> None:
    timeout = moderator_api.post("/channels/c5/commands", {"moderator_id": "m", "text": "/timeout bob 1h spam"}).json()
    assert Action.objects.get(pk=timeout["action_id"]).duration_seconds == 3600
    warn = moderator_api.post("/channels/c5/commands", {"moderator_id": "m", "text": "/warn bob be nice"}).json()
    assert Action.objects.get(pk=warn["action_id"]).type == "warn"
    moderator_api.post("/channels/c5/commands", {"moderator_id": "m", "text": "/slow 10"})
    moderator_api.post("/channels/c5/commands", {"moderator_id": "m", "text": "/shield"})
    chat = ChannelSettings.objects.get(channel="c5").chat
    assert chat["slow_mode_wait_time"] == 10 and chat["shield_mode"] is True


@pytest.mark.django_db
def test_bad_command_is_422_naming_the_problem(moderator_api: Api) -> None:
    response = moderator_api.post("/channels/c5/commands", {"moderator_id": "m", "text": "/timeout bob 3w"})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "text"] and detail["msg"].startswith("duration")
