"""The batched pipeline gives what the per-message reference path gives."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modops.testing.shared import shared_data
from modops.text.automod import AutoModCategory, AutoModSettings
from modops.text.batchnorm import normalize_batch
from modops.text.classify import get_classifier
from modops.text.features import LinearScorer, hash_batch
from modops.text.normalize import normalize
from modops.text.patterns import BLOCKED, ChannelTerms
from modops.text.prefilter import JoinedSkeleton
from modops.text.screen import Screener, default_matcher, lexicon_features
from modops.text.terms import TermMatch

DAVIDSON = shared_data("davidson", "labeled_data.csv")
TRICKY = [
    "f u c k you",
    "f.u.c.k off",
    "fuuuuck this",
    "h3ll0 b1tch!!",
    "!!a!",
    "|b1tch|",
    "ｆｕｃｋ",
    "sh\u200bit",
    "ѕhit happens",
    "n1gg@",
    "coooool",
    "a  b  c d",
    "yo\tu suck\nlol",
    "scunthorpe bitcoin scam",
    "free  vbucks",
    "",
    "   ",
    "aaa",
    "\u202eevil",
    "@someone https://x.co/a&amp;b rt #tag",
]
# Letters, leet characters, spacers, a few confusables and invisible marks.
ALPHABET = st.sampled_from([*"abcfkustio 013457@$!|.-_*~\t", "\u200b", "\u0455", "\u0301", "é", "ｆ"])


def _sample() -> list[str]:
    texts = list(TRICKY)
    if DAVIDSON.exists():
        with DAVIDSON.open(encoding="utf-8") as handle:
            texts += [row["tweet"] for _, row in zip(range(1500), csv.DictReader(handle), strict=False)]
    return texts


def _reference_hits(texts: list[str], channel: ChannelTerms) -> tuple[dict[int, list[object]], dict[int, list[object]]]:
    matcher = default_matcher()
    hits: dict[int, list[object]] = {}
    blocked: dict[int, list[object]] = {}
    for index, text in enumerate(texts):
        normalized = normalize(text)
        found = channel.suppress(matcher.match(normalized), normalized)
        if found:
            hits[index] = list(found)
        denied = channel.check(normalized)
        if denied:
            blocked[index] = list(denied)
    return hits, blocked


def _batch_hits(texts: list[str], channel: ChannelTerms) -> tuple[dict[int, list[object]], dict[int, list[object]]]:
    batch = normalize_batch(texts)
    joined = JoinedSkeleton(batch.texts, batch.elongated_map())
    found = default_matcher().match_joined(batch, joined)
    blocked = channel.check_batch(batch, joined, found)
    # The screener's path: hits as a table, permitted terms dropping rows.
    table_blocked, table = channel.check_table(batch, joined, default_matcher().match_table(batch, joined))
    assert table.matches() == found
    assert table_blocked == blocked
    return dict(found), dict(blocked)


CHANNEL = ChannelTerms(
    blocked=["spoiler*", "b*tcoin", "/free\\s+v-?bucks/", "trash", "cool"],
    permitted=["scunthorpe", "white trash", "/coo+l/"],
)


def test_batch_normalisation_equals_per_text_normalisation_on_real_and_tricky_texts() -> None:
    texts = _sample()
    batch = normalize_batch(texts)
    assert [batch[i] for i in range(len(texts))] == [normalize(t) for t in texts]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=24), min_size=1, max_size=6))
def test_batch_normalisation_equals_per_text_normalisation_on_generated_texts(texts: list[str]) -> None:
    batch = normalize_batch(texts)
    assert [batch[i] for i in range(len(texts))] == [normalize(t) for t in texts]


def _assert_original_spans_agree(texts: list[str]) -> None:
    batch = normalize_batch(texts)
    for index, text in enumerate(texts):
        normalized = normalize(text)
        length = len(normalized.text)
        for start in range(-1, length + 2):
            for end in {start - 1, start, start + 1, start + 3, length - 1, length, length + 1}:
                assert batch.original_span(index, start, end) == normalized.original_span(start, end)


def test_batch_original_spans_equal_per_text_spans() -> None:
    _assert_original_spans_agree([t for t in _sample() if len(t) < 200])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=24), min_size=1, max_size=6))
def test_batch_original_spans_equal_per_text_spans_on_generated_texts(texts: list[str]) -> None:
    _assert_original_spans_agree(texts)


def test_batch_term_and_channel_matching_equal_per_message_matching() -> None:
    texts = _sample()
    assert _batch_hits(texts, CHANNEL) == _reference_hits(texts, CHANNEL)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=24), min_size=1, max_size=6))
def test_batch_matching_equals_per_message_matching_on_generated_texts(texts: list[str]) -> None:
    assert _batch_hits(texts, CHANNEL) == _reference_hits(texts, CHANNEL)


_SEVERITY = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.4}


def _reference_verdict(
    screener: Screener, hits: list[TermMatch], blocked: list[TermMatch], score: float
) -> dict[str, object]:
    """The screening rules applied to one message's hits, written out plainly."""
    levels = {c.value: screener.settings.level(c) for c in AutoModCategory}
    threshold = screener.classifier_threshold
    categories: dict[str, float] = {}
    for hit in hits:
        categories[hit.category] = max(categories.get(hit.category, 0.0), _SEVERITY[hit.level])
    outcome, category, level, spans, reasons = "allow", None, 0, [], []
    caught = [h for h in hits if levels[h.category] > 0 and h.level <= levels[h.category]]
    swearing = AutoModCategory.SWEARING.value
    if blocked:
        categories[BLOCKED] = 1.0
        outcome, category, spans = "deny", BLOCKED, blocked
        reasons = [f"blocked term {b.term!r}" for b in blocked]
    elif caught:
        worst = min(caught, key=lambda h: (h.level, h.start))
        outcome, category, level = "hold", worst.category, worst.level
        spans = [h for h in caught if h.category == worst.category]
        reasons = [f"{h.category} term at level {h.level}" for h in caught]
    elif score >= threshold and not (hits and all(h.category == swearing for h in hits) and levels[swearing] == 0):
        others = [h for h in hits if h.category != swearing]
        category = min(others, key=lambda h: h.level).category if others else AutoModCategory.BULLYING.value
        outcome, level, spans = "hold", levels[category], others
        reasons = [f"classifier score {score:.2f} >= {threshold:.2f}"]
    return {
        "verdict": outcome,
        "offensive": round(score, 4),
        "categories": {name: round(value, 4) for name, value in categories.items()},
        "level": level,
        "boundaries": [{"start_pos": h.start, "end_pos": h.end - 1} for h in spans],
        "reasons": reasons,
        "category": category,
    }


@pytest.mark.parametrize("overall", [0, 1, 2, 3, 4])
def test_batched_verdicts_follow_the_screening_rules(overall: int) -> None:
    texts = _sample()
    screener = Screener(AutoModSettings.overall(overall), CHANNEL)
    hits, blocked = _reference_hits(texts, CHANNEL)
    lexicon = np.array([lexicon_features(hits.get(i, [])) for i in range(len(texts))])
    scores = screener.offensive([normalize(t).text for t in texts], lexicon)
    for index, verdict in enumerate(screener.screen_texts(texts)):
        got = verdict.to_dict()
        got["category"] = verdict.category
        del got["id"]
        expected = _reference_verdict(screener, hits.get(index, []), blocked.get(index, []), scores[index])
        assert got == expected, texts[index]


@pytest.mark.parametrize("texts", [["a"], ["", "ab", "abc"], ["hello there", "é", " x "], TRICKY])
def test_fused_linear_scores_equal_sparse_feature_dot_product(texts: list[str]) -> None:
    classifier = get_classifier("modops-linear")
    weights = classifier.weights  # type: ignore[attr-defined]
    intercept = classifier.intercept  # type: ignore[attr-defined]
    folded = [normalize(t).text for t in texts]
    expected = hash_batch(folded, int(weights.shape[0]).bit_length() - 1).dot(weights) + intercept
    got = LinearScorer(weights, intercept).logits(folded)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
