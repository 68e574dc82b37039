"""Benchmark of modops.media: PDQ index lookups, recall, memory, and image hashing.

Compares modops' PdqIndex with threatexchange's PDQIndex (faiss IndexBinaryMultiHash)
and PDQIndex2 (faiss flat L2) in the same run. Runs on ONE core: the process pins
itself to CPU 0 and every thread pool (OpenBLAS, OpenMP, faiss) is set to one thread.
Each lookup figure is the median of ``--rounds`` timed passes over the same queries,
after WARM_UP_SECONDS of lookups of other queries (a serving index is warm: right after
a build the first seconds of lookups run up to a third slower).

    python bench/bench_media.py                      # 1M and 10M (about 10 minutes)
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


def median_rate(rounds: int, count: int, fn: Callable[[], object]) -> tuple[float, float, float, object]:
    """Median, lowest and highest rate over ``rounds`` timed passes, and the last result."""
    rates: list[float] = []
    result: object = None
    for _ in range(rounds):
        value, result = rate(count, fn)
        rates.append(value)
    return statistics.median(rates), min(rates), max(rates), result


def recall(results: list[list[int]], expected: np.ndarray) -> tuple[float, int]:
    found = sum(int(e) in r for r, e in zip(results, expected, strict=True) if e >= 0)
    members = int((expected >= 0).sum())
    strays = sum(len(r) for r, e in zip(results, expected, strict=True) if e < 0)
    return found / members, strays


def _fmt(median: float, low: float, high: float) -> str:
    return f"{median:,.0f} ({low:,.0f}–{high:,.0f})"


def bench_modops(bank: np.ndarray, queries: np.ndarray, expected: np.ndarray, warm: np.ndarray, rounds: int) -> Row:
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
    scheme = index.scheme
    return {
        "index": "modops PdqIndex",
        "build s": f"{build:.1f}",
        "memory GiB": f"{memory / 2**30:.2f}",
        "single/s": _fmt(*single[:3]),
        "batch(256)/s": _fmt(*batch[:3]),
        "recall@31": f"{rec:.4f}",
        "non-member hits": str(strays),
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
        rows = [bench_modops(bank, queries, expected, warm, args.rounds)]
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
