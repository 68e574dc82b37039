"""Per-channel screening configuration, as read from a JSON file or an API body.

The file is one JSON object mapping a channel name to its settings; the key ``"*"``
gives the defaults for channels not listed (and for messages without a channel)::

    {
      "*":        {"automod": {"overall_level": 2}},
      "speedrun": {
        "automod": {"overall_level": null, "swearing": 0, "aggression": 3, "bullying": 2},
        "blocked_terms": ["spoiler*", "b*tcoin", "/free\\\\s+v-?bucks/"],
        "permitted_terms": ["scunthorpe"],
        "allowed_links": ["speedrun.com", "twitch.tv"]
      }
    }

Every field is optional. ``automod`` takes Helix's AutoMod settings object: a
non-null ``overall_level`` (0-4) applies a preset, otherwise the eight category
levels are read (missing ones are 0). Without ``automod`` the command's ``--level``
applies. Terms follow :mod:`modops.text.patterns` (plain, wildcard, ``/regex/``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modops.text.automod import CATEGORIES, AutoModSettings
from modops.text.patterns import ChannelTerms, PatternError
from modops.text.spam import LinkFilter

__all__ = ["DEFAULT_CHANNEL", "ChannelConfig", "ConfigError", "parse_channel_config"]

DEFAULT_CHANNEL = "*"
_FIELDS = frozenset({"automod", "blocked_terms", "permitted_terms", "allowed_links"})


class ConfigError(ValueError):
    """A configuration that cannot be used; ``field`` is the dotted path to the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    settings: AutoModSettings | None = None
    terms: ChannelTerms | None = None
    links: LinkFilter | None = None


def _string_list(value: object, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(field, "expected a list of strings")
    return list(value)


def parse_automod(value: object, field: str = "automod") -> AutoModSettings:
    if not isinstance(value, Mapping):
        raise ConfigError(field, "expected an object of AutoMod levels")
    known = {c.value for c in CATEGORIES} | {"overall_level"}
    for key, level in value.items():
        if key not in known:
            raise ConfigError(f"{field}.{key}", "unknown AutoMod category")
        ok = level is None or (isinstance(level, int) and not isinstance(level, bool) and 0 <= level <= 4)
        if not ok:
            raise ConfigError(f"{field}.{key}", "level must be an integer 0..4 or null")
    return AutoModSettings.from_helix(dict(value))


def parse_channel(value: object, field: str) -> ChannelConfig:
    if not isinstance(value, Mapping):
        raise ConfigError(field, "expected an object")
    for key in value:
        if key not in _FIELDS:
            raise ConfigError(f"{field}.{key}", f"unknown field; known: {', '.join(sorted(_FIELDS))}")
    settings = parse_automod(value["automod"], f"{field}.automod") if "automod" in value else None
    blocked = _string_list(value.get("blocked_terms", []), f"{field}.blocked_terms")
    permitted = _string_list(value.get("permitted_terms", []), f"{field}.permitted_terms")
    terms: ChannelTerms | None = None
    if blocked or permitted:
        try:
            ChannelTerms(blocked=blocked)
        except PatternError as exc:
            raise ConfigError(f"{field}.blocked_terms", str(exc)) from exc
        try:
            terms = ChannelTerms(blocked=blocked, permitted=permitted)
        except PatternError as exc:
            raise ConfigError(f"{field}.permitted_terms", str(exc)) from exc
    links = None
    if "allowed_links" in value:
        links = LinkFilter(_string_list(value["allowed_links"], f"{field}.allowed_links"))
    return ChannelConfig(settings, terms, links)


def parse_channel_config(data: Any) -> dict[str, ChannelConfig]:
    """Validate a whole channel-config document; raise :class:`ConfigError` naming the field."""
    if not isinstance(data, Mapping):
        raise ConfigError("$", "expected a JSON object mapping channel names to settings")
    return {str(name): parse_channel(value, str(name)) for name, value in data.items()}
