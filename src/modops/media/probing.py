"""The built part of a PDQ index: chunk tables, immutable but for a "removed" mask, and their search.

How the chunk tables find every hash within the threshold is explained (and proved) in
:mod:`modops.media.index`, which adds entries to a tail and rebuilds these tables aside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from .chunking import I64, U64, ChunkScheme, _chunk_keys, _Probes

_SLICE_CANDIDATES = 65536
# Candidates beyond this many are checked with numpy rather than one by one in Python.
_FEW_CANDIDATES = 16
_ARANGE = np.arange(1 << 16, dtype=np.int64)
_ARANGE.flags.writeable = False


def hamming(words_a: U64, words_b: U64) -> npt.NDArray[np.int64]:
    """Row-wise Hamming distance of two broadcastable (..., 4) word arrays."""
    counts = np.bitwise_count(np.bitwise_xor(words_a, words_b))
    return np.asarray(counts.sum(axis=-1, dtype=np.int64), dtype=np.int64)


_ALL_BITS_DIFFER = np.uint32(0x40404040)
_BYTE_SUM = np.uint32(0x01010101)


def _distances(candidates: U64, queries: U64) -> npt.NDArray[np.uint32]:
    """Hamming distances of (k, 4) candidates to broadcastable queries.

    The four per-word popcounts (uint8 each) are summed in one multiply: viewed as a
    little-endian uint32, multiplying by 0x01010101 puts their sum in the top byte.
    No partial sum can carry (each is at most 192), and the one sum that wraps, 256,
    happens only when all four counts are 64, which is checked separately.
    """
    counts = np.bitwise_count(candidates ^ queries)
    packed = np.ascontiguousarray(counts).view(np.uint32).ravel()
    distances = (packed * _BYTE_SUM) >> np.uint32(24)
    distances[packed == _ALL_BITS_DIFFER] = 256
    return distances


def _narrow_offsets(offsets: npt.NDArray[np.int64], total: int) -> npt.NDArray[np.uint32] | npt.NDArray[np.int64]:
    # uint32 halves the bucket tables, which every probe reads at random.
    return offsets.astype(np.uint32) if total < 2**32 else offsets


@dataclass(slots=True)
class _Built:
    """The immutable bulk of an index (apart from ``dead``).

    For each chunk ``c`` the entries are stored sorted by their chunk value, each with
    the *other* 128-bit half of its hash inline. A probe then reads one contiguous
    run, and the inline half bounds the distance from below (bits outside a chunk are
    a subset of all bits), so nearly every non-match is dropped before the full hash
    is fetched: two random 128-bit halves are within 31 bits with odds below 1e-8.

    ``offsets`` holds every chunk's bucket table end to end, widest first (see
    :attr:`ChunkScheme.table_order`), and the entries in the same order: bucket ``k``
    of the table at ``base`` runs from ``offsets[base + k]`` to ``offsets[base + k + 1]``,
    the last bucket's end being the next table's first start (or the final sentinel).
    """

    threshold: int
    scheme: ChunkScheme
    probes: _Probes
    words: U64
    ids: I64
    dead: npt.NDArray[np.bool_]
    offsets: npt.NDArray[np.uint32] | npt.NDArray[np.int64]
    postings: npt.NDArray[np.uint32]
    inline: U64
    id_order: npt.NDArray[np.intp]

    @classmethod
    def build(cls, words: U64, ids: I64, threshold: int, scheme: ChunkScheme | None = None) -> _Built:
        size = len(ids)
        if scheme is None:
            scheme = ChunkScheme.choose(size, threshold)
        keys = _chunk_keys(words, scheme.widths)
        first_half = scheme.first_half
        offsets_parts: list[npt.NDArray[np.int64]] = []
        postings = np.empty(len(scheme.widths) * size, dtype=np.uint32)
        inline = np.empty((len(scheme.widths) * size, 2), dtype=np.uint64)
        for group, c in enumerate(scheme.table_order):
            width = scheme.widths[c]
            column = keys[:, c]
            counts = np.bincount(column, minlength=2**width)
            starts = np.zeros(2**width, dtype=np.int64)
            np.cumsum(counts[:-1], out=starts[1:])
            offsets_parts.append(starts + group * size)
            order = np.argsort(column, kind="stable")
            postings[group * size : (group + 1) * size] = order
            other = slice(2, 4) if c < first_half else slice(0, 2)
            inline[group * size : (group + 1) * size] = words[order, other]
        offsets_parts.append(np.array([len(postings)], dtype=np.int64))
        return cls(
            threshold=threshold,
            scheme=scheme,
            probes=_Probes.for_scheme(scheme),
            words=words,
            ids=ids,
            dead=np.zeros(size, dtype=np.bool_),
            offsets=_narrow_offsets(cast(npt.NDArray[np.int64], np.concatenate(offsets_parts)), len(postings)),
            postings=postings,
            inline=inline,
            id_order=np.argsort(ids, kind="stable"),
        )

    def positions_of(self, entry_id: int) -> npt.NDArray[np.intp]:
        sorted_ids = self.ids[self.id_order]
        lo = int(np.searchsorted(sorted_ids, entry_id, side="left"))
        hi = int(np.searchsorted(sorted_ids, entry_id, side="right"))
        return self.id_order[lo:hi]

    def _near_one(self, words: list[int], query: U64, threshold: int) -> npt.NDArray[np.uint32]:
        """Positions (with repeats) of the candidates whose inline half is within ``threshold``.

        The batch path spelled out for one query. At 10M hashes about 60% of a lookup
        is waiting for memory (~2,200 random reads of bucket bounds, then as many short
        runs of inline halves); the rest is a few passes over ~5,000 candidates and the
        fixed cost of each numpy call. So the calls are few, and none branches on the
        data once per run: ``np.repeat`` over the runs would mispredict at nearly every
        run, so each candidate's run is found as the count of run ends at or before it.
        The query halves are applied to the two contiguous groups of candidates (top-half
        chunks first) as one contiguous array: XOR with a broadcast (2,) row is several
        times slower than with a full array.
        """
        probes = self.probes
        slots = probes.slots_of(words)
        starts = np.take(self.offsets, slots)
        stops = np.take(self.offsets[1:], slots)
        lengths = np.subtract(stops, starts, dtype=np.int64)
        ends = np.cumsum(lengths)
        total = int(ends[-1])
        if total == 0:
            return np.empty(0, dtype=np.uint32)
        run = np.cumsum(np.bincount(ends, minlength=total + 1)[:total])
        flat = np.take(stops - ends, run)
        flat += _ARANGE[:total] if total <= len(_ARANGE) else np.arange(total, dtype=np.int64)
        partial = np.take(self.inline, flat, axis=0)
        split = int(ends[probes.split - 1]) if probes.split else 0
        partial ^= np.repeat(query.reshape(2, 2)[::-1], (split, total - split), axis=0)
        counts = np.bitwise_count(partial)
        near = np.flatnonzero(np.add(counts[:, 0], counts[:, 1]) <= threshold)
        return np.take(self.postings, np.take(flat, near))

    def search_one(self, query: U64, threshold: int) -> tuple[I64, I64]:
        """(position, distance) of every live entry within ``threshold`` of one query."""
        return self._check(self._near_one(query[0].tolist(), query, threshold), query, threshold)

    def _check(self, near: npt.NDArray[np.uint32], query: U64, threshold: int) -> tuple[I64, I64]:
        if len(near) == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        positions = np.unique(near).astype(np.int64)
        distances = _distances(np.take(self.words, positions, axis=0), query).astype(np.int64)
        keep = (distances <= threshold) & ~self.dead[positions]
        return positions[keep], distances[keep]

    def match_one(self, query: U64, threshold: int) -> list[tuple[int, int]]:
        """(entry id, distance) of every live entry within ``threshold`` of one query, unsorted.

        The same as :meth:`search_one`, with the few candidates left checked in plain
        Python, which beats a dozen numpy calls on one- or two-element arrays.
        """
        words: list[int] = query[0].tolist()
        near = self._near_one(words, query, threshold)
        if len(near) > _FEW_CANDIDATES:
            positions, distances = self._check(near, query, threshold)
            return list(zip(self.ids[positions].tolist(), distances.tolist(), strict=True))
        q0, q1, q2, q3 = words
        hits: list[tuple[int, int]] = []
        for position in set(near.tolist()):
            w0, w1, w2, w3 = self.words[position].tolist()
            distance = (w0 ^ q0).bit_count() + (w1 ^ q1).bit_count() + (w2 ^ q2).bit_count() + (w3 ^ q3).bit_count()
            if distance <= threshold and not self.dead[position]:
                hits.append((int(self.ids[position]), distance))
        return hits

    def search(self, queries: U64, threshold: int) -> tuple[I64, I64, I64]:
        """(query row, position, distance) of every live entry within ``threshold``."""
        empty = np.empty(0, dtype=np.int64)
        if len(self.ids) == 0 or len(queries) == 0:
            return empty, empty, empty
        if len(queries) == 1:
            positions, distances = self.search_one(queries, threshold)
            return np.zeros(len(positions), dtype=np.int64), positions, distances
        # The candidate arrays of a batch should stay in cache: ~64k candidates a slice
        # (about 16 queries at 1M hashes) runs twice as fast as 256 queries at once.
        per_query = self.scheme.expected_candidates(len(self.ids))
        rows_per_slice = max(1, min(256, int(_SLICE_CANDIDATES / max(per_query, 1.0))))
        if len(queries) > rows_per_slice:
            parts = [
                self._search_rows(queries[i : i + rows_per_slice], threshold)
                for i in range(0, len(queries), rows_per_slice)
            ]
            rows = np.concatenate([part[0] + i * rows_per_slice for i, part in enumerate(parts)])
            return rows, np.concatenate([part[1] for part in parts]), np.concatenate([part[2] for part in parts])
        return self._search_rows(queries, threshold)

    def _search_rows(self, queries: U64, threshold: int) -> tuple[I64, I64, I64]:
        empty = np.empty(0, dtype=np.int64)
        probes = self.probes
        keys = _chunk_keys(queries, self.scheme.widths)
        slots = (keys[:, probes.chunk] ^ probes.slot_mask).ravel()
        starts = np.take(self.offsets, slots)
        stops = np.take(self.offsets[1:], slots)
        lengths = np.subtract(stops, starts, dtype=np.int64)
        ends = np.cumsum(lengths)
        total = int(ends[-1])
        if total == 0:
            return empty, empty, empty
        # The run (query row x probe) of every candidate, as in _near_one.
        run = np.cumsum(np.bincount(ends, minlength=total + 1)[:total])
        flat = np.take(stops - ends, run)
        flat += _ARANGE[:total] if total <= len(_ARANGE) else np.arange(total, dtype=np.int64)
        # Row of the (2B, 2) table of query halves each candidate is filtered against.
        halves = queries.reshape(-1, 2)
        select = np.arange(len(queries), dtype=np.int64)[:, None] * 2 + probes.other_half
        select = np.take(select.ravel(), run)
        # np.take on axis 0 is several times faster than fancy indexing of 2-D arrays.
        partial = np.take(self.inline, flat, axis=0)
        partial ^= np.take(halves, select, axis=0)
        counts = np.bitwise_count(partial)
        near = np.flatnonzero(np.add(counts[:, 0], counts[:, 1]) <= threshold)
        positions = np.take(self.postings, np.take(flat, near)).astype(np.int64)
        rows = np.take(select, near) // 2
        distances = _distances(np.take(self.words, positions, axis=0), np.take(queries, rows, axis=0)).astype(np.int64)
        keep = distances <= threshold
        rows, positions, distances = rows[keep], positions[keep], distances[keep]
        live = ~self.dead[positions]
        rows, positions, distances = rows[live], positions[live], distances[live]
        # A hash close in several chunks is found once per chunk: keep one.
        pair = rows * len(self.ids) + positions
        _, first = np.unique(pair, return_index=True)
        return rows[first], positions[first], distances[first]
