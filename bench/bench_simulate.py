"""Time to simulate the reference day under FIFO and modops routing; print a markdown table.

Run: python bench/bench_simulate.py [--repeat N] [--seed S] [--scale X]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from modops.ops.simulation import reference_day
from modops.ops.simulation.engine import simulate_day
from modops.ops.simulation.metrics import PolicyResult, summarise
from modops.ops.simulation.reference import REFERENCE_SEED
from modops.ops.simulation.routing import FIFO, MODOPS, RoutingPolicy


def _time(policy: RoutingPolicy, seed: int, scale: float, repeat: int) -> tuple[float, PolicyResult]:
    day = reference_day(seed, scale)
    best = float("inf")
    result: PolicyResult | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = summarise(simulate_day(day, policy))
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return best, result


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=REFERENCE_SEED)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    start = time.perf_counter()
    day = reference_day(args.seed, args.scale)
    generate = time.perf_counter() - start
    print(
        f"reference day seed={args.seed} scale={args.scale:g}: {len(day.arrivals)} items, "
        f"{sum(g.count for g in day.staff)} staff, generated in {generate * 1000:.0f} ms; "
        f"best of {args.repeat} runs\n"
    )
    print("| policy | simulate (ms) | SLA attainment | TTA p50 (s) | TTA p90 (s) | max exposure (min) | backlog end |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for policy in (FIFO, MODOPS):
        seconds, result = _time(policy, args.seed, args.scale, args.repeat)
        print(
            f"| {policy.name} | {seconds * 1000:.0f} | {_pct(result.sla_attainment)} "
            f"| {_secs(result.tta_p50_seconds)} | {_secs(result.tta_p90_seconds)} "
            f"| {result.max_exposure_minutes:.1f} | {result.backlog_end} |"
        )


if __name__ == "__main__":
    main()
