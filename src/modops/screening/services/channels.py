"""A channel's screening settings: validation, storage, the cached screener, chat modes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from modops.accounts.permissions import Perm
from modops.accounts.services import require
from modops.audit.services import NewEvent, record, require_transaction
from modops.caching import TtlCache
from modops.review.services.errors import Invalid
from modops.screening.models import ChannelSettings
from modops.text.automod import AutoModSettings
from modops.text.channels import ChannelConfig, ConfigError, parse_automod, parse_channel
from modops.text.classify import SecondStage
from modops.text.patterns import ChannelTerms, PatternError
from modops.text.screen import Screener

#: What channels without settings get: Twitch's documented default.
DEFAULT_LEVEL = 3
MAX_TIMEOUT_SECONDS = 1_209_600
_SCREENERS: dict[str, tuple[datetime | None, Screener, ChannelConfig]] = {}
StaffUser = User | AnonymousUser | None


class InvalidSettings(Invalid):
    """A setting that cannot be used; ``field`` is its dotted path (``blocked_terms.3``)."""


_DEFAULT: list[tuple[Screener, ChannelConfig]] = []


def live_second_stage() -> SecondStage | None:
    """The second stage for live screening when ``MODOPS_SECOND_STAGE`` is on, else None."""
    if not settings.MODOPS_SECOND_STAGE:
        return None
    from modops.text.minilm import default_second_stage

    return default_second_stage()


def _default_screener() -> tuple[Screener, ChannelConfig]:
    """One screener shared by every channel without settings, so they screen as one batch."""
    if not _DEFAULT:
        screener = Screener(AutoModSettings.overall(DEFAULT_LEVEL), second_stage=live_second_stage())
        _DEFAULT.append((screener, ChannelConfig()))
    return _DEFAULT[0]


#: Each channel's settings stamp (``updated_at``; None: no settings), so a chat batch of
#: recently seen channels needs no query. A save in this process clears it at once;
#: other processes see a change within the entry's lifetime.
_STAMPS: TtlCache[str, object] = TtlCache("channel-settings-stamps", 5.0, invalidate_on=(ChannelSettings,))
_UNKNOWN = object()


def _const(value: object) -> Callable[[], object]:
    return lambda: value


def _stamps(channels: set[str]) -> dict[str, datetime | None]:
    """Settings stamps from the cache; one query for the channels it does not hold."""
    out: dict[str, datetime | None] = {}
    missing = []
    for channel in channels:
        stamp = _STAMPS.get(channel, lambda: _UNKNOWN)
        if stamp is _UNKNOWN:
            missing.append(channel)
        else:
            out[channel] = stamp  # type: ignore[assignment]
    if missing:
        found = dict(ChannelSettings.objects.filter(channel__in=missing).values_list("channel", "updated_at"))
        for channel in missing:
            _STAMPS.pop(channel)
            out[channel] = found.get(channel)
            _STAMPS.get(channel, _const(out[channel]))
    return out


def screeners_for(channels: set[str]) -> dict[str, tuple[Screener, ChannelConfig]]:
    """Each channel's screener (at most one query for all), rebuilt only when its settings row changed."""
    stamps = _stamps(channels)
    out: dict[str, tuple[Screener, ChannelConfig]] = {}
    for channel in channels:
        stamp = stamps.get(channel)
        if stamp is None:
            out[channel] = _default_screener()
            continue
        cached = _SCREENERS.get(channel)
        if cached is not None and cached[0] == stamp:
            out[channel] = (cached[1], cached[2])
            continue
        row = ChannelSettings.objects.filter(channel=channel).first()
        if row is None:  # deleted in another process since the stamp was cached
            out[channel] = _default_screener()
            continue
        config = parse_channel(row.as_config(), channel)
        screener = Screener(
            config.settings or AutoModSettings.overall(DEFAULT_LEVEL), config.terms, second_stage=live_second_stage()
        )
        if len(_SCREENERS) > 10_000:
            _SCREENERS.clear()
        _SCREENERS[channel] = (row.updated_at, screener, config)
        out[channel] = (screener, config)
    return out


def screener_for(channel: str) -> tuple[Screener, ChannelConfig]:
    return screeners_for({channel})[channel]


def _string_list(value: object, field: str) -> list[str]:
    if not isinstance(value, list):
        raise InvalidSettings(field, "expected a list of strings")
    for i, entry in enumerate(value):
        if not isinstance(entry, str):
            raise InvalidSettings(f"{field}.{i}", "expected a string")
    return list(value)


def _check_terms(entries: list[str], field: str, blocked: bool) -> None:
    """Compile entry by entry so the error names the index a moderator has to fix."""
    for i, entry in enumerate(entries):
        try:
            ChannelTerms(blocked=[entry]) if blocked else ChannelTerms(permitted=[entry])
        except PatternError as exc:
            raise InvalidSettings(f"{field}.{i}", str(exc)) from None
    try:
        ChannelTerms(blocked=entries) if blocked else ChannelTerms(permitted=entries)
    except PatternError as exc:
        raise InvalidSettings(field, str(exc)) from None


def _int(data: dict[str, Any], key: str, field: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidSettings(field, f"must be an integer {low}..{high}")
    return value


@dataclass(frozen=True)
class AutoTimeout:
    after: int = 0
    window_minutes: int = 10
    seconds: int = 600


def validate(data: dict[str, Any]) -> tuple[dict[str, Any], AutoTimeout]:
    """Check a settings document; returns the screening part and the auto-timeout rule."""
    known = {"automod", "blocked_terms", "permitted_terms", "allowed_links", "auto_timeout"}
    for key in data:
        if key not in known:
            raise InvalidSettings(key, f"unknown field; known: {', '.join(sorted(known))}")
    automod = data.get("automod") or {}
    if automod:
        try:
            parse_automod(automod)
        except ConfigError as exc:
            raise InvalidSettings(exc.field, exc.message) from None
    blocked = _string_list(data.get("blocked_terms", []), "blocked_terms")
    permitted = _string_list(data.get("permitted_terms", []), "permitted_terms")
    links = _string_list(data.get("allowed_links", []), "allowed_links")
    _check_terms(blocked, "blocked_terms", True)
    _check_terms(permitted, "permitted_terms", False)
    try:
        parse_channel({"allowed_links": links}, "x")
    except ConfigError as exc:
        raise InvalidSettings("allowed_links", exc.message) from None
    rule = data.get("auto_timeout") or {}
    if not isinstance(rule, dict):
        raise InvalidSettings("auto_timeout", "expected an object {after, window_minutes, seconds}")
    for key in rule:
        if key not in ("after", "window_minutes", "seconds"):
            raise InvalidSettings(f"auto_timeout.{key}", "unknown field; known: after, seconds, window_minutes")
    timeout = AutoTimeout(
        after=_int(rule, "after", "auto_timeout.after", 0, 0, 1000),
        window_minutes=_int(rule, "window_minutes", "auto_timeout.window_minutes", 10, 1, 10_080),
        seconds=_int(rule, "seconds", "auto_timeout.seconds", 600, 1, MAX_TIMEOUT_SECONDS),
    )
    fields = {"automod": dict(automod), "blocked_terms": blocked, "permitted_terms": permitted, "allowed_links": links}
    return fields, timeout


def settings_document(row: ChannelSettings | None, channel: str) -> dict[str, Any]:
    if row is None:
        return {
            "channel": channel,
            "automod": AutoModSettings.overall(DEFAULT_LEVEL).to_helix(),
            "blocked_terms": [],
            "permitted_terms": [],
            "allowed_links": [],
            "auto_timeout": {"after": 0, "window_minutes": 10, "seconds": 600},
            "chat": {},
        }
    automod = parse_automod(row.automod) if row.automod else AutoModSettings.overall(DEFAULT_LEVEL)
    return {
        "channel": row.channel,
        "automod": automod.to_helix(),
        "blocked_terms": row.blocked_terms,
        "permitted_terms": row.permitted_terms,
        "allowed_links": row.allowed_links,
        "auto_timeout": {
            "after": row.auto_timeout_after,
            "window_minutes": row.auto_timeout_window_minutes,
            "seconds": row.auto_timeout_seconds,
        },
        "chat": row.chat,
    }


def get_channel_settings(channel: str, user: StaffUser) -> dict[str, Any]:
    require(user, Perm.CHANNELS_MODERATE)
    return settings_document(ChannelSettings.objects.filter(channel=channel).first(), channel)


def save_channel_settings(
    channel: str, data: dict[str, Any], actor: str = "system", user: StaffUser = None
) -> ChannelSettings:
    """Validate (RE2 patterns compiled here) and store the whole document (PUT semantics).

    ``user`` is checked for the channel-moderation permission when given; system callers
    (the admin form, set-up scripts) pass none.
    """
    if user is not None:
        require(user, Perm.CHANNELS_MODERATE)
    fields, timeout = validate(data)
    with transaction.atomic():
        before = ChannelSettings.objects.select_for_update().filter(channel=channel).first()
        before_doc = settings_document(before, channel)
        row, _ = ChannelSettings.objects.update_or_create(
            channel=channel,
            defaults={
                **fields,
                "auto_timeout_after": timeout.after,
                "auto_timeout_window_minutes": timeout.window_minutes,
                "auto_timeout_seconds": timeout.seconds,
            },
        )
        after_doc = settings_document(row, channel)
        record([_channel_event(actor, "channel.settings_changed", channel, after_doc, before_doc)])
    return row


def _channel_event(
    actor: str, verb: str, channel: str, after: dict[str, Any], before: dict[str, Any] | None = None, reason: str = ""
) -> NewEvent:
    return NewEvent(
        actor=actor,
        verb=verb,
        subject_kind="channel",
        subject_external_id=channel,
        before=before or {},
        after=after,
        reason=reason,
    )


def update_chat_modes(channel: str, changes: dict[str, Any], actor: str, verb: str, reason: str = "") -> dict[str, Any]:
    """Merge chat-mode changes into the channel's settings; records one event. Caller's transaction."""
    require_transaction()
    row, _ = ChannelSettings.objects.select_for_update().get_or_create(channel=channel)
    before = dict(row.chat)
    chat = dict(row.chat)
    for key, value in changes.items():
        if key == "low_trust" and isinstance(value, dict):
            merged = dict(chat.get("low_trust", {}))
            for user, status in value.items():
                if status is None:
                    merged.pop(user, None)
                else:
                    merged[user] = status
            chat["low_trust"] = merged
        else:
            chat[key] = value
    row.chat = chat
    row.save(update_fields=["chat", "updated_at"])
    record([_channel_event(actor, verb, channel, {"chat": chat, "changes": changes}, {"chat": before}, reason)])
    return chat
