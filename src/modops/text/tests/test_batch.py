"""The batched pipeline gives what the per-message reference path gives."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modops.testing.shared import shared_data
from modops.text.classify import get_classifier
from modops.text.features import LinearScorer, hash_batch
from modops.text.normalize import normalize, normalize_batch
from modops.text.patterns import ChannelTerms
from modops.text.prefilter import JoinedSkeleton
from modops.text.screen import default_matcher

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


def test_batch_term_and_channel_matching_equal_per_message_matching() -> None:
    texts = _sample()
    assert _batch_hits(texts, CHANNEL) == _reference_hits(texts, CHANNEL)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=24), min_size=1, max_size=6))
def test_batch_matching_equals_per_message_matching_on_generated_texts(texts: list[str]) -> None:
    assert _batch_hits(texts, CHANNEL) == _reference_hits(texts, CHANNEL)


@pytest.mark.parametrize("texts", [["a"], ["", "ab", "abc"], ["hello there", "é", " x "], TRICKY])
def test_fused_linear_scores_equal_sparse_feature_dot_product(texts: list[str]) -> None:
    classifier = get_classifier("modops-linear")
    weights = classifier.weights  # type: ignore[attr-defined]
    intercept = classifier.intercept  # type: ignore[attr-defined]
    folded = [normalize(t).text for t in texts]
    expected = hash_batch(folded, int(weights.shape[0]).bit_length() - 1).dot(weights) + intercept
    got = LinearScorer(weights, intercept).logits(folded)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
