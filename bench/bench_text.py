"""Throughput and latency of text screening.

- messages/s of the full pipeline (normalise, default terms, channel rules,
  classifier, verdict) vs the bare classifier's batched predict, same messages;
- p99 per-message latency when fed at a sustained rate in micro-batches
  (a message's latency = its batch's processing end - its arrival time).

    python bench/bench_text.py [--rate 10000] [--micro-batch-ms 20]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from profanity_check import predict_prob

from modops.text.automod import AutoModSettings
from modops.text.patterns import ChannelTerms
from modops.text.screen import Message, Screener

DATA = Path("/work/shared/data/davidson/labeled_data.csv")


def messages() -> list[str]:
    with DATA.open(encoding="utf-8") as handle:
        return [row["tweet"] for row in csv.DictReader(handle)]


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
    parser.add_argument("--micro-batch-ms", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    texts = messages()
    batch = [Message(str(i), t) for i, t in enumerate(texts)]
    channel = ChannelTerms(blocked=["spoiler*", "b*tcoin", "/free\\s+v-?bucks/"], permitted=["scunthorpe"])
    screener = Screener(AutoModSettings.overall(3), channel)
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
    backlog = clock - total / args.rate

    print(f"{len(texts)} Davidson tweets, batches of {chunk}, best of 3, one process\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| bare classifier (profanity_check.predict_prob) | {bare:,.0f} msgs/s |")
    print(f"| full pipeline (normalise, terms, channel rules, classifier, verdict) | {full:,.0f} msgs/s |")
    print(f"| pipeline / bare | {full / bare:.2f}x |")
    print(f"| sustained {args.rate:,.0f} msgs/s, {args.micro_batch_ms:g} ms micro-batches: p50 | {p50:.1f} ms |")
    print(f"| same: p99 | {p99:.1f} ms |")
    print(f"| same: backlog at end | {max(backlog, 0) * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
