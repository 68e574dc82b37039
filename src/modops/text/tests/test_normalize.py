import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modops.text.normalize import _FOLD_TABLE, MAX_CHARS, normalize, truncate


def test_leetspeak_and_case_fold_to_letters() -> None:
    assert normalize("H3LL0 W0rld").text == "hello world"


def test_trailing_exclamation_is_not_folded_to_i() -> None:
    assert normalize("gg!").text == "gg!"


def test_numbers_alone_are_not_folded() -> None:
    assert normalize("room 101").text == "room 101"


def test_spaced_out_letters_are_joined_and_map_to_whole_original() -> None:
    result = normalize("say f.u.c.k now")
    assert result.text == "say fuck now"
    start = result.text.index("fuck")
    assert result.original_span(start, start + 4) == (4, 11)


def test_zero_width_and_combining_marks_are_stripped() -> None:
    original = "f\u200bu\u0301\u0301c\u200dk"
    result = normalize(original)
    assert result.text == "fuck"
    assert result.original_span(0, 4) == (0, len(original))


def test_confusables_fold_to_latin() -> None:
    assert normalize("\u0430\u0455\u0455").text == "ass"  # Cyrillic a, dze, dze
    assert normalize("\uff26\uff35").text == "fu"  # full-width


def test_long_runs_squash_to_two_and_are_marked_elongated() -> None:
    result = normalize("fuuuuuck")
    assert result.text == "fuuck"
    assert result.elongated == frozenset({1})
    assert result.original_span(2, 3) == (2, 6)


def test_double_letters_are_kept() -> None:
    assert normalize("cool").text == "cool"


def test_lone_surrogates_and_emoji_do_not_crash() -> None:
    assert normalize("\ud800ab\udfff").text == "ab"
    assert normalize("\U0001f602\U0001f602").text == "\U0001f602\U0001f602"


def test_flood_of_zero_width_characters_folds_to_nothing() -> None:
    result = normalize("\u200b" * 50_000)
    assert result.text == ""
    assert result.original_span(0, 0) == (50_000, 50_000)


def test_rtl_text_is_kept() -> None:
    assert normalize("\u0645\u0631\u062d\u0628\u0627").text == "\u0645\u0631\u062d\u0628\u0627"


def test_truncate_reports_reason_only_when_cut() -> None:
    assert truncate("short") == ("short", None)
    text, reason = truncate("x" * (MAX_CHARS + 5))
    assert len(text) == MAX_CHARS
    assert reason is not None and str(MAX_CHARS) in reason


def test_megabyte_string_is_handled() -> None:
    result = normalize("a\u0301b" * 350_000)
    assert result.text.startswith("abab")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=60))
def test_every_span_maps_inside_the_original(text: str) -> None:
    result = normalize(text)
    n = len(result.text)
    for start in range(n + 1):
        for end in (start, min(n, start + 1), n):
            orig_start, orig_end = result.original_span(start, end)
            assert 0 <= orig_start <= orig_end <= len(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_spans_are_monotonic(text: str) -> None:
    result = normalize(text)
    spans = [result.original_span(i, i + 1) for i in range(len(result.text))]
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(spans))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz .-", max_size=60))
def test_normalising_latin_text_twice_changes_nothing(text: str) -> None:
    once = normalize(text).text
    assert normalize(once).text == once


@pytest.mark.parametrize("text", ["a\u0301b", "ｆｕｃｋ", "wait…what", "héllo", "sh\u200bit", "ǉ x"])
def test_folding_without_the_uneven_set_gives_the_same_spans(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = normalize(text)
    # Once the fold table is full, characters are checked one by one instead.
    monkeypatch.setattr(_FOLD_TABLE, "full", True)
    assert normalize(text) == expected
