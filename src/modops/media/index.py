"""Indexes for hash signals: a multi-index-hashing PDQ index and exact-match indexes.

PDQ index: how it finds every hash within the threshold
-------------------------------------------------------
The 256 bits of a PDQ hash are split into ``m`` contiguous chunks of widths
``w_1 .. w_m`` (summing to 256), and each chunk gets a table from chunk value to the
entries holding that value. Chunk ``c`` is probed up to radius ``r_c``, where the
radii satisfy ``sum_c (r_c + 1) > t`` for the match threshold ``t``.

*Claim.* If ``hamming(q, h) <= t`` then for at least one chunk ``c`` the chunk values of
``q`` and ``h`` differ in at most ``r_c`` bits.

*Proof.* Suppose every chunk ``c`` differed in at least ``r_c + 1`` bits. Chunks are
disjoint, so ``hamming(q, h) >= sum_c (r_c + 1) > t``. Contradiction.

So a lookup probes, in every chunk ``c``, the query's chunk value XOR every mask of at
most ``r_c`` bits (``sum_{k<=r_c} C(w_c, k)`` probes); every hash within ``t`` appears
among the candidates, and exact distances on the candidates keep exactly those within
``t``. Recall is therefore 100% at the configured threshold, whatever the split. The
radii need not be equal: for ``t = 31`` and 12 chunks, 8 chunks at radius 2 and 4 at
radius 1 give ``8 * 3 + 4 * 2 = 32 > 31``, a quarter fewer probes than radius 2
everywhere. The split (chunk count, radii, widths of each radius group) is chosen per
build from the bank size by a cost model (probes + weighted candidates, under a memory
budget for the bucket tables): 1M hashes get 16 chunks of 16 bits at radius 1 (272
probes); 10M hashes get 12 chunks of 19-23 bits at radii 1 and 2 (2,204 probes).

Why not threatexchange's ``PDQIndex``: it wraps faiss ``IndexBinaryMultiHash`` (16 maps
of 16 bits), whose own ``range_search`` is slow for single queries, and returns results
through per-hash Python objects; ``PDQIndex2`` is an
exhaustive float L2 scan. ``bench/bench_media.py`` measures both against this index.

Changes while serving: the built part is immutable except for its "removed" mask; new
entries go to a small brute-force tail. :meth:`PdqIndex.rebuild` builds a new index
from the live entries aside and swaps it in under a lock, so lookups never stop and
entries added or removed during the build are carried over.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import numpy.typing as npt

from .chunking import I64, PDQ_BITS, U64, ChunkScheme, _chunk_keys, _Probes
from .exact import ExactIndex

__all__ = [
    "DEFAULT_PDQ_THRESHOLD",
    "PDQ_BITS",
    "ChunkScheme",
    "ExactIndex",
    "PdqIndex",
    "format_pdq",
    "hamming",
    "parse_pdq",
]

DEFAULT_PDQ_THRESHOLD = 31
_SLICE_CANDIDATES = 65536


def parse_pdq(hashes: Iterable[str]) -> U64:
    """Parse 64-hex-digit PDQ strings into an (n, 4) big-endian-word uint64 array."""
    chunks: list[bytes] = []
    for number, text in enumerate(hashes):
        if len(text) != 64:
            raise ValueError(f"PDQ hash #{number} is {len(text)} characters, expected 64")
        try:
            chunks.append(bytes.fromhex(text))
        except ValueError:
            raise ValueError(f"PDQ hash #{number} is not hexadecimal: {text!r}") from None
    raw = np.frombuffer(b"".join(chunks), dtype=">u8").reshape(-1, 4)
    return raw.astype(np.uint64)


def format_pdq(words: U64) -> list[str]:
    """Inverse of :func:`parse_pdq`."""
    return [row.astype(">u8").tobytes().hex() for row in np.atleast_2d(words)]


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


def _half_distances(candidates: U64, queries: U64) -> npt.NDArray[np.uint16]:
    """Hamming distances over 128 bits (two words); the byte sum cannot wrap."""
    counts = np.bitwise_count(candidates ^ queries)
    packed = np.ascontiguousarray(counts).view(np.uint16).ravel()
    return (packed * np.uint16(0x0101)) >> np.uint16(8)


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
        for c, width in enumerate(scheme.widths):
            column = keys[:, c]
            counts = np.bincount(column, minlength=2**width)
            starts = np.zeros(2**width + 1, dtype=np.int64)
            np.cumsum(counts, out=starts[1:])
            offsets_parts.append(starts + c * size)
            order = np.argsort(column, kind="stable")
            postings[c * size : (c + 1) * size] = order
            other = slice(2, 4) if c < first_half else slice(0, 2)
            inline[c * size : (c + 1) * size] = words[order, other]
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

    def search_one(self, query: U64, threshold: int) -> tuple[I64, I64]:
        """(position, distance) of every live entry within ``threshold`` of one query.

        The batch path spelled out for one query with as few numpy calls as possible,
        since at this size the per-call overhead, not the data, is most of the time:
        the two query halves are applied to the two contiguous groups of candidates
        (top-half chunks first) without building a per-candidate index array.
        """
        probes = self.probes
        keys = _chunk_keys(query, self.scheme.widths)[0]
        slots = np.take(keys, probes.chunk)
        slots ^= probes.mask
        slots += probes.base
        starts = np.take(self.offsets, slots).astype(np.int64)
        slots += 1
        stops = np.take(self.offsets, slots).astype(np.int64)
        lengths = stops - starts
        ends = np.cumsum(lengths)
        total = int(ends[-1])
        if total == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        flat = np.repeat(stops - ends, lengths)
        flat += np.arange(total, dtype=np.int64)
        partial = np.take(self.inline, flat, axis=0)
        split = int(ends[probes.split - 1]) if probes.split else 0
        partial[:split] ^= query[0, 2:4]
        partial[split:] ^= query[0, 0:2]
        packed = np.bitwise_count(partial).view(np.uint16).ravel()
        # Low byte + high byte of each uint16, in the high byte (each is at most 64).
        packed *= np.uint16(0x0101)
        near = np.flatnonzero(packed < np.uint16((threshold + 1) << 8))
        if len(near) == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        positions = np.unique(self.postings[flat[near]]).astype(np.int64)
        distances = _distances(np.take(self.words, positions, axis=0), query).astype(np.int64)
        keep = (distances <= threshold) & ~self.dead[positions]
        return positions[keep], distances[keep]

    def search(self, queries: U64, threshold: int) -> tuple[I64, I64, I64]:
        """(query row, position, distance) of every live entry within ``threshold``."""
        empty = np.empty(0, dtype=np.int64)
        if len(self.ids) == 0 or len(queries) == 0:
            return empty, empty, empty
        if len(queries) == 1 and threshold < 255:  # the uint16 filter below needs t + 1 < 256
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
        slots = (keys[:, probes.chunk] ^ probes.mask) + probes.base
        starts = self.offsets[slots].ravel().astype(np.int64)
        lengths = self.offsets[slots + 1].ravel().astype(np.int64) - starts
        total = int(lengths.sum())
        if total == 0:
            return empty, empty, empty
        run_start = np.cumsum(lengths) - lengths
        flat = np.arange(total, dtype=np.int64) + np.repeat(starts - run_start, lengths)
        # Row of the (2B, 2) table of query halves each candidate is filtered against.
        halves = queries.reshape(-1, 2)
        select = np.arange(len(queries), dtype=np.int64)[:, None] * 2 + probes.other_half
        select = np.repeat(select.ravel(), lengths)
        # np.take on axis 0 is several times faster than fancy indexing of 2-D arrays.
        partial = _half_distances(np.take(self.inline, flat, axis=0), np.take(halves, select, axis=0))
        near = np.flatnonzero(partial <= threshold)
        positions = self.postings[flat[near]].astype(np.int64)
        rows = select[near] // 2
        distances = _distances(np.take(self.words, positions, axis=0), np.take(queries, rows, axis=0)).astype(np.int64)
        keep = distances <= threshold
        rows, positions, distances = rows[keep], positions[keep], distances[keep]
        live = ~self.dead[positions]
        rows, positions, distances = rows[live], positions[live], distances[live]
        # A hash close in several chunks is found once per chunk: keep one.
        pair = rows * len(self.ids) + positions
        _, first = np.unique(pair, return_index=True)
        return rows[first], positions[first], distances[first]


@dataclass(slots=True)
class _Tail:
    """Entries added since the last build, searched exhaustively."""

    words: U64 = field(default_factory=lambda: np.empty((0, 4), dtype=np.uint64))
    ids: I64 = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    dead: npt.NDArray[np.bool_] = field(default_factory=lambda: np.empty(0, np.bool_))
    length: int = 0


@dataclass(frozen=True, slots=True)
class _State:
    built: _Built
    tail: _Tail
    tail_length: int


class PdqIndex:
    """PDQ hashes → entry ids, answering "all entries within ``threshold`` bits".

    Entry ids are caller-chosen 64-bit integers, unique in the index. Lookups are safe
    from any thread while another thread adds, removes or rebuilds.
    """

    def __init__(self, threshold: int = DEFAULT_PDQ_THRESHOLD) -> None:
        if not 0 <= threshold < PDQ_BITS:
            raise ValueError(f"threshold must be in [0, {PDQ_BITS}), got {threshold}")
        self.threshold = threshold
        self._lock = threading.Lock()
        self._rebuild_lock = threading.Lock()
        self._removed_during_rebuild: list[int] | None = None
        empty = _Built.build(np.empty((0, 4), np.uint64), np.empty(0, np.int64), threshold)
        self._state = _State(empty, _Tail(), 0)
        self._tail_index: dict[int, int] = {}
        # Every id ever added is <= this; ids above it cannot be present (skips a per-id check).
        self._max_id = -1

    @classmethod
    def from_words(
        cls,
        words: U64,
        ids: Sequence[int] | I64,
        threshold: int = DEFAULT_PDQ_THRESHOLD,
        scheme: ChunkScheme | None = None,
    ) -> PdqIndex:
        """Build from parsed hashes (see :func:`parse_pdq`) in one pass."""
        id_array = np.asarray(ids, dtype=np.int64)
        if words.shape != (len(id_array), 4):
            raise ValueError("words must be (n, 4) with one id per row")
        if len(np.unique(id_array)) != len(id_array):
            raise ValueError("entry ids must be unique")
        index = cls(threshold)
        built = _Built.build(np.ascontiguousarray(words), id_array, threshold, scheme)
        index._state = _State(built, _Tail(), 0)
        index._max_id = int(id_array.max()) if len(id_array) else -1
        return index

    @classmethod
    def from_hashes(
        cls,
        hashes: Sequence[str],
        ids: Sequence[int] | I64,
        threshold: int = DEFAULT_PDQ_THRESHOLD,
    ) -> PdqIndex:
        return cls.from_words(parse_pdq(hashes), ids, threshold)

    def __len__(self) -> int:
        state = self._state
        built, tail = state.built, state.tail
        return int((~built.dead).sum()) + int((~tail.dead[: state.tail_length]).sum())

    @property
    def scheme(self) -> ChunkScheme:
        return self._state.built.scheme

    @property
    def pending(self) -> int:
        """Entries in the exhaustive tail; rebuild when this grows past a few thousand."""
        return self._state.tail_length

    def __contains__(self, entry_id: int) -> bool:
        state = self._state
        positions = state.built.positions_of(entry_id)
        if len(positions) and not state.built.dead[positions].all():
            return True
        tail_pos = self._tail_index.get(entry_id)
        return tail_pos is not None and not state.tail.dead[tail_pos]

    def add(self, pdq: str, entry_id: int) -> None:
        self.add_words(parse_pdq([pdq]), [entry_id])

    def add_many(self, hashes: Sequence[str], ids: Sequence[int]) -> None:
        self.add_words(parse_pdq(hashes), ids)

    def add_words(self, words: U64, ids: Sequence[int] | I64) -> None:
        id_array = np.asarray(ids, dtype=np.int64)
        if words.shape != (len(id_array), 4):
            raise ValueError("words must be (n, 4) with one id per row")
        with self._lock:
            if len(np.unique(id_array)) != len(id_array):
                raise ValueError("entry ids must be unique")
            if len(id_array) == 0:
                return
            if int(id_array.min()) <= self._max_id:
                for entry_id in id_array.tolist():
                    if entry_id in self:
                        raise ValueError(f"entry id {entry_id} is already in the index")
            self._max_id = max(self._max_id, int(id_array.max()))
            state = self._state
            tail, n = state.tail, state.tail_length
            need = n + len(id_array)
            if need > len(tail.ids):
                # Grow into new arrays: readers holding the old state keep valid views.
                capacity = max(1024, 2 * need)
                grown = _Tail(
                    words=np.zeros((capacity, 4), np.uint64),
                    ids=np.zeros(capacity, np.int64),
                    dead=np.zeros(capacity, np.bool_),
                )
                grown.words[:n] = tail.words[:n]
                grown.ids[:n] = tail.ids[:n]
                grown.dead[:n] = tail.dead[:n]
                tail = grown
            tail.words[n:need] = words
            tail.ids[n:need] = id_array
            tail.dead[n:need] = False
            for offset, entry_id in enumerate(id_array.tolist()):
                self._tail_index[entry_id] = n + offset
            self._state = _State(state.built, tail, need)

    def remove(self, entry_id: int) -> bool:
        """Remove an entry; returns whether it was present."""
        with self._lock:
            state = self._state
            found = False
            positions = state.built.positions_of(entry_id)
            if len(positions) and not state.built.dead[positions].all():
                state.built.dead[positions] = True
                found = True
            tail_pos = self._tail_index.get(entry_id)
            if tail_pos is not None and not state.tail.dead[tail_pos]:
                state.tail.dead[tail_pos] = True
                found = True
            if found and self._removed_during_rebuild is not None:
                self._removed_during_rebuild.append(entry_id)
            return found

    def query(self, pdq: str) -> list[tuple[int, int]]:
        """``(entry id, distance)`` of every entry within the threshold, nearest first."""
        return self.query_words(parse_pdq([pdq]))[0]

    def query_many(self, hashes: Sequence[str]) -> list[list[tuple[int, int]]]:
        return self.query_words(parse_pdq(hashes))

    def query_words(self, queries: U64) -> list[list[tuple[int, int]]]:
        state = self._state
        rows, ids, distances = self._search(state, queries)
        results: list[list[tuple[int, int]]] = [[] for _ in range(len(queries))]
        order = np.lexsort((ids, distances, rows))
        for row, entry_id, distance in zip(
            rows[order].tolist(), ids[order].tolist(), distances[order].tolist(), strict=True
        ):
            results[row].append((entry_id, distance))
        return results

    def _search(self, state: _State, queries: U64) -> tuple[I64, I64, I64]:
        built = state.built
        rows, positions, distances = built.search(queries, self.threshold)
        ids = built.ids[positions]
        n = state.tail_length
        if n:
            tail = state.tail
            matrix = hamming(tail.words[None, :n, :], queries[:, None, :])
            t_rows, t_pos = np.nonzero((matrix <= self.threshold) & ~tail.dead[None, :n])
            rows = np.concatenate([rows, t_rows.astype(np.int64)])
            ids = np.concatenate([ids, tail.ids[t_pos]])
            distances = np.concatenate([distances, matrix[t_rows, t_pos]])
        return rows, ids, distances

    def rebuild(self, scheme: ChunkScheme | None = None) -> None:
        """Fold the tail and removals into a fresh build, swapped in atomically."""
        with self._rebuild_lock:
            with self._lock:
                state = self._state
                self._removed_during_rebuild = []
                # Snapshot masks now: removals after this point are replayed below.
                built_live = ~state.built.dead.copy()
                tail_live = ~state.tail.dead[: state.tail_length].copy()
            try:
                words = np.concatenate(
                    [
                        state.built.words[built_live],
                        state.tail.words[: state.tail_length][tail_live],
                    ]
                )
                ids = np.concatenate(
                    [
                        state.built.ids[built_live],
                        state.tail.ids[: state.tail_length][tail_live],
                    ]
                )
                fresh = _Built.build(words, ids, self.threshold, scheme)
                with self._lock:
                    current = self._state
                    start, stop = state.tail_length, current.tail_length
                    tail = _Tail()
                    tail_index: dict[int, int] = {}
                    keep = ~current.tail.dead[start:stop]
                    carried = np.arange(start, stop)[keep]
                    if len(carried):
                        tail = _Tail(
                            words=current.tail.words[carried].copy(),
                            ids=current.tail.ids[carried].copy(),
                            dead=np.zeros(len(carried), np.bool_),
                        )
                        tail_index = {int(e): i for i, e in enumerate(tail.ids.tolist())}
                    for entry_id in self._removed_during_rebuild or []:
                        fresh.dead[fresh.positions_of(entry_id)] = True
                    self._tail_index = tail_index
                    self._state = _State(fresh, tail, len(carried))
            finally:
                self._removed_during_rebuild = None

    def rebuild_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.rebuild, name="pdq-index-rebuild", daemon=True)
        thread.start()
        return thread
