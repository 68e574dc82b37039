"""Quality of modops' ``offensive`` score, and fitting the models behind it.

``offensive`` is a logistic calibration of [the default classifier's logit (alt-profanity-
check), one hit feature per AutoMod category of the term list]. modops is judged on
unseen short social-media messages labelled offensive / not offensive, the way OLID
labels tweets (Zampieri et al. 2019: insults, threats, slurs and profanity are
offensive). Data sets:

- Davidson et al. (2017) tweets, shipped in ``shared/data/davidson`` (offensive =
  class 0 or 1). alt-profanity-check was trained on data that includes them, so
  figures on it are optimistic.
- OLID v1.0's training split (``olid-training-v1.0.tsv``, 13,240 tweets, subtask A),
  not shipped: pass it with ``--olid``. Figures are 5-fold cross-validated: the
  calibration is fitted on four folds and measured on the fifth. modops-linear, a hashed
  n-gram model, is trained the same way, alone and blended with alt-profanity-check
  (a variant that was not adopted). ``--limit N`` reads only the file's first N tweets.
- OLID's test split (``testset-levela.tsv`` and ``labels-levela.csv``, 860 tweets),
  not shipped: ``--test`` and ``--test-labels`` measure the models fitted on the whole
  training split on it, the same models ``--fit`` writes.
- 50 harmless lines of gaming chat (``src/modops/text/tests/benign_gaming_chat.txt``):
  how many a score alone would hold at AutoMod levels 3 and 4.

The calibration is class-balanced, so 0.5 is the balanced operating point.

    python bench/eval_text.py                 # Davidson only (optimistic)
    python bench/eval_text.py --olid olid-training-v1.0.tsv \
        [--test testset-levela.tsv --test-labels labels-levela.csv]
    python bench/eval_text.py --olid olid-training-v1.0.tsv --fit   # write linear_en.npz, calibration.json
"""

from __future__ import annotations

import argparse
import csv
import sys
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
from modops.text.classify import (  # noqa: E402
    DEFAULT_CLASSIFIER,
    FunctionClassifier,
    LinearCalibration,
    SecondStage,
    clean_artefacts,
    get_classifier,
    logits,
)
from modops.text.features import hash_batch  # noqa: E402
from modops.text.normalize import normalize  # noqa: E402
from modops.text.screen import (  # noqa: E402
    CLASSIFIER_THRESHOLDS,
    LEXICON_FEATURES,
    calibration_features,
    default_matcher,
    lexicon_features,
)

DAVIDSON = shared_data("davidson", "labeled_data.csv")
OUT = ROOT / "src/modops/text/data"
FEATURES = ("classifier_logit", *LEXICON_FEATURES)
CHAT = ROOT / "src/modops/text/tests/benign_gaming_chat.txt"
BITS = 18
C = 1.0
FOLDS = 5


def load_davidson() -> tuple[list[str], np.ndarray]:
    with DAVIDSON.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["tweet"] for r in rows], np.array([1 if r["class"] in ("0", "1") else 0 for r in rows])


def load_olid(path: Path, limit: int | None) -> tuple[list[str], np.ndarray]:
    """Texts and labels (OFF = 1) of the training file's first ``limit`` tweets."""
    texts: list[str] = []
    labels: list[int] = []
    with path.open(encoding="utf-8", newline="") as handle:
        next(handle)  # header: id, tweet, subtask_a, subtask_b, subtask_c
        for line in handle:
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) != 5 or fields[2] not in ("OFF", "NOT") or not fields[0].isdigit():
                continue
            texts.append(fields[1])
            labels.append(1 if fields[2] == "OFF" else 0)
            if limit is not None and len(texts) >= limit:
                break
    return texts, np.array(labels)


def load_olid_test(texts_path: Path, labels_path: Path) -> tuple[list[str], np.ndarray]:
    """OLID's test tweets (id, tweet) joined by id to their subtask A labels (id,label)."""
    with labels_path.open(encoding="utf-8", newline="") as handle:
        labels = dict(line.rstrip("\r\n").split(",")[:2] for line in handle if "," in line)
    texts: list[str] = []
    values: list[int] = []
    with texts_path.open(encoding="utf-8", newline="") as handle:
        next(handle)  # header: id, tweet
        for line in handle:
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) == 2 and labels.get(fields[0]) in ("OFF", "NOT"):
                texts.append(fields[1])
                values.append(1 if labels[fields[0]] == "OFF" else 0)
    return texts, np.array(values)


def features(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Normalised texts and their lexicon features, as the pipeline builds them."""
    normalized = [normalize(t) for t in texts]
    matcher = default_matcher()
    lexicon = np.array([lexicon_features(matcher.match(n)) for n in normalized])
    return [n.text for n in normalized], lexicon


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

    def decision(self, x: np.ndarray) -> np.ndarray:
        result: np.ndarray = x @ self.coef_[0] + self.intercept_[0]
        return result

    def probability(self, x: np.ndarray) -> np.ndarray:
        result: np.ndarray = 1 / (1 + np.exp(-self.decision(x)))
        return result


def linear_matrix(folded: list[str]) -> sp.csr_matrix:
    batch = hash_batch(clean_artefacts(folded), BITS)
    return sp.csr_matrix((batch.value, (batch.doc, batch.index)), shape=(batch.size, 1 << BITS))


def linear_model() -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced", max_iter=3000)


def folds(labels: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0).split(labels, labels))


def out_of_fold_linear(x: sp.csr_matrix, labels: np.ndarray) -> np.ndarray:
    """modops-linear's logit for every tweet, from a model trained on the other folds."""
    logits = np.zeros(len(labels))
    for fit_rows, score_rows in folds(labels):
        logits[score_rows] = linear_model().fit(x[fit_rows], labels[fit_rows]).decision_function(x[score_rows])
    return logits


class Blend:
    """The variant not adopted: a blend of [profanity-check's, modops-linear's] logits, then
    the calibration of the blend's logit and the term features."""

    def fit(self, members: np.ndarray, lexicon: np.ndarray, labels: np.ndarray) -> Blend:
        self.blend = MonotoneCalibration().fit(members, labels)
        self.calibration = MonotoneCalibration().fit(self.calibration_rows(members, lexicon), labels)
        return self

    def calibration_rows(self, members: np.ndarray, lexicon: np.ndarray) -> np.ndarray:
        # as the pipeline builds them, from the blend's probability
        return calibration_features(self.blend.probability(members), lexicon)

    def probability(self, members: np.ndarray, lexicon: np.ndarray) -> np.ndarray:
        return self.calibration.probability(self.calibration_rows(members, lexicon))


def cross_validated(x: np.ndarray, lexicon: np.ndarray, labels: np.ndarray, fit_blend: bool = True) -> np.ndarray:
    """Each tweet's ``offensive`` from a calibration (and blend) fitted on the other folds."""
    scores = np.zeros(len(labels))
    for fit_rows, score_rows in folds(labels):
        if fit_blend:
            scorer = Blend().fit(x[fit_rows], lexicon[fit_rows], labels[fit_rows])
            scores[score_rows] = scorer.probability(x[score_rows], lexicon[score_rows])
        else:  # x is [classifier logit]: the calibration alone
            rows = np.column_stack((x, lexicon))
            scores[score_rows] = (
                MonotoneCalibration().fit(rows[fit_rows], labels[fit_rows]).probability(rows[score_rows])
            )
    return scores


def row(name: str, labels: np.ndarray, scores: np.ndarray) -> str:
    low, high = interval(labels, scores)
    auc = roc_auc_score(labels, scores)
    return f"| {name} | {macro_f1(labels, scores):.3f} ({low:.3f}-{high:.3f}) | {auc:.3f} |"


def shipped_offensive(folded: list[str], lexicon: np.ndarray) -> np.ndarray:
    """``offensive`` as the pipeline computes it from the shipped files."""
    scores = get_classifier(DEFAULT_CLASSIFIER).predict_proba(folded)
    return LinearCalibration.load().probabilities(calibration_features(scores, lexicon))


def pc_logits(folded: list[str]) -> np.ndarray:
    return logits(get_classifier("profanity-check").predict_proba(folded))


def write_models(linear: LogisticRegression, calibrated: MonotoneCalibration, count: int, limited: bool) -> None:
    which = "the file's first" if limited else "all"
    source = f"OLID v1.0 training split, {which} {count} tweets"
    np.savez_compressed(
        OUT / "linear_en.npz",
        weights=linear.coef_[0].astype(np.float32),
        intercept=np.float32(linear.intercept_[0]),
    )
    calibration = LinearCalibration(
        FEATURES,
        tuple(float(w) for w in calibrated.coef_[0]),
        float(calibrated.intercept_[0]),
        f"{source}; classifier_logit from {DEFAULT_CLASSIFIER} on normalised text; balanced logistic "
        "regression, weights >= 0; bench/eval_text.py --olid FILE --fit",
        DEFAULT_CLASSIFIER,
    )
    (OUT / "calibration.json").write_text(calibration.to_json() + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}/linear_en.npz and calibration.json")


def chat_holds(name: str, scores: np.ndarray) -> str:
    levels = ", ".join(f"level {lv}: {int(np.sum(scores >= CLASSIFIER_THRESHOLDS[lv]))}" for lv in (3, 4))
    return f"| {name} | {levels} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--olid", type=Path, help="OLID v1.0 training split (olid-training-v1.0.tsv)")
    parser.add_argument("--limit", type=int, help="read only the OLID file's first N tweets")
    parser.add_argument("--test", type=Path, help="OLID test tweets (testset-levela.tsv)")
    parser.add_argument("--test-labels", type=Path, help="OLID test labels (labels-levela.csv)")
    parser.add_argument("--fit", action="store_true", help="write linear_en.npz and calibration.json")
    parser.add_argument(
        "--second-stage", action="store_true", help="also measure modops-minilm re-scoring the uncertain band"
    )
    parser.add_argument(
        "--validate", type=Path, help="tweets kept out of modops-minilm's training (OLID layout): bands compared"
    )
    args = parser.parse_args()
    if args.olid is None and (args.fit or args.test or args.validate):
        parser.error("--fit, --test and --validate need --olid")
    stage = None
    if args.second_stage or args.validate:
        from modops.text.minilm import default_second_stage

        stage = default_second_stage()
    if (args.test is None) != (args.test_labels is None):
        parser.error("--test and --test-labels go together")

    d_raw, d_labels = load_davidson()
    d_folded, d_lexicon = features(d_raw)
    if args.olid is None:
        print(
            f"Davidson ({len(d_raw)} tweets, seen by alt-profanity-check's training), shipped scorer: "
            f"macro-F1 {macro_f1(d_labels, shipped_offensive(d_folded, d_lexicon)):.3f}\n"
            "The figures on unseen tweets need OLID: --olid FILE"
        )
        return

    texts, labels = load_olid(args.olid, args.limit)
    folded, lexicon = features(texts)
    x = linear_matrix(folded)
    pc = pc_logits(folded)
    linear = out_of_fold_linear(x, labels)
    members = np.column_stack((pc, linear))
    print(f"OLID training split: {len(texts)} tweets ({labels.mean():.1%} offensive), {FOLDS}-fold cross-validation\n")
    print("| scorer | macro-F1 of `offensive` at 0.5 (95% bootstrap) | ROC AUC |")
    print("|---|---|---|")
    for name, scores in (
        ("profanity-check + term features (shipped)", cross_validated(pc, lexicon, labels, False)),
        ("profanity-check and modops-linear blended + term features", cross_validated(members, lexicon, labels)),
        ("profanity-check alone, uncalibrated", 1 / (1 + np.exp(-pc))),
        ("modops-linear alone, uncalibrated", 1 / (1 + np.exp(-linear))),
        ("term list alone (any hit)", (lexicon.sum(axis=1) > 0).astype(float)),
    ):
        print(row(name, labels, scores))

    if not (args.fit or args.test or args.validate):
        return
    final_linear = linear_model().fit(x, labels)
    calibrated = MonotoneCalibration().fit(np.column_stack((pc, lexicon)), labels)
    blend = Blend().fit(members, lexicon, labels)

    def both(folded: list[str], lexicon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``offensive`` from the calibration --fit writes, and from the blend."""
        pc = pc_logits(folded)
        with_linear = np.column_stack((pc, final_linear.decision_function(linear_matrix(folded))))
        return calibrated.probability(np.column_stack((pc, lexicon))), blend.probability(with_linear, lexicon)

    if args.test:
        t_texts, t_labels = load_olid_test(args.test, args.test_labels)
        t_folded, t_lexicon = features(t_texts)
        shipped, blended = both(t_folded, t_lexicon)
        print(
            f"\nOLID test split: {len(t_texts)} tweets ({t_labels.mean():.1%} offensive), "
            "models fitted on the training split\n"
        )
        print("| scorer | macro-F1 of `offensive` at 0.5 (95% bootstrap) | ROC AUC |")
        print("|---|---|---|")
        print(row("profanity-check + term features (shipped)", t_labels, shipped))
        print(row("profanity-check and modops-linear blended + term features", t_labels, blended))
        if stage is not None:
            refined = stage.refine(shipped, t_folded)
            band = f"[{stage.low}, {stage.high}]"
            print(row(f"shipped, then modops-minilm on {band} (`modops screen`)", t_labels, refined))
            print(f"\nmodops-minilm re-scored {stage.sent} of {stage.seen} test tweets")
    if args.validate:
        v_texts, v_labels = load_olid(args.validate, None)
        v_folded, v_lexicon = features(v_texts)
        v_shipped, _ = both(v_folded, v_lexicon)
        # modops-minilm scores each tweet once; every band re-scores from those scores.
        heavy = dict(zip(v_folded, stage.classifier.predict_proba(v_folded), strict=True))  # type: ignore[union-attr]
        remembered = FunctionClassifier(lambda batch: [heavy[t] for t in batch])
        print(f"\nHeld-out tweets ({len(v_texts)}): the second stage's band\n")
        print("| band | share re-scored | macro-F1 of `offensive` at 0.5 (95% bootstrap) | ROC AUC |")
        print("|---|---|---|---|")
        print(row("none | 0%", v_labels, v_shipped))
        for low, high in ((0.3, 0.7), (0.2, 0.8), (0.1, 0.9), (0.0, 1.0)):
            trial = SecondStage(remembered, low, high)
            mixed = trial.refine(v_shipped, v_folded)
            print(row(f"[{low}, {high}] | {trial.sent / trial.seen:.0%}", v_labels, mixed))
    chat = [line.strip() for line in CHAT.read_text(encoding="utf-8").splitlines() if line.strip()]
    chat_folded, chat_lexicon = features(chat)
    shipped, blended = both(chat_folded, chat_lexicon)
    print(f"\n{len(chat)} harmless gaming chat lines that a score alone would hold\n")
    print("| scorer | held |\n|---|---|")
    print(chat_holds("profanity-check + term features (shipped)", shipped))
    print(chat_holds("profanity-check and modops-linear blended + term features", blended))
    if stage is not None:
        print(chat_holds("shipped, then modops-minilm (`modops screen`)", stage.refine(shipped, chat_folded)))
    shipped, blended = both(d_folded, d_lexicon)
    if stage is not None:
        print(
            f"Davidson, shipped then modops-minilm: macro-F1 {macro_f1(d_labels, stage.refine(shipped, d_folded)):.3f}"
        )
    print(
        f"\nDavidson ({len(d_raw)} tweets, seen by alt-profanity-check's training): macro-F1 "
        f"{macro_f1(d_labels, shipped):.3f} shipped, {macro_f1(d_labels, blended):.3f} blended"
    )
    if args.fit:
        write_models(final_linear, calibrated, len(texts), args.limit is not None)


if __name__ == "__main__":
    main()
