"""Quality of modops' ``offensive`` score on the Davidson tweets, and fitting its calibration.

offensive = class 0 (hate speech) or 1 (offensive language).

alt-profanity-check was trained on data that includes these tweets, so its scores
here are optimistic. To fit the calibration on scores that behave like unseen
data, the same model family (TF-IDF + balanced LinearSVC, sigmoid-calibrated) is
retrained 5-fold on Davidson and each tweet is scored by the fold that did not see
it. A balanced logistic regression maps [logit(score), severe term, mild term,
swearing term] to a probability, so 0.5 is the balanced operating point.

    python bench/eval_text.py            # report
    python bench/eval_text.py --fit      # refit src/modops/text/data/calibration.json, then report
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from modops.text.classify import LinearCalibration, get_classifier
from modops.text.normalize import normalize
from modops.text.screen import default_matcher, lexicon_features

DATA = Path("/work/shared/data/davidson/labeled_data.csv")
CALIBRATION = ROOT / "src/modops/text/data/calibration.json"
FEATURES = ("classifier_logit", "severe_term", "mild_term", "swearing_term")


def load() -> tuple[list[str], np.ndarray]:
    with DATA.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts = [r["tweet"] for r in rows]
    labels = np.array([1 if r["class"] in ("0", "1") else 0 for r in rows])
    return texts, labels


def out_of_fold_scores(texts: list[str], labels: np.ndarray, seed: int = 0) -> np.ndarray:
    scores = np.zeros(len(texts))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    for train, test in folds.split(texts, labels):
        vectorizer = TfidfVectorizer(stop_words="english", min_df=0.0001)
        features = vectorizer.fit_transform([texts[i] for i in train])
        model = CalibratedClassifierCV(LinearSVC(class_weight="balanced", dual=False, tol=0.01), cv=3)
        model.fit(features, labels[train])
        scores[test] = model.predict_proba(vectorizer.transform([texts[i] for i in test]))[:, 1]
    return scores


def feature_matrix(scores: np.ndarray, lexicon: list[tuple[float, float, float]]) -> np.ndarray:
    logits = [LinearCalibration.logit(float(s)) for s in scores]
    return np.array([[z, *lex] for z, lex in zip(logits, lexicon, strict=True)])


def macro_f1(labels: np.ndarray, probabilities: np.ndarray) -> float:
    return float(f1_score(labels, probabilities >= 0.5, average="macro"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit", action="store_true", help="refit and write calibration.json")
    args = parser.parse_args()

    texts, labels = load()
    normalized = [normalize(t) for t in texts]
    matcher = default_matcher()
    lexicon = [lexicon_features(matcher.match(n)) for n in normalized]
    folded = [n.text for n in normalized]
    shipped = np.array(get_classifier("profanity-check").predict_proba(folded))
    oof = out_of_fold_scores(folded, labels)

    x_oof = feature_matrix(oof, lexicon)
    if args.fit:
        model = LogisticRegression(class_weight="balanced", C=1.0, max_iter=1000).fit(x_oof, labels)
        calibration = LinearCalibration(
            FEATURES,
            tuple(float(w) for w in model.coef_[0]),
            float(model.intercept_[0]),
            "Davidson et al. 2017 tweets (offensive = class 0 or 1); classifier_logit from a "
            "5-fold out-of-fold TF-IDF + LinearSVC retrained on it; balanced logistic regression; "
            "bench/eval_text.py --fit",
        )
        CALIBRATION.write_text(calibration.to_json() + "\n", encoding="utf-8")
        print(f"wrote {CALIBRATION.relative_to(ROOT)}")
    calibration = LinearCalibration.load()

    # Cross-validated calibration fit, scored on unseen folds.
    cv_oof = np.zeros(len(texts))
    for train, test in StratifiedKFold(n_splits=5, shuffle=True, random_state=1).split(x_oof, labels):
        model = LogisticRegression(class_weight="balanced", max_iter=1000).fit(x_oof[train], labels[train])
        cv_oof[test] = model.predict_proba(x_oof[test])[:, 1]

    shipped_offensive = np.array([calibration.probability(row) for row in feature_matrix(shipped, lexicon)])
    oof_offensive = np.array([calibration.probability(row) for row in x_oof])
    lexicon_only = np.array([1.0 if any(lex) else 0.0 for lex in lexicon])
    positives = labels.mean()
    rows = [
        (
            "alt-profanity-check alone, threshold 0.5 (saw this data)",
            macro_f1(labels, shipped),
        ),
        (
            "shipped `offensive` (model + terms, calibrated; model saw this data)",
            macro_f1(labels, shipped_offensive),
        ),
        (
            "model retrained out-of-fold, alone at 0.5 (unseen-like)",
            macro_f1(labels, oof),
        ),
        (
            "out-of-fold model + terms, shipped calibration",
            macro_f1(labels, oof_offensive),
        ),
        ("out-of-fold model + terms, calibration 5-fold CV", macro_f1(labels, cv_oof)),
        ("term list alone (any hit)", macro_f1(labels, lexicon_only)),
    ]
    print(f"\nDavidson: {len(texts)} tweets, {positives:.1%} offensive\n")
    print("| scorer | macro-F1 @ 0.5 |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value:.3f} |")
    print(
        f"\ncalibration: {dict(zip(calibration.feature_names, (round(w, 3) for w in calibration.weights), strict=True))}, "
        f"intercept {calibration.intercept:.3f}"
    )
    if not math.isfinite(calibration.intercept):
        raise SystemExit("calibration is not finite")


if __name__ == "__main__":
    main()
