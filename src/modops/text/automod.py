"""Twitch AutoMod categories and levels.

Each category has a level 0 (no filtering) to 4 (most filtering). A listed term
carries the lowest level at which it is caught, so a message term of level ``t`` is
held when the channel's level for its category is ``>= t`` (and above 0).

``overall_level`` applies a preset. Level 3 is Twitch's documented default; the
others are modops' choices, building up the way Twitch describes its tiers
(discrimination first, then sexual content and hostility, profanity last):

=========================  ==  ==  ==  ==  ==
category                   0   1   2   3   4
=========================  ==  ==  ==  ==  ==
disability                 0   1   2   3   4
sexuality_sex_or_gender    0   1   2   3   4
misogyny                   0   1   2   3   4
race_ethnicity_or_religion 0   1   2   3   4
sex_based_terms            0   0   1   3   4
aggression                 0   0   1   3   4
bullying                   0   0   1   2   4
swearing                   0   0   0   0   4
=========================  ==  ==  ==  ==  ==

As in Helix, setting a single category while ``overall_level`` is set clears
``overall_level`` and sets every other category to 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

__all__ = [
    "EVENTSUB_CATEGORIES",
    "OVERALL_PRESETS",
    "AutoModCategory",
    "AutoModSettings",
    "category_from_eventsub",
]


class AutoModCategory(StrEnum):
    DISABILITY = "disability"
    SEXUALITY_SEX_OR_GENDER = "sexuality_sex_or_gender"
    MISOGYNY = "misogyny"
    RACE_ETHNICITY_OR_RELIGION = "race_ethnicity_or_religion"
    SEX_BASED_TERMS = "sex_based_terms"
    AGGRESSION = "aggression"
    BULLYING = "bullying"
    SWEARING = "swearing"


CATEGORIES: tuple[AutoModCategory, ...] = tuple(AutoModCategory)

_C = AutoModCategory
OVERALL_PRESETS: dict[int, dict[AutoModCategory, int]] = {
    0: dict.fromkeys(CATEGORIES, 0),
    1: {
        c: (
            1
            if c
            in (
                _C.DISABILITY,
                _C.SEXUALITY_SEX_OR_GENDER,
                _C.MISOGYNY,
                _C.RACE_ETHNICITY_OR_RELIGION,
            )
            else 0
        )
        for c in CATEGORIES
    },
    2: {
        _C.DISABILITY: 2,
        _C.SEXUALITY_SEX_OR_GENDER: 2,
        _C.MISOGYNY: 2,
        _C.RACE_ETHNICITY_OR_RELIGION: 2,
        _C.SEX_BASED_TERMS: 1,
        _C.AGGRESSION: 1,
        _C.BULLYING: 1,
        _C.SWEARING: 0,
    },
    3: {
        _C.DISABILITY: 3,
        _C.SEXUALITY_SEX_OR_GENDER: 3,
        _C.MISOGYNY: 3,
        _C.RACE_ETHNICITY_OR_RELIGION: 3,
        _C.SEX_BASED_TERMS: 3,
        _C.AGGRESSION: 3,
        _C.BULLYING: 2,
        _C.SWEARING: 0,
    },
    4: dict.fromkeys(CATEGORIES, 4),
}

#: EventSub ``automod.message.hold`` category names -> Helix settings category.
EVENTSUB_CATEGORIES: dict[str, AutoModCategory] = {
    "aggressive": _C.AGGRESSION,
    "bullying": _C.BULLYING,
    "disability": _C.DISABILITY,
    "sexuality": _C.SEXUALITY_SEX_OR_GENDER,
    "sexwords": _C.SEX_BASED_TERMS,
    "misogyny": _C.MISOGYNY,
    "racism": _C.RACE_ETHNICITY_OR_RELIGION,
    "profanity": _C.SWEARING,
    "swearing": _C.SWEARING,
}
_TO_EVENTSUB: dict[AutoModCategory, str] = {
    _C.AGGRESSION: "aggressive",
    _C.BULLYING: "bullying",
    _C.DISABILITY: "disability",
    _C.SEXUALITY_SEX_OR_GENDER: "sexuality",
    _C.SEX_BASED_TERMS: "sexwords",
    _C.MISOGYNY: "misogyny",
    _C.RACE_ETHNICITY_OR_RELIGION: "racism",
    _C.SWEARING: "swearing",
}


def category_from_eventsub(name: str) -> AutoModCategory:
    try:
        return EVENTSUB_CATEGORIES[name]
    except KeyError:
        raise ValueError(f"unknown EventSub AutoMod category {name!r}") from None


def _check_level(level: int, what: str) -> int:
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 4:
        raise ValueError(f"{what} must be an integer 0..4, got {level!r}")
    return level


@dataclass(frozen=True, slots=True)
class AutoModSettings:
    """A channel's AutoMod settings, with Helix semantics."""

    levels: dict[AutoModCategory, int] = field(default_factory=lambda: dict(OVERALL_PRESETS[0]))
    overall_level: int | None = None

    def __post_init__(self) -> None:
        for category in CATEGORIES:
            _check_level(self.levels.get(category, 0), category.value)

    @classmethod
    def overall(cls, level: int) -> AutoModSettings:
        _check_level(level, "overall_level")
        return cls(dict(OVERALL_PRESETS[level]), level)

    @classmethod
    def from_helix(cls, data: dict[str, Any]) -> AutoModSettings:
        """From a Helix settings object; a non-null ``overall_level`` wins."""
        overall = data.get("overall_level")
        if overall is not None:
            return cls.overall(int(overall))
        return cls({c: int(data.get(c.value) or 0) for c in CATEGORIES}, None)

    def to_helix(self) -> dict[str, int | None]:
        out: dict[str, int | None] = {c.value: self.level(c) for c in CATEGORIES}
        out["overall_level"] = self.overall_level
        return out

    def level(self, category: AutoModCategory | str) -> int:
        return self.levels.get(AutoModCategory(category), 0)

    def with_level(self, category: AutoModCategory | str, level: int) -> AutoModSettings:
        """Set one category; from an overall preset, the others drop to 0 (as Helix does)."""
        category = AutoModCategory(category)
        _check_level(level, category.value)
        if self.overall_level is not None:
            levels = dict(OVERALL_PRESETS[0])
        else:
            levels = dict(self.levels)
        levels[category] = level
        return replace(self, levels=levels, overall_level=None)

    def catches(self, category: AutoModCategory | str, term_level: int) -> bool:
        """Whether a term of ``term_level`` in ``category`` is held under these settings."""
        setting = self.level(category)
        return setting > 0 and term_level <= setting

    @staticmethod
    def eventsub_name(category: AutoModCategory | str) -> str:
        return _TO_EVENTSUB[AutoModCategory(category)]
