"""Carrying out a channel moderator's chat command.

Bans, timeouts and warnings become enforcement actions (so the platform adapters apply
them); unban and untimeout reverse them; chat modes change the channel's settings.
Every command is recorded as an event, whatever it does.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from modops.accounts.permissions import Perm
from modops.accounts.services import require
from modops.audit.services import NewEvent, record
from modops.enforcement.models import Action, ActionStatus
from modops.enforcement.services import ActionRequest, reverse_action, take_action
from modops.ops.ladder import ActionType, Step
from modops.review.services.errors import Invalid
from modops.screening.chatcommands import ChatCommand, CommandError, CommandKind, parse_command
from modops.screening.services.channels import StaffUser, update_chat_modes
from modops.subjects.kinds import SubjectKind
from modops.subjects.services import SubjectRef, upsert

_ACTION_OF = {
    CommandKind.BAN: ActionType.INDEFINITE_SUSPENSION,
    CommandKind.TIMEOUT: ActionType.TIMEOUT,
    CommandKind.WARN: ActionType.WARN,
}
_REVERSES = {
    CommandKind.UNBAN: (ActionType.INDEFINITE_SUSPENSION, ActionType.SUSPENSION),
    CommandKind.UNTIMEOUT: (ActionType.TIMEOUT,),
}
_MODES: dict[CommandKind, dict[str, Any]] = {
    CommandKind.SLOWOFF: {"slow_mode": False, "slow_mode_wait_time": None},
    CommandKind.FOLLOWERSOFF: {"follower_mode": False, "follower_mode_duration": None},
    CommandKind.SUBSCRIBERS: {"subscriber_mode": True},
    CommandKind.SUBSCRIBERSOFF: {"subscriber_mode": False},
    CommandKind.EMOTEONLY: {"emote_mode": True},
    CommandKind.EMOTEONLYOFF: {"emote_mode": False},
    CommandKind.UNIQUECHAT: {"unique_chat_mode": True},
    CommandKind.UNIQUECHATOFF: {"unique_chat_mode": False},
    CommandKind.SHIELD: {"shield_mode": True},
    CommandKind.SHIELDOFF: {"shield_mode": False},
}
_LOW_TRUST = {
    CommandKind.MONITOR: "active_monitoring",
    CommandKind.RESTRICT: "restricted",
    CommandKind.UNMONITOR: None,
    CommandKind.UNRESTRICT: None,
}


def run_command(channel: str, moderator: str, text: str, actor: str, user: StaffUser) -> dict[str, Any]:
    """Parse and apply; :class:`~modops.screening.chatcommands.CommandError` names what is wrong."""
    require(user, Perm.CHANNELS_MODERATE)
    try:
        command = parse_command(text)
    except CommandError as exc:
        raise Invalid("text", f"{exc.field}: {exc.message}") from None
    with transaction.atomic():
        result = _apply(channel, moderator[:100], command, actor)
    return {"command": command.kind.value, "channel": channel, **result}


def _command_event(channel: str, moderator: str, command: ChatCommand, actor: str, extra: dict[str, Any]) -> NewEvent:
    return NewEvent(
        actor=actor,
        verb="channel.command",
        subject_kind="channel",
        subject_external_id=channel,
        after={
            "command": command.kind.value,
            "moderator_id": moderator,
            "user": command.user,
            "duration_seconds": command.duration_seconds,
            "message_id": command.message_id,
            **extra,
        },
        reason=command.reason,
    )


def _apply(channel: str, moderator: str, command: ChatCommand, actor: str) -> dict[str, Any]:
    kind = command.kind
    if kind in _ACTION_OF:
        return _enforce(channel, moderator, command, actor)
    if kind in _REVERSES:
        return _reverse(channel, moderator, command, actor)
    if kind is CommandKind.DELETE:
        assert command.message_id is not None
        message = upsert(SubjectRef(kind=SubjectKind.CHAT_MESSAGE, id=command.message_id, channel_id=channel)).subject
        taken = take_action(
            ActionRequest(
                subject=message,
                step=Step(ActionType.DELETE_MESSAGE),
                policy=None,
                actor=actor,
                facts=f"deleted by channel moderator {moderator}",
                channel=channel,
            )
        )
        record([_command_event(channel, moderator, command, actor, {"action_id": str(taken.action.id)}), *taken.events])
        return {"action_id": str(taken.action.id)}
    changes: dict[str, Any] | None = None
    if kind is CommandKind.SLOW:
        changes = {"slow_mode": True, "slow_mode_wait_time": command.duration_seconds}
    elif kind is CommandKind.FOLLOWERS:
        changes = {"follower_mode": True, "follower_mode_duration": (command.duration_seconds or 0) // 60}
    elif kind in _MODES:
        changes = dict(_MODES[kind])
    elif kind in _LOW_TRUST:
        assert command.user is not None
        changes = {"low_trust": {command.user: _LOW_TRUST[kind]}}
    if changes is not None:
        chat = update_chat_modes(
            channel, changes, actor, "channel.chat_settings_changed", f"/{kind.value} by {moderator}"
        )
        record([_command_event(channel, moderator, command, actor, {"changes": changes})])
        return {"chat": chat}
    # /clear, /mod, /vip, /raid ...: the platform carries these out; modops keeps the record.
    record([_command_event(channel, moderator, command, actor, {})])
    return {"recorded": True}


def _enforce(channel: str, moderator: str, command: ChatCommand, actor: str) -> dict[str, Any]:
    assert command.user is not None
    account = upsert(SubjectRef(kind=SubjectKind.ACCOUNT, id=command.user)).subject
    step = Step(_ACTION_OF[command.kind], command.duration_seconds if command.kind is CommandKind.TIMEOUT else None)
    facts = command.reason or f"/{command.kind.value} by channel moderator {moderator}"
    taken = take_action(
        ActionRequest(subject=account, step=step, policy=None, actor=actor, facts=facts, channel=channel)
    )
    record([_command_event(channel, moderator, command, actor, {"action_id": str(taken.action.id)}), *taken.events])
    return {"action_id": str(taken.action.id)}


def _reverse(channel: str, moderator: str, command: ChatCommand, actor: str) -> dict[str, Any]:
    assert command.user is not None
    types = [t.value for t in _REVERSES[command.kind]]
    active = list(
        Action.objects.select_for_update(of=("self",))
        .select_related("subject", "decision")
        .filter(
            subject__kind=SubjectKind.ACCOUNT,
            subject__external_id=command.user,
            channel_external_id=channel,
            type__in=types,
            status=ActionStatus.ACTIVE,
        )
    )
    events = []
    for action in active:
        events.extend(reverse_action(action, actor, f"/{command.kind.value} by channel moderator {moderator}"))
    reversed_ids = [str(a.id) for a in active]
    record([_command_event(channel, moderator, command, actor, {"reversed": reversed_ids}), *events])
    return {"reversed": reversed_ids}
