import pytest

from modops.text.normalize import normalize
from modops.text.terms import Term, TermMatcher, default_terms, load_terms

MATCHER = TermMatcher(
    [
        Term("badword", "swearing", 1),
        Term("cool", "bullying", 4),
        Term("god", "bullying", 4),
        Term("bad*", "misogyny", 2),
    ]
)


def spans(text: str) -> list[tuple[str, int, int]]:
    return [(m.term, m.start, m.end) for m in MATCHER.match(normalize(text))]


def test_whole_word_only() -> None:
    assert ("badword", 3, 10) in spans("hi badword!")
    assert all(term != "badword" for term, _, _ in spans("hibadwords"))


def test_evasions_map_to_original_boundaries() -> None:
    text = "so b\u0430dw0rrrrd yes"
    assert ("badword", 3, 13) in spans(text)


def test_elongation_matches_single_and_double_letters() -> None:
    assert ("cool", 0, 8) in spans("cooooool")
    assert ("god", 0, 5) in spans("goood")


def test_double_letters_do_not_match_a_single_letter_term() -> None:
    assert spans("good") == []
    assert spans("col") == []


def test_open_end_matches_prefix() -> None:
    assert ("bad*", 0, 3) in spans("badass")


def test_empty_matcher_matches_nothing() -> None:
    assert TermMatcher([]).match(normalize("anything")) == []


def test_term_level_is_validated() -> None:
    with pytest.raises(ValueError):
        Term("x", "swearing", 5)


def test_load_terms_rejects_malformed_rows() -> None:
    with pytest.raises(ValueError, match="row 1"):
        list(load_terms(["only\ttwo"]))


def test_default_list_covers_every_automod_category() -> None:
    categories = {t.category for t in default_terms()}
    assert categories == {
        "disability",
        "sexuality_sex_or_gender",
        "misogyny",
        "race_ethnicity_or_religion",
        "sex_based_terms",
        "aggression",
        "bullying",
        "swearing",
    }


def test_default_list_catches_spaced_swearing() -> None:
    matcher = TermMatcher(default_terms())
    hits = matcher.match(normalize("F U C K this"))
    assert [(h.category, h.start, h.end) for h in hits] == [("swearing", 0, 7)]
