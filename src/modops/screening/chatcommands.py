"""Parsing the chat commands a channel's bot reads (``/ban``, ``/timeout``, ``/slow`` ...).

Pure: no Django. :func:`parse_command` turns one chat line into a :class:`ChatCommand`
or raises :class:`CommandError` naming what is wrong (``user``, ``duration``,
``reason``, ``seconds``, ``message_id``, ``command``). Limits follow Twitch's Helix
API: timeouts 1 s to 2 weeks (default 10 minutes), slow mode 3-120 s (default 30),
follower-only 0-129,600 minutes, reasons up to 500 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "DEFAULT_SLOW_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "MAX_FOLLOWER_MINUTES",
    "MAX_REASON_CHARS",
    "MAX_TIMEOUT_SECONDS",
    "ChatCommand",
    "CommandError",
    "CommandKind",
    "parse_command",
    "parse_duration",
]

DEFAULT_TIMEOUT_SECONDS = 600
MAX_TIMEOUT_SECONDS = 1_209_600
DEFAULT_SLOW_SECONDS = 30
MIN_SLOW_SECONDS, MAX_SLOW_SECONDS = 3, 120
MAX_FOLLOWER_MINUTES = 129_600
MAX_REASON_CHARS = 500
MAX_LINE_CHARS = 2_000

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(r"^(\d{1,9})([smhdw]?)$")
# Twitch logins: 1-25 letters, digits or underscores; ids are digits. A leading @ is dropped.
_USER = re.compile(r"^[A-Za-z0-9_]{1,25}$")
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_\-]{1,100}$")


class CommandKind(StrEnum):
    BAN = "ban"
    UNBAN = "unban"
    TIMEOUT = "timeout"
    UNTIMEOUT = "untimeout"
    WARN = "warn"
    DELETE = "delete"
    CLEAR = "clear"
    SLOW = "slow"
    SLOWOFF = "slowoff"
    FOLLOWERS = "followers"
    FOLLOWERSOFF = "followersoff"
    SUBSCRIBERS = "subscribers"
    SUBSCRIBERSOFF = "subscribersoff"
    EMOTEONLY = "emoteonly"
    EMOTEONLYOFF = "emoteonlyoff"
    UNIQUECHAT = "uniquechat"
    UNIQUECHATOFF = "uniquechatoff"
    SHIELD = "shield"
    SHIELDOFF = "shieldoff"
    MONITOR = "monitor"
    UNMONITOR = "unmonitor"
    RESTRICT = "restrict"
    UNRESTRICT = "unrestrict"
    MOD = "mod"
    UNMOD = "unmod"
    VIP = "vip"
    UNVIP = "unvip"
    RAID = "raid"
    UNRAID = "unraid"


#: Commands whose first argument is a user (required).
USER_COMMANDS = frozenset(
    {
        CommandKind.BAN,
        CommandKind.UNBAN,
        CommandKind.TIMEOUT,
        CommandKind.UNTIMEOUT,
        CommandKind.WARN,
        CommandKind.MONITOR,
        CommandKind.UNMONITOR,
        CommandKind.RESTRICT,
        CommandKind.UNRESTRICT,
        CommandKind.MOD,
        CommandKind.UNMOD,
        CommandKind.VIP,
        CommandKind.UNVIP,
        CommandKind.RAID,
    }
)
#: Commands that take a free-text reason after their other arguments.
REASON_COMMANDS = frozenset({CommandKind.BAN, CommandKind.TIMEOUT, CommandKind.WARN})
#: Commands that take nothing at all.
BARE_COMMANDS = frozenset(
    {
        CommandKind.CLEAR,
        CommandKind.SLOWOFF,
        CommandKind.FOLLOWERSOFF,
        CommandKind.SUBSCRIBERS,
        CommandKind.SUBSCRIBERSOFF,
        CommandKind.EMOTEONLY,
        CommandKind.EMOTEONLYOFF,
        CommandKind.UNIQUECHAT,
        CommandKind.UNIQUECHATOFF,
        CommandKind.SHIELD,
        CommandKind.SHIELDOFF,
        CommandKind.UNRAID,
    }
)


class CommandError(ValueError):
    """A command that cannot be carried out; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class ChatCommand:
    kind: CommandKind
    user: str | None = None
    #: timeout length, slow-mode wait or follower-only minimum age, in seconds
    duration_seconds: int | None = None
    reason: str = ""
    message_id: str | None = None


def parse_duration(token: str, default_unit: str = "s") -> int:
    """``90``, ``90s``, ``10m``, ``2h``, ``1d``, ``2w`` -> seconds; ValueError otherwise."""
    found = _DURATION.match(token.strip().lower())
    if found is None:
        raise ValueError(f"{token[:20]!r} is not a duration like 30s, 10m, 2h, 1d or 1w")
    return int(found.group(1)) * _UNITS[found.group(2) or default_unit]


def _user(token: str | None) -> str:
    if token is None:
        raise CommandError("user", "this command needs a user")
    name = token[1:] if token.startswith("@") else token
    if not _USER.match(name):
        raise CommandError("user", f"{token[:30]!r} is not a user name (1-25 letters, digits or _)")
    return name.lower()


def _reason(words: list[str], required: bool = False) -> str:
    reason = " ".join(words).strip()
    if required and not reason:
        raise CommandError("reason", "a reason is required")
    if len(reason) > MAX_REASON_CHARS:
        raise CommandError("reason", f"longer than {MAX_REASON_CHARS} characters")
    return reason


def _looks_like_duration(token: str) -> bool:
    return _DURATION.match(token.lower()) is not None


def _timeout(words: list[str]) -> ChatCommand:
    user = _user(words[0] if words else None)
    rest = words[1:]
    seconds = DEFAULT_TIMEOUT_SECONDS
    if rest and _looks_like_duration(rest[0]):
        seconds = parse_duration(rest[0])
        rest = rest[1:]
        if not 1 <= seconds <= MAX_TIMEOUT_SECONDS:
            raise CommandError("duration", f"must be 1s to 2w ({MAX_TIMEOUT_SECONDS} seconds)")
    return ChatCommand(CommandKind.TIMEOUT, user, seconds, _reason(rest))


def _slow(words: list[str]) -> ChatCommand:
    seconds = DEFAULT_SLOW_SECONDS
    if words:
        try:
            seconds = parse_duration(words[0])
        except ValueError as exc:
            raise CommandError("seconds", str(exc)) from None
        if len(words) > 1:
            raise CommandError("command", "/slow takes at most one argument")
    if not MIN_SLOW_SECONDS <= seconds <= MAX_SLOW_SECONDS:
        raise CommandError("seconds", f"slow mode must be {MIN_SLOW_SECONDS} to {MAX_SLOW_SECONDS} seconds")
    return ChatCommand(CommandKind.SLOW, duration_seconds=seconds)


def _followers(words: list[str]) -> ChatCommand:
    seconds = 0
    if words:
        # Twitch reads a bare number here as minutes.
        try:
            seconds = parse_duration("".join(words), default_unit="m")
        except ValueError as exc:
            raise CommandError("duration", str(exc)) from None
    if seconds > MAX_FOLLOWER_MINUTES * 60:
        raise CommandError("duration", f"follower-only age is at most {MAX_FOLLOWER_MINUTES} minutes (90 days)")
    return ChatCommand(CommandKind.FOLLOWERS, duration_seconds=seconds)


def parse_command(text: str) -> ChatCommand:
    """Parse one chat line starting with ``/`` (or ``.``, as Twitch accepts)."""
    if not isinstance(text, str):
        raise CommandError("text", "expected a string")
    line = text.strip()
    if len(line) > MAX_LINE_CHARS:
        raise CommandError("text", f"longer than {MAX_LINE_CHARS} characters")
    if not line or line[0] not in "/.":
        raise CommandError("command", "a command starts with /")
    words = line[1:].split()
    if not words:
        raise CommandError("command", "no command after /")
    name, args = words[0].lower(), words[1:]
    try:
        kind = CommandKind(name)
    except ValueError:
        raise CommandError("command", f"unknown command /{name[:30]}") from None
    if kind is CommandKind.TIMEOUT:
        return _timeout(args)
    if kind is CommandKind.SLOW:
        return _slow(args)
    if kind is CommandKind.FOLLOWERS:
        return _followers(args)
    if kind is CommandKind.DELETE:
        if len(args) != 1 or not _MESSAGE_ID.match(args[0]):
            raise CommandError("message_id", "/delete needs one message id")
        return ChatCommand(kind, message_id=args[0])
    if kind in BARE_COMMANDS:
        if args:
            raise CommandError("command", f"/{kind.value} takes no arguments")
        return ChatCommand(kind)
    user = _user(args[0] if args else None)
    if kind in REASON_COMMANDS:
        return ChatCommand(kind, user, reason=_reason(args[1:], required=kind is CommandKind.WARN))
    if len(args) > 1:
        raise CommandError("command", f"/{kind.value} takes only a user")
    return ChatCommand(kind, user)
