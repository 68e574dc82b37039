"""Throughput and latency of text screening.

- messages/s of the full pipeline (normalise, default terms, channel rules,
  classifier, verdict) vs the bare classifier's batched predict, same messages;
- p99 per-message latency when fed at a sustained rate in micro-batches
  (a message's latency = its batch's processing end - its arrival time).

Two message sets: all Davidson tweets (term-dense: most hit a listed term) and a
chat mix (about 90% clean: Davidson's neither-class tweets plus short generated chat
lines, the rest Davidson's offensive tweets).

With ``--second-stage``, also the cost of modops-minilm re-scoring the messages the
classifier is unsure of: the share of each set it sees, its own messages/s on them, and
the pipeline's messages/s with it (on the first 4,096 messages of each set).

    python bench/bench_text.py [--rate 10000] [--micro-batch-ms 10] [--second-stage]
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from profanity_check import predict_prob  # noqa: E402

from modops.testing.shared import shared_data  # noqa: E402
from modops.text.automod import AutoModSettings  # noqa: E402
from modops.text.patterns import ChannelTerms  # noqa: E402
from modops.text.screen import Message, Screener  # noqa: E402

DATA = shared_data("davidson", "labeled_data.csv")


def messages() -> tuple[list[str], list[str]]:
    """(all tweets, a ~90%-clean chat mix of the same size)."""
    with DATA.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    tweets = [row["tweet"] for row in rows]
    clean = [row["tweet"] for row in rows if row["class"] == "2"]
    offensive = [row["tweet"] for row in rows if row["class"] != "2"]
    rng = random.Random(0)
    words = [
        "lol",
        "gg",
        "pog",
        "kekw",
        "lmao",
        "nice",
        "wp",
        "hi chat",
        "LUL",
        "monkaS",
        "PogChamp",
        "gl hf",
        "what was that",
        "first time here",
        "!uptime",
        "Kappa",
        "ez clap",
        "W",
        "no way",
        "<3",
        "ggs",
    ]
    chat = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 4))) for _ in range(len(tweets))]
    size = len(tweets)
    mix = rng.sample(chat, size * 6 // 10) + [rng.choice(clean) for _ in range(size * 3 // 10)]
    mix += rng.sample(offensive, size - len(mix))
    rng.shuffle(mix)
    return tweets, mix


def best_rate(run: object, count: int, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return count / best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=10_000.0)
    parser.add_argument("--micro-batch-ms", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--second-stage", action="store_true", help="also measure modops-minilm's cost")
    args = parser.parse_args()

    channel = ChannelTerms(blocked=["spoiler*", "b*tcoin", "/free\\s+v-?bucks/"], permitted=["scunthorpe"])
    screener = Screener(AutoModSettings.overall(3), channel)
    tweets, mix = messages()
    print(f"{len(tweets)} messages per set, batches of 1024 (throughput), best of 3, one process\n")
    print(
        "| set | bare classifier (profanity_check.predict_prob) | full pipeline | pipeline / bare "
        f"| p50 at {args.rate:,.0f}/s, {args.micro_batch_ms:g} ms batches | p99 | backlog at end |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, texts in (("Davidson (term-dense)", tweets), ("chat mix (~90% clean)", mix)):
        row = measure(screener, texts, args)
        print(
            f"| {name} | {row[0]:,.0f} msgs/s | {row[1]:,.0f} msgs/s | {row[1] / row[0]:.2f}x "
            f"| {row[2]:.1f} ms | {row[3]:.1f} ms | {row[4]:.1f} ms |"
        )
    if args.second_stage:
        second_stage(channel, {"Davidson (term-dense)": tweets, "chat mix (~90% clean)": mix})


def pipeline_rate(screener: Screener, batch: list[Message], repeats: int = 3) -> float:
    chunk = 1024
    return best_rate(
        lambda: [screener.screen_batch(batch[i : i + chunk]) for i in range(0, len(batch), chunk)],
        len(batch),
        repeats,
    )


def second_stage(channel: ChannelTerms, sets: dict[str, list[str]], count: int = 4096) -> None:
    from modops.text.minilm import default_second_stage

    stage = default_second_stage()
    screener = Screener(AutoModSettings.overall(3), channel, second_stage=stage)
    fast = Screener(AutoModSettings.overall(3), channel)
    band = f"[{stage.low}, {stage.high}]"
    print(f"\nSecond stage: modops-minilm on `offensive` in {band}, first {count} messages of each set\n")
    print("| set | share re-scored | modops-minilm alone, on those | pipeline with it | pipeline without |")
    print("|---|---|---|---|---|")
    for name, texts in sets.items():
        batch = [Message(str(i), t) for i, t in enumerate(texts[:count])]
        stage.classifier.predict_proba(texts[:64])  # warm up
        before = stage.sent
        with_it = pipeline_rate(screener, batch, 1)
        sent = stage.sent - before
        scores = [v.offensive for v in fast.screen_batch(batch)]
        uncertain = [b.text for b, s in zip(batch, scores, strict=True) if stage.low <= s <= stage.high]
        started = time.perf_counter()
        stage.classifier.predict_proba(uncertain)
        alone = len(uncertain) / (time.perf_counter() - started)
        without = pipeline_rate(fast, batch)
        print(
            f"| {name} | {sent / len(batch):.1%} | {alone:,.0f} msgs/s | {with_it:,.0f} msgs/s | {without:,.0f} msgs/s |"
        )


def measure(screener: Screener, texts: list[str], args: argparse.Namespace) -> tuple[float, float, float, float, float]:
    batch = [Message(str(i), t) for i, t in enumerate(texts)]
    screener.screen_batch(batch[:100])
    chunk = 1024
    bare = best_rate(
        lambda: [predict_prob(texts[i : i + chunk]) for i in range(0, len(texts), chunk)],
        len(texts),
    )
    full = best_rate(
        lambda: [screener.screen_batch(batch[i : i + chunk]) for i in range(0, len(batch), chunk)],
        len(batch),
    )
    # Sustained feed: messages arrive evenly at --rate; every micro-batch interval the
    # arrivals so far are screened together. Time is simulated from measured costs, so the
    # run does not sleep, but a batch cannot start before the previous one finished.
    # The throughput runs above leave tens of thousands of verdicts for the cyclic garbage
    # collector; collect them first, so that a full collection they would trigger (tens of
    # milliseconds, the whole heap) does not land in this window. Collections the feed
    # itself triggers still count.
    gc.collect()
    interval = args.micro_batch_ms / 1000.0
    per_batch = max(1, int(args.rate * interval))
    total = int(args.rate * args.seconds)
    latencies: list[float] = []
    clock = 0.0
    for first in range(0, total, per_batch):
        ids = range(first, min(first + per_batch, total))
        arrivals = [i / args.rate for i in ids]
        start = max(clock, arrivals[-1])
        t0 = time.perf_counter()
        screener.screen_batch([batch[i % len(batch)] for i in ids])
        clock = start + (time.perf_counter() - t0)
        latencies.extend(clock - a for a in arrivals)
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1000
    p50 = latencies[len(latencies) // 2] * 1000
    backlog = max(clock - total / args.rate, 0) * 1000
    return bare, full, p50, p99, backlog


if __name__ == "__main__":
    main()
