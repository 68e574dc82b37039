"""Quality of modops' ``offensive`` score, and fitting its calibration.

``offensive`` is a logistic calibration of [the default classifier's logit, one hit
feature per AutoMod category of the term list]. modops is judged on unseen short
social-media messages labelled offensive / not offensive, the way OLID labels tweets
(Zampieri et al. 2019: insults, threats, slurs and profanity are offensive). Two data
sets are used:

- Davidson et al. (2017) tweets, shipped in ``shared/data/davidson`` (offensive =
  class 0 or 1). alt-profanity-check, the default classifier, was trained on data that
  includes them, so figures on it are optimistic; 83% of it is offensive, mostly
  through a few slurs and swear words.
- OLID v1.0's training split (``olid-training-v1.0.tsv``, subtask A), not shipped:
  pass it with ``--olid``. Its tweets with an even id fit the calibration, those with
  an odd id measure it; ``--limit N`` reads only the file's first N tweets.

The calibration is class-balanced, so 0.5 is the balanced operating point.

    python bench/eval_text.py                 # Davidson only (optimistic)
    python bench/eval_text.py --olid olid-training-v1.0.tsv [--limit N]   # report
    python bench/eval_text.py --olid olid-training-v1.0.tsv --fit         # also write calibration.json
    python bench/eval_text.py --fit-linear    # retrain modops-linear on Davidson (linear_en.npz)
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from modops.testing.shared import shared_data  # noqa: E402
from modops.text.classify import DEFAULT_CLASSIFIER, LinearCalibration, clean_artefacts, get_classifier  # noqa: E402
from modops.text.features import hash_batch  # noqa: E402
from modops.text.normalize import normalize  # noqa: E402
from modops.text.screen import (  # noqa: E402
    LEXICON_FEATURES,
    calibration_features,
    default_matcher,
    lexicon_features,
)

DAVIDSON = shared_data("davidson", "labeled_data.csv")
OUT = ROOT / "src/modops/text/data"
FEATURES = ("classifier_logit", *LEXICON_FEATURES)
BITS = 18
C = 3.0
TOP_TERMS = 20
TOP_WEIGHT = 0.1


def load_davidson() -> tuple[list[str], np.ndarray]:
    with DAVIDSON.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["tweet"] for r in rows], np.array([1 if r["class"] in ("0", "1") else 0 for r in rows])


def load_olid(path: Path, limit: int | None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, labels (OFF = 1) and ids of the file's first ``limit`` tweets."""
    texts: list[str] = []
    labels: list[int] = []
    ids: list[int] = []
    with path.open(encoding="utf-8", newline="") as handle:
        next(handle)  # header: id, tweet, subtask_a, subtask_b, subtask_c
        for line in handle:
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) != 5 or fields[2] not in ("OFF", "NOT") or not fields[0].isdigit():
                continue
            texts.append(fields[1])
            labels.append(1 if fields[2] == "OFF" else 0)
            ids.append(int(fields[0]))
            if limit is not None and len(texts) >= limit:
                break
    return texts, np.array(labels), np.array(ids)


def features(texts: list[str]) -> tuple[list[str], np.ndarray, list[set[str]]]:
    """Normalised texts, their lexicon features as the pipeline builds them, and the terms hit."""
    normalized = [normalize(t) for t in texts]
    matcher = default_matcher()
    hits = [matcher.match(n) for n in normalized]
    lexicon = np.array([lexicon_features(found) for found in hits])
    return [n.text for n in normalized], lexicon, [{h.term for h in found} for found in hits]


def macro_f1(labels: np.ndarray, scores: np.ndarray) -> float:
    return float(f1_score(labels, scores >= 0.5, average="macro"))


def interval(labels: np.ndarray, scores: np.ndarray, rounds: int = 1000) -> tuple[float, float]:
    """95% bootstrap interval of macro-F1 at 0.5."""
    rng = np.random.default_rng(0)
    values = []
    for _ in range(rounds):
        pick = rng.integers(0, len(labels), len(labels))
        values.append(macro_f1(labels[pick], scores[pick]))
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def calibrator() -> LogisticRegression:
    return LogisticRegression(class_weight="balanced", max_iter=1000)


class MonotoneCalibration:
    """Class-balanced logistic regression whose weights are all >= 0 (L2, as ``C=1``).

    A listed term's hit, or a higher classifier score, never lowers ``offensive``: the
    rare categories (a few hits among thousands of tweets) would otherwise get weights
    of either sign from noise.
    """

    def fit(self, x: np.ndarray, labels: np.ndarray) -> MonotoneCalibration:
        weight = np.where(labels == 1, len(labels) / (2 * labels.sum()), len(labels) / (2 * (1 - labels).sum()))
        sign = 2 * labels - 1

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            z = x @ theta[:-1] + theta[-1]
            margin = sign * z
            value = float(np.sum(weight * np.logaddexp(0, -margin)) + 0.5 * theta[:-1] @ theta[:-1])
            slope = -weight * sign / (1 + np.exp(margin))
            gradient = np.append(x.T @ slope + theta[:-1], slope.sum())
            return value, gradient

        bounds = [(0.0, None)] * x.shape[1] + [(None, None)]
        result = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, bounds=bounds, method="L-BFGS-B")
        self.coef_ = result.x[:-1].reshape(1, -1)
        self.intercept_ = result.x[-1:]
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = 1 / (1 + np.exp(-(x @ self.coef_[0] + self.intercept_[0])))
        return np.column_stack((1 - p, p))


def linear_matrix(folded: list[str]) -> sp.csr_matrix:
    batch = hash_batch(clean_artefacts(folded), BITS)
    return sp.csr_matrix((batch.value, (batch.doc, batch.index)), shape=(batch.size, 1 << BITS))


def linear_model() -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced", max_iter=3000)


def davidson_weights(terms: list[set[str]], labels: np.ndarray) -> np.ndarray:
    """``TOP_WEIGHT`` for the tweets holding one of the listed terms most frequent in offensive
    ones, 1 for the rest: the model then learns from the rest of the language too."""
    counts = Counter(term for found, label in zip(terms, labels, strict=True) if label for term in found)
    top = {term for term, _ in counts.most_common(TOP_TERMS)}
    return np.array([TOP_WEIGHT if found & top else 1.0 for found in terms])


def davidson_linear_scorer(
    x: sp.csr_matrix, labels: np.ndarray, lexicon: np.ndarray, weights: np.ndarray
) -> tuple[LogisticRegression, LogisticRegression]:
    """modops-linear fitted on all of Davidson, calibrated on its 5-fold out-of-fold logits."""
    oof = np.zeros(len(labels))
    for inner, outer in StratifiedKFold(n_splits=5, shuffle=True, random_state=1).split(labels, labels):
        fitted = linear_model().fit(x[inner], labels[inner], sample_weight=weights[inner])
        oof[outer] = fitted.decision_function(x[outer])
    calibrated = calibrator().fit(np.column_stack((oof, lexicon)), labels, sample_weight=weights)
    return linear_model().fit(x, labels, sample_weight=weights), calibrated


def row(name: str, labels: np.ndarray, scores: np.ndarray) -> str:
    low, high = interval(labels, scores)
    auc = roc_auc_score(labels, scores)
    return f"| {name} | {macro_f1(labels, scores):.3f} ({low:.3f}-{high:.3f}) | {auc:.3f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--olid", type=Path, help="OLID v1.0 training split (olid-training-v1.0.tsv)")
    parser.add_argument("--limit", type=int, help="read only the OLID file's first N tweets")
    parser.add_argument("--fit", action="store_true", help="write calibration.json (needs --olid)")
    parser.add_argument("--fit-linear", action="store_true", help="retrain modops-linear on Davidson")
    args = parser.parse_args()
    if args.fit and args.olid is None:
        parser.error("--fit needs --olid")

    d_raw, d_labels = load_davidson()
    d_folded, d_lexicon, d_terms = features(d_raw)
    d_default = calibration_features(get_classifier(DEFAULT_CLASSIFIER).predict_proba(d_folded), d_lexicon)
    if args.olid is None and not args.fit_linear:
        shipped_on_davidson = macro_f1(d_labels, LinearCalibration.load().probabilities(d_default))
        print(
            f"Davidson ({len(d_raw)} tweets, seen by {DEFAULT_CLASSIFIER}'s training), shipped scorer: "
            f"macro-F1 {shipped_on_davidson:.3f}\nThe figures on unseen tweets need OLID: --olid FILE"
        )
        return
    d_weights = davidson_weights(d_terms, d_labels)
    linear, linear_calibration = davidson_linear_scorer(linear_matrix(d_folded), d_labels, d_lexicon, d_weights)
    if args.fit_linear:
        np.savez_compressed(
            OUT / "linear_en.npz",
            weights=linear.coef_[0].astype(np.float32),
            intercept=np.float32(linear.intercept_[0]),
        )
        print(f"wrote {OUT.relative_to(ROOT)}/linear_en.npz")
    if args.olid is None:
        return

    texts, labels, ids = load_olid(args.olid, args.limit)
    folded, lexicon, _ = features(texts)
    fit_rows = ids % 2 == 0
    test_rows = ~fit_rows
    default = calibration_features(get_classifier(DEFAULT_CLASSIFIER).predict_proba(folded), lexicon)
    fitted = MonotoneCalibration().fit(default[fit_rows], labels[fit_rows])
    shipped = LinearCalibration.load()

    held = labels[test_rows]
    print(
        f"OLID: {len(texts)} tweets ({labels.mean():.1%} offensive); calibration fitted on "
        f"{fit_rows.sum()} (even ids), measured on {test_rows.sum()} (odd ids)\n"
    )
    print("| scorer | macro-F1 of `offensive` at 0.5 (95% bootstrap) | ROC AUC |")
    print("|---|---|---|")
    linear_features = np.column_stack((linear.decision_function(linear_matrix(folded)), lexicon))
    for name, scores in (
        (f"{DEFAULT_CLASSIFIER} + term features, calibrated on OLID (even ids)", fitted.predict_proba(default)),
        ("shipped calibration.json", shipped.probabilities(default)),
        (f"{DEFAULT_CLASSIFIER} alone, uncalibrated", 1 / (1 + np.exp(-default[:, 0]))),
        (
            "modops-linear + term features, Davidson calibration (the previous default)",
            linear_calibration.predict_proba(linear_features),
        ),
        ("term list alone (any hit)", (lexicon.sum(axis=1) > 0).astype(float)),
    ):
        probabilities = scores[:, 1] if scores.ndim == 2 else scores
        print(row(name, held, probabilities[test_rows]))

    print(
        f"\nDavidson ({len(d_raw)} tweets, seen by {DEFAULT_CLASSIFIER}'s training), OLID-fitted calibration: "
        f"macro-F1 {macro_f1(d_labels, fitted.predict_proba(d_default)[:, 1]):.3f}"
    )

    if args.fit:
        calibration = LinearCalibration(
            FEATURES,
            tuple(float(w) for w in fitted.coef_[0]),
            float(fitted.intercept_[0]),
            f"OLID v1.0 training split, tweets with an even id among the file's first {len(texts)}; "
            f"classifier_logit from {DEFAULT_CLASSIFIER} on normalised text; balanced logistic regression, "
            "weights >= 0; "
            "bench/eval_text.py --olid FILE --fit",
            DEFAULT_CLASSIFIER,
        )
        (OUT / "calibration.json").write_text(calibration.to_json() + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}/calibration.json")


if __name__ == "__main__":
    main()
