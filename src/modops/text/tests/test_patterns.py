import pytest

from modops.text.normalize import normalize
from modops.text.patterns import ChannelTerms, PatternError, compile_pattern


def test_plain_wildcard_and_regex_entries_block() -> None:
    channel = ChannelTerms(blocked=["spoiler", "sc*m", "/fu+ck(er)?/"])
    assert [(m.start, m.end) for m in channel.check(normalize("big SPOILER"))] == [(4, 11)]
    assert [(m.start, m.end) for m in channel.check(normalize("a scheme"))] == []
    assert [(m.start, m.end) for m in channel.check(normalize("a scam"))] == [(2, 6)]
    assert [(m.start, m.end) for m in channel.check(normalize("\uff46\uff55\uff55\uff43\uff4b"))] == [(0, 5)]


def test_permitted_term_suppresses_covered_block() -> None:
    channel = ChannelTerms(blocked=["scam*"], permitted=["scampi"])
    assert channel.check(normalize("fried scampi")) == []
    assert len(channel.check(normalize("scammer"))) == 1


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("/(a)\\1/", "backreferences"),
        ("/(?=a)b/", "lookahead"),
        ("/(?<!a)b/", "lookbehind"),
        ("/" + ".{1000}" * 30 + "/", "too large"),
        ("/x*/", "empty string"),
        ("/[a/", "missing ]"),
        ("x" * 600, "longer than"),
    ],
)
def test_unusable_patterns_raise_with_reason(entry: str, reason: str) -> None:
    with pytest.raises(PatternError, match=reason):
        if entry.startswith("/"):
            compile_pattern(entry)
        else:
            ChannelTerms(blocked=[entry])


def test_pattern_spans_map_through_normalisation() -> None:
    channel = ChannelTerms(blocked=["/b+a+d/"])
    [hit] = channel.check(normalize("so b\u200baaaad"))
    assert (hit.start, hit.end) == (3, 10)
