"""How a PDQ index splits the 256 bits into chunks, and how each chunk is probed.

The proof that a split finds every hash within the threshold is in :mod:`modops.media.index`:
chunk ``c`` probed up to radius ``r_c`` misses nothing when ``sum_c (r_c + 1) > t``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from math import comb
from typing import cast

import numpy as np
import numpy.typing as npt

PDQ_BITS = 256
_MAX_CHUNK_BITS = 26
_CANDIDATE_COST = 0.25

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


def _probe_count(width: int, radius: int) -> int:
    return sum(comb(width, k) for k in range(min(radius, width) + 1))


def _minimal_radii(chunks: int, threshold: int) -> list[int]:
    """Smallest radii, highest first, with ``sum(r + 1) > threshold`` (the pigeonhole bound)."""
    base, extra = divmod(max(0, threshold + 1 - chunks), chunks)
    return [base + 1] * extra + [base] * (chunks - extra)


def _split_evenly(bits: int, count: int) -> list[int]:
    base, extra = divmod(bits, count)
    return [base + 1] * extra + [base] * (count - extra)


@dataclass(frozen=True, slots=True)
class ChunkScheme:
    """A split of the 256 bits into chunks, chunk ``c`` probed up to ``radii[c]`` flipped bits.

    Chunks never straddle the two 128-bit halves (the first ``first_half`` chunks cover
    the top half), so each candidate can be filtered on the half its chunk is not in.
    """

    widths: tuple[int, ...]
    radii: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.widths) != len(self.radii) or not self.widths:
            raise ValueError("one radius per chunk is needed")
        if sum(self.widths) != PDQ_BITS or min(self.widths) < 1 or min(self.radii) < 0:
            raise ValueError(f"chunk widths must be positive and sum to {PDQ_BITS}")
        if PDQ_BITS // 2 not in itertools.accumulate(self.widths):
            raise ValueError("no chunk may straddle the two 128-bit halves")

    @property
    def first_half(self) -> int:
        """How many chunks lie in the top 128 bits."""
        return list(itertools.accumulate(self.widths)).index(PDQ_BITS // 2) + 1

    def covers(self, threshold: int) -> bool:
        """Whether every hash within ``threshold`` is sure to be found (sum of r+1 > t)."""
        return sum(r + 1 for r in self.radii) > threshold

    @classmethod
    def for_chunks(cls, chunks: int, threshold: int) -> ChunkScheme:
        """``chunks`` (even) chunks of near-equal width, half in each 128-bit half."""
        if chunks % 2:
            raise ValueError("chunk count must be even")
        half = _split_evenly(PDQ_BITS // 2, chunks // 2)
        radii = _minimal_radii(chunks, threshold)
        # Wider chunks take the larger radii; alternate them between the halves.
        return cls(tuple(half + half), tuple(radii[0::2] + radii[1::2]))

    @property
    def probes(self) -> int:
        return sum(_probe_count(w, r) for w, r in zip(self.widths, self.radii, strict=True))

    def expected_candidates(self, size: int) -> float:
        return float(sum(_probe_count(w, r) * size / 2**w for w, r in zip(self.widths, self.radii, strict=True)))

    @property
    def table_bytes(self) -> int:
        return sum((2**w + 1) * 4 for w in self.widths)

    @property
    def table_order(self) -> tuple[int, ...]:
        """Chunks in the order their bucket tables are laid out: widest first.

        Laid end to end in this order, every table starts at a multiple of its own size,
        so a probe's slot is ``key ^ (mask | base)``: one XOR, no add. Each table's
        closing bound is the first bound of the next one (see ``_Built``).
        """
        return tuple(sorted(range(len(self.widths)), key=lambda c: -self.widths[c]))

    @property
    def table_bases(self) -> tuple[int, ...]:
        """Per chunk, where its bucket table starts in the shared bounds array."""
        bases = [0] * len(self.widths)
        start = 0
        for c in self.table_order:
            bases[c] = start
            start += 2 ** self.widths[c]
        return tuple(bases)

    def cost(self, size: int) -> float:
        # A probe is a random read; candidates of one probe are contiguous and cost a
        # 16-byte streamed read and a popcount each. The weight picks the fastest of the
        # 12-, 14- and 16-chunk splits timed for single lookups at 10M hashes.
        # The table term only breaks ties towards small tables (an empty bank).
        return self.probes + _CANDIDATE_COST * self.expected_candidates(size) + self.table_bytes / 2**22

    @classmethod
    def choose(cls, size: int, threshold: int) -> ChunkScheme:
        """Cheapest split for ``size`` entries whose bucket tables fit the budget (cached)."""
        return _choose_scheme(size, threshold)

    @classmethod
    def _search(cls, size: int, threshold: int) -> ChunkScheme:
        """Cheapest split for ``size`` entries whose bucket tables fit the budget.

        For each chunk count the minimal radii are fixed; within each half, chunks of
        the same radius get near-equal widths, and every division of the half's bits
        between the (at most two) radius groups is tried.
        """
        budget = max(64 * 2**20, 128 * size)
        best: ChunkScheme | None = None
        best_cost = float("inf")
        # Past t + 1 chunks every radius is 0; more chunks are still tried, as small
        # thresholds need narrow chunks to keep the tables within the budget.
        for chunks in range(2, PDQ_BITS // 4 + 1):
            radii = _minimal_radii(chunks, threshold)
            halves = (radii[0::2], radii[1::2])
            parts = [cls._best_half(half, size, budget // 2) for half in halves]
            if any(part is None for part in parts):
                continue
            (widths_a, radii_a), (widths_b, radii_b) = cast(list[tuple[list[int], list[int]]], parts)
            scheme = cls(tuple(widths_a + widths_b), tuple(radii_a + radii_b))
            if scheme.probes > 50_000:
                continue
            cost = scheme.cost(size)
            if cost < best_cost:
                best, best_cost = scheme, cost
        if best is None:
            raise ValueError(f"no chunk scheme fits threshold {threshold}")
        return best

    @staticmethod
    def _best_half(radii: list[int], size: int, budget: int) -> tuple[list[int], list[int]] | None:
        high = [r for r in radii if r == radii[0]]
        low = radii[len(high) :]
        best: tuple[list[int], list[int]] | None = None
        best_cost = float("inf")
        half_bits = PDQ_BITS // 2
        for high_bits in range(len(high), half_bits - len(low) + 1):
            if not low and high_bits != half_bits:
                continue
            widths = _split_evenly(high_bits, len(high)) + (
                _split_evenly(half_bits - high_bits, len(low)) if low else []
            )
            if max(widths) > _MAX_CHUNK_BITS or sum((2**w + 1) * 4 for w in widths) > budget:
                continue
            cost = sum(
                _probe_count(w, r) * (1 + _CANDIDATE_COST * size / 2**w)
                for w, r in zip(widths, high + low, strict=True)
            )
            if cost < best_cost:
                best, best_cost = (widths, high + low), cost
        return best


@functools.lru_cache(maxsize=256)
def _choose_scheme(size: int, threshold: int) -> ChunkScheme:
    # Choosing takes tens of milliseconds; every empty index and rebuild asks.
    return ChunkScheme._search(size, threshold)


def _chunk_keys(words: U64, widths: Sequence[int]) -> I64:
    """Chunk values (n, m) of (n, 4) words; chunks are contiguous from the top bit."""
    out = np.empty((words.shape[0], len(widths)), dtype=np.int64)
    start = 0
    for c, width in enumerate(widths):
        word, offset = divmod(start, 64)
        mask = np.uint64((1 << width) - 1)
        if offset + width <= 64:
            key = (words[:, word] >> np.uint64(64 - offset - width)) & mask
        else:
            spill = offset + width - 64
            high = (words[:, word] << np.uint64(spill)) & mask
            key = high | (words[:, word + 1] >> np.uint64(64 - spill))
        out[:, c] = key.astype(np.int64)
        start += width
    return out


@dataclass(frozen=True, slots=True)
class _Probes:
    """Per probe, in chunk order: its chunk, its bucket slot as ``key ^ slot_mask``, and
    which query half its candidates are filtered on."""

    chunk: npt.NDArray[np.intp]
    slot_mask: I64
    """The bits the probe flips, OR its table's base (bases are multiples of the table size)."""
    other_half: I64
    split: int
    """Probes before this index are in top-half chunks (filtered on the bottom half)."""
    key_shifts: tuple[tuple[int, int], ...]
    """Per chunk, (shift, mask) taking its value out of the 256-bit hash as one integer."""

    @classmethod
    def for_scheme(cls, scheme: ChunkScheme) -> _Probes:
        chunk: list[int] = []
        masks: list[int] = []
        for c, (width, radius) in enumerate(zip(scheme.widths, scheme.radii, strict=True)):
            for k in range(min(radius, width) + 1):
                for bits in itertools.combinations(range(width), k):
                    chunk.append(c)
                    masks.append(sum(1 << b for b in bits))
        chunks = np.array(chunk, dtype=np.intp)
        bases = np.array(scheme.table_bases, dtype=np.int64)[chunks]
        first_half = scheme.first_half
        other = np.where(chunks < first_half, 1, 0).astype(np.int64)
        split = int(np.searchsorted(chunks, first_half))
        shifts: list[tuple[int, int]] = []
        end = PDQ_BITS
        for width in scheme.widths:
            end -= width
            shifts.append((end, (1 << width) - 1))
        return cls(chunks, np.array(masks, dtype=np.int64) | bases, other, split, tuple(shifts))

    def slots_of(self, words: Sequence[int]) -> I64:
        """Bucket slots of every probe for one query given as its four words."""
        w0, w1, w2, w3 = words
        value = (w0 << 192) | (w1 << 128) | (w2 << 64) | w3
        keys = np.array([(value >> shift) & mask for shift, mask in self.key_shifts], dtype=np.int64)
        slots = np.take(keys, self.chunk)
        slots ^= self.slot_mask
        return slots
