import pytest

from modops.text.automod import AutoModCategory, AutoModSettings, category_from_eventsub


def test_overall_level_three_has_documented_defaults() -> None:
    helix = AutoModSettings.overall(3).to_helix()
    assert helix == {
        "disability": 3,
        "sexuality_sex_or_gender": 3,
        "misogyny": 3,
        "race_ethnicity_or_religion": 3,
        "sex_based_terms": 3,
        "aggression": 3,
        "bullying": 2,
        "swearing": 0,
        "overall_level": 3,
    }


def test_setting_one_field_clears_overall_and_zeroes_others() -> None:
    settings = AutoModSettings.overall(3).with_level("swearing", 2)
    assert settings.overall_level is None
    assert settings.level("swearing") == 2
    assert settings.level("aggression") == 0


def test_setting_field_without_overall_keeps_others() -> None:
    settings = AutoModSettings.overall(3).with_level("swearing", 2).with_level("bullying", 4)
    assert settings.level("swearing") == 2 and settings.level("bullying") == 4


def test_presets_grow_with_level() -> None:
    for category in AutoModCategory:
        levels = [AutoModSettings.overall(n).level(category) for n in range(5)]
        assert levels == sorted(levels)


def test_catches_by_term_level() -> None:
    settings = AutoModSettings.overall(3)
    assert settings.catches("bullying", 2)
    assert not settings.catches("bullying", 3)
    assert not settings.catches("swearing", 1)


def test_levels_are_validated() -> None:
    with pytest.raises(ValueError):
        AutoModSettings.overall(5)


def test_eventsub_names_map_both_ways() -> None:
    assert category_from_eventsub("racism") is AutoModCategory.RACE_ETHNICITY_OR_RELIGION
    assert category_from_eventsub("profanity") is AutoModCategory.SWEARING
    assert AutoModSettings.eventsub_name("aggression") == "aggressive"
    with pytest.raises(ValueError):
        category_from_eventsub("spam")


def test_from_helix_with_null_overall_uses_fields() -> None:
    settings = AutoModSettings.from_helix({"overall_level": None, "bullying": 4})
    assert settings.level("bullying") == 4 and settings.level("aggression") == 0
