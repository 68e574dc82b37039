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

import numpy as np
import numpy.typing as npt

from .chunking import I64, PDQ_BITS, U64, ChunkScheme
from .exact import ExactIndex
from .probing import _Built, hamming

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


def _by_distance_then_id(hit: tuple[int, int]) -> tuple[int, int]:
    return hit[1], hit[0]


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
        if len(queries) == 1:
            return [self._query_one(state, queries)]
        rows, ids, distances = self._search(state, queries)
        results: list[list[tuple[int, int]]] = [[] for _ in range(len(queries))]
        order = np.lexsort((ids, distances, rows))
        for row, entry_id, distance in zip(
            rows[order].tolist(), ids[order].tolist(), distances[order].tolist(), strict=True
        ):
            results[row].append((entry_id, distance))
        return results

    def _query_one(self, state: _State, query: U64) -> list[tuple[int, int]]:
        built = state.built
        hits = built.match_one(query, self.threshold) if len(built.ids) else []
        n = state.tail_length
        if n:
            tail = state.tail
            distances = hamming(tail.words[:n], query)
            found = np.flatnonzero((distances <= self.threshold) & ~tail.dead[:n])
            hits += zip(tail.ids[found].tolist(), distances[found].tolist(), strict=True)
        hits.sort(key=_by_distance_then_id)
        return hits

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
