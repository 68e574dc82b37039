import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from profanity_check import predict_prob

import modops.text.minilm  # noqa: F401  (registers modops-minilm)
from modops.text.classify import (
    DEFAULT_CLASSIFIER,
    Classifier,
    FunctionClassifier,
    LinearCalibration,
    SecondStage,
    available_classifiers,
    clean_artefacts,
    get_classifier,
    logits,
    register,
)


@pytest.mark.parametrize("name", ["profanity-check", "modops-linear", "modops-minilm"])
def test_registered_classifier_scores_its_examples(name: str) -> None:
    classifier = get_classifier(name)
    scores = classifier.predict_proba([*classifier.offensive_examples, *classifier.benign_examples])
    n = len(classifier.offensive_examples)
    assert all(s >= 0.5 for s in scores[:n])
    assert all(s < 0.5 for s in scores[n:])


def test_stacked_weights_equal_package_scores() -> None:
    texts = ["hello there", "you absolute idiot", "what a shitty game", ""]
    ours = get_classifier("profanity-check").predict_proba(texts)
    theirs = predict_prob(texts)
    assert ours == pytest.approx(list(theirs), abs=1e-9)


WORDS = st.sampled_from(["idiot", "IDIOT", "fuck", "the", "game", "über", "x", "1", "_", "\n", " ", "!", "\u0130"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(WORDS | st.text(max_size=6), max_size=10).map(" ".join), min_size=1, max_size=8))
def test_batched_scores_equal_package_scores_for_any_texts(texts: list[str]) -> None:
    ours = get_classifier("profanity-check").predict_proba(texts)
    assert ours == pytest.approx(list(predict_prob(texts)), abs=1e-9)


def test_empty_batch() -> None:
    assert get_classifier("profanity-check").predict_proba([]) == []


def test_logits_stay_finite_at_zero_and_one() -> None:
    values = logits([0.0, 0.5, 0.75, 1.0])
    assert values[1] == 0.0 and values[2] == pytest.approx(math.log(3))
    assert values[0] == pytest.approx(-values[3]) == pytest.approx(-math.log((1 - 1e-6) / 1e-6))


def test_unknown_classifier_names_known_ones() -> None:
    with pytest.raises(KeyError, match="profanity-check"):
        get_classifier("nope")
    assert "profanity-check" in available_classifiers()


def test_duplicate_name_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):

        @register
        class Clash(Classifier):
            name = "profanity-check"
            description = "clash"

            def predict_proba(self, texts: object) -> list[float]:
                return []


def test_second_stage_rescores_only_the_uncertain_share() -> None:
    seen: list[str] = []

    def heavy_fn(texts: object) -> list[float]:
        seen.extend(texts)  # type: ignore[arg-type]
        return [0.9] * len(texts)  # type: ignore[arg-type]

    stage = SecondStage(FunctionClassifier(heavy_fn), low=0.3, high=0.7)
    refined = stage.refine([0.1, 0.5, 0.95], ["a", "b", "c"])
    assert seen == ["b"]
    assert refined[0] == 0.1 and refined[2] == 0.95
    # the mean of the log-odds of 0.5 (0) and 0.9 (2.197) is 1.099: 0.75
    assert refined[1] == pytest.approx(0.75, abs=1e-3)
    assert (stage.seen, stage.sent) == (3, 1)


def test_second_stage_scores_each_distinct_text_once() -> None:
    calls: list[list[str]] = []

    def heavy_fn(texts: object) -> list[float]:
        calls.append(list(texts))  # type: ignore[call-overload]
        return [0.9 if t == "b" else 0.1 for t in texts]  # type: ignore[attr-defined]

    refined = SecondStage(FunctionClassifier(heavy_fn)).refine([0.5, 0.5, 0.5, 0.5], ["a", "b", "a", "b"])
    assert calls == [["a", "b"]]
    assert refined[0] == refined[2] < 0.5 < refined[1] == refined[3]


def test_second_stage_agreeing_with_first_keeps_its_score() -> None:
    stage = SecondStage(FunctionClassifier(lambda texts: [0.6] * len(texts)))
    assert stage.refine([0.6], ["x"])[0] == pytest.approx(0.6)


def test_second_stage_refuses_a_band_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="low <= high"):
        SecondStage(FunctionClassifier(lambda texts: []), low=0.8, high=0.2)


def test_shipped_calibration_is_monotonic_in_score() -> None:
    calibration = LinearCalibration.load()
    terms = (0.0,) * (len(calibration.feature_names) - 1)
    low = calibration.probability((calibration.logit(0.1), *terms))
    high = calibration.probability((calibration.logit(0.9), *terms))
    assert 0.0 < low < high < 1.0


def test_shipped_calibration_was_fitted_on_the_default_classifier() -> None:
    assert LinearCalibration.load().classifier == DEFAULT_CLASSIFIER


def test_a_listed_term_never_lowers_the_shipped_offensive_probability() -> None:
    calibration = LinearCalibration.load()
    columns = len(calibration.feature_names) - 1
    for score in (0.01, 0.5, 0.99):
        logit = calibration.logit(score)
        without = calibration.probability((logit, *[0.0] * columns))
        for column in range(columns):
            terms = [0.0] * columns
            terms[column] = 1.0
            assert calibration.probability((logit, *terms)) >= without


_LINKS = re.compile(r"https?://\S+|www\.\S+")
_MENTIONS = re.compile(r"@\w+")
_NOISE = re.compile(r"&#?\w+;|\brt\b|#")
PIECES = st.sampled_from(
    [*"&#;rt @a1_ .:/\u00e9\n", "rt", "&amp;", "&#39;", "#rt", "art", "rt#", "http://", "https://x", "www.", "wwwx"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(PIECES, max_size=12).map("".join), min_size=1, max_size=5))
def test_artefacts_are_cleaned_as_by_one_pass_of_each_pattern(texts: list[str]) -> None:
    def one(text: str) -> str:
        return _NOISE.sub(" ", _MENTIONS.sub(" @user ", _LINKS.sub(" url ", text.replace("\n", " "))))

    assert clean_artefacts(texts) == [one(text) for text in texts]
