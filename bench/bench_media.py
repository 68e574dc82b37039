"""Benchmark of modops.media: PDQ index lookups, recall, memory, and image hashing.

Compares modops' PdqIndex with threatexchange's PDQIndex (faiss IndexBinaryMultiHash)
and PDQIndex2 (faiss flat L2) in the same run. Runs on ONE core: the process pins
itself to CPU 0 and every thread pool (OpenBLAS, OpenMP, faiss) is set to one thread.
Each lookup figure is the median of ``--rounds`` timed passes over the same queries,
after WARM_UP_SECONDS of lookups of other queries (a serving index is warm: right after
a build the first seconds of lookups run up to a third slower). "single/CPU-s" is the
median single-lookup rate per second of the timing thread's CPU time: on a shared machine it
leaves out time slices lost to other processes on the same core, so a wall-clock figure
far below it marks a disturbed run. "hits = brute force" counts sampled queries (members
and non-members) whose (id, distance) hits equal an exhaustive scan of the bank.

    python bench/bench_media.py                      # 1M and 10M (a few minutes)
    python bench/bench_media.py --sizes 100000       # quick run
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import sys
import time
from collections.abc import Callable

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy and faiss load their thread pools

import numpy as np  # noqa: E402

from modops.media import hash_image  # noqa: E402
from modops.media.index import PdqIndex, format_pdq, hamming  # noqa: E402

THRESHOLD = 31
WARM_UP_SECONDS = 5.0


def warm_up(lookup: Callable[[int], object], count: int) -> None:
    start = time.perf_counter()
    done = 0
    while time.perf_counter() - start < WARM_UP_SECONDS:
        lookup(done % count)
        done += 1


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def make_queries(rng: np.random.Generator, bank: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Half bank members with 0..31 random bit flips, half random non-members."""
    members = count // 2
    source = rng.integers(0, len(bank), members)
    bits = np.unpackbits(bank[source].astype(">u8").view(np.uint8).reshape(members, 32), axis=1)
    for row in range(members):
        flips = rng.choice(256, int(rng.integers(0, THRESHOLD + 1)), replace=False)
        bits[row, flips] ^= 1
    altered = np.packbits(bits, axis=1).view(">u8").astype(np.uint64)
    others = rng.integers(0, 2**64, size=(count - members, 4), dtype=np.uint64)
    expected = np.concatenate([source, np.full(count - members, -1)])
    return np.vstack([altered, others]), expected, hamming(bank[source], altered)


Row = dict[str, str]


def rate(count: int, fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return count / (time.perf_counter() - start), result


def median_rate(rounds: int, count: int, fn: Callable[[], object]) -> tuple[float, float, float, object, float]:
    """Median, lowest and highest rate over ``rounds`` timed passes, the last result, and
    the median rate per second of this thread's CPU time.

    The machine is shared: when another process runs on the same core, wall-clock rates
    drop while the CPU-time rate does not (it still counts waits for memory, which other
    processes can lengthen). The gap between the two shows how much a run was disturbed.
    """
    rates: list[float] = []
    cpu_rates: list[float] = []
    result: object = None
    for _ in range(rounds):
        cpu_start = time.thread_time()
        value, result = rate(count, fn)
        cpu_rates.append(count / (time.thread_time() - cpu_start))
        rates.append(value)
    return statistics.median(rates), min(rates), max(rates), result, statistics.median(cpu_rates)


def recall(results: list[list[int]], expected: np.ndarray) -> tuple[float, int]:
    found = sum(int(e) in r for r, e in zip(results, expected, strict=True) if e >= 0)
    members = int((expected >= 0).sum())
    strays = sum(len(r) for r, e in zip(results, expected, strict=True) if e < 0)
    return found / members, strays


def _fmt(median: float, low: float, high: float) -> str:
    return f"{median:,.0f} ({low:,.0f}–{high:,.0f})"


def exact_mismatches(
    bank: np.ndarray, queries: np.ndarray, lookup: Callable[[np.ndarray], list[tuple[int, int]]], sample: int
) -> tuple[int, int]:
    """(mismatches, checked): of ``sample`` queries spread evenly over ``queries``, how many
    get (id, distance) hits that differ from an exhaustive scan of the bank."""
    checked = min(sample, len(queries))
    # Members come first and non-members last in ``queries``: check some of each.
    rows = np.unique(np.linspace(0, len(queries) - 1, checked).astype(np.int64))
    wrong = 0
    for row in rows.tolist():
        query = queries[row : row + 1]
        distances = hamming(bank, query)
        hits = np.flatnonzero(distances <= THRESHOLD)
        expected = sorted(zip(distances[hits].tolist(), hits.tolist(), strict=True))
        got = sorted((distance, entry) for entry, distance in lookup(query))
        wrong += got != expected
    return wrong, len(rows)


def bench_modops(
    bank: np.ndarray, queries: np.ndarray, expected: np.ndarray, warm: np.ndarray, rounds: int, exact_sample: int
) -> Row:
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    index = PdqIndex.from_words(bank, np.arange(len(bank)))
    build = time.perf_counter() - start
    memory = rss_bytes() - before
    warm_up(lambda i: index.query_words(warm[i : i + 1]), len(warm))
    singles = [queries[i : i + 1] for i in range(len(queries))]
    single = median_rate(rounds, len(queries), lambda: [index.query_words(q)[0] for q in singles])
    batch = median_rate(
        rounds,
        len(queries),
        lambda: [r for i in range(0, len(queries), 256) for r in index.query_words(queries[i : i + 256])],
    )
    results = single[3]
    assert isinstance(results, list)
    rec, strays = recall([[entry for entry, _ in hits] for hits in results], expected)
    wrong, checked = exact_mismatches(bank, queries, lambda q: index.query_words(q)[0], exact_sample)
    scheme = index.scheme
    return {
        "index": "modops PdqIndex",
        "build s": f"{build:.1f}",
        "memory GiB": f"{memory / 2**30:.2f}",
        "single/s": _fmt(*single[:3]),
        "single/CPU-s": f"{single[4]:,.0f}",
        "batch(256)/s": _fmt(*batch[:3]),
        "recall@31": f"{rec:.4f}",
        "non-member hits": str(strays),
        "hits = brute force": f"{checked - wrong}/{checked}",
        "notes": f"{len(scheme.widths)} chunks, radii {sorted(set(scheme.radii))}, {scheme.probes} probes",
    }


def bench_threatexchange(
    bank: np.ndarray, queries: np.ndarray, expected: np.ndarray, warm: np.ndarray, rounds: int
) -> Row:
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    hexes = format_pdq(bank)
    query_hexes = format_pdq(queries)
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    index: PDQIndex[int] = PDQIndex(zip(hexes, range(len(hexes)), strict=True))
    build = time.perf_counter() - start
    memory = rss_bytes() - before
    del hexes
    warm_hexes = format_pdq(warm)
    warm_up(lambda i: index.query(warm_hexes[i]), len(warm_hexes))
    single = median_rate(rounds, len(queries), lambda: [index.query(q) for q in query_hexes])
    inner = index.index

    def batched() -> None:
        for i in range(0, len(query_hexes), 256):
            inner.search_with_distance_in_result(query_hexes[i : i + 256], THRESHOLD)

    batch = median_rate(rounds, len(queries), batched)
    results = single[3]
    assert isinstance(results, list)
    rec, strays = recall([[m.metadata for m in hits] for hits in results], expected)
    return {
        "index": "threatexchange PDQIndex",
        "build s": f"{build:.1f}",
        "memory GiB": f"{memory / 2**30:.2f}",
        "single/s": _fmt(*single[:3]),
        "single/CPU-s": f"{single[4]:,.0f}",
        "batch(256)/s": _fmt(*batch[:3]),
        "recall@31": f"{rec:.4f}",
        "non-member hits": str(strays),
        "notes": "faiss IndexBinaryMultiHash",
    }


def bench_pdqindex2(bank: np.ndarray, queries: np.ndarray, expected: np.ndarray) -> Row:
    from threatexchange.signal_type.pdq.pdq_index2 import PDQIndex2

    hexes = format_pdq(bank)
    index: PDQIndex2[int] = PDQIndex2(entries=zip(hexes, range(len(hexes)), strict=True))
    sample = format_pdq(queries[:200])
    single_rate, single = rate(len(sample), lambda: [index.query(q) for q in sample])
    assert isinstance(single, list)
    rec, _ = recall([[m.metadata for m in hits] for hits in single], expected[:200])
    return {
        "index": "threatexchange PDQIndex2",
        "single/s": f"{single_rate:,.0f}",
        "recall@31": f"{rec:.4f}",
        "notes": "faiss flat L2, 200 queries",
    }


def _images() -> list[bytes]:
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(1)
    images = []
    for i in range(8):
        array = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
        image = Image.fromarray(array)
        ImageDraw.Draw(image).ellipse((50, 50, 300, 250), fill=(i * 30, 80, 160))
        for fmt in ("JPEG", "PNG"):
            buffer = io.BytesIO()
            image.save(buffer, fmt)
            images.append(buffer.getvalue())
    return images


def bench_hashing(rounds: int, seconds: float = 2.0) -> list[Row]:
    from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

    images = _images()

    def per_second(fn: Callable[[bytes], object]) -> float:
        done = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            fn(images[done % len(images)])
            done += 1
        return done / (time.perf_counter() - start)

    rows = []
    for name, fn in (
        ("modops hash_image: checked decode once, PDQ + MD5 + SHA-256", hash_image),
        ("threatexchange pdq_from_bytes: PDQ only", pdq_from_bytes),
    ):
        rates = [per_second(fn) for _ in range(rounds)]
        rows.append({"hasher": name, "images/s": _fmt(statistics.median(rates), min(rates), max(rates))})
    return rows


def table(rows: list[Row]) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row.get(c, "") for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated bank sizes")
    parser.add_argument("--queries", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes per figure; the median is shown")
    parser.add_argument(
        "--threatexchange-max", type=int, default=1_000_000, help="largest size to build threatexchange's PDQIndex at"
    )
    parser.add_argument(
        "--exact-sample",
        type=int,
        default=100,
        help="queries whose hits are compared with a brute-force scan of the bank (members and non-members)",
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    try:
        import faiss

        faiss.omp_set_num_threads(1)
    except ImportError:
        pass
    print(f"`{' '.join(['python', *sys.argv])}` on one core (CPU 0), load average {os.getloadavg()[0]:.1f}\n")
    print(
        "Images hashed per second (400x300 JPEG/PNG), median (lowest–highest) of "
        f"{args.rounds} passes:\n\n{table(bench_hashing(args.rounds))}\n"
    )
    rng = np.random.default_rng(42)
    for size in (int(s) for s in args.sizes.split(",")):
        bank = rng.integers(0, 2**64, size=(size, 4), dtype=np.uint64)
        queries, expected, _ = make_queries(rng, bank, args.queries)
        warm, _, _ = make_queries(rng, bank, min(args.queries, 1000))
        rows = [bench_modops(bank, queries, expected, warm, args.rounds, args.exact_sample)]
        if size <= args.threatexchange_max:
            rows.append(bench_threatexchange(bank, queries, expected, warm, args.rounds))
        if size <= 100_000:
            rows.append(bench_pdqindex2(bank, queries, expected))
        print(
            f"Bank of {size:,} random PDQ hashes; {args.queries} queries, half members with 0–31 flipped bits; "
            f"lookups/s as median (lowest–highest) of {args.rounds} passes:\n\n{table(rows)}\n"
        )
        if size > args.threatexchange_max:
            print(f"threatexchange's PDQIndex is not built above {args.threatexchange_max:,} hashes.\n")
        del bank
        gc.collect()


if __name__ == "__main__":
    main()
