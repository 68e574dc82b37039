from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modops.media.index import ChunkScheme, ExactIndex, PdqIndex, format_pdq, hamming, parse_pdq


def _random_words(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)


def _flip(words: np.ndarray, rng: np.random.Generator, count: int) -> np.ndarray:
    bits = np.unpackbits(words.astype(">u8").view(np.uint8))
    bits[rng.choice(256, count, replace=False)] ^= 1
    return np.packbits(bits).view(">u8").astype(np.uint64).reshape(1, 4)


def _brute(words: np.ndarray, query: np.ndarray, threshold: int) -> list[tuple[int, int]]:
    distances = hamming(words, query)
    hits = np.flatnonzero(distances <= threshold)
    return sorted((int(i), int(distances[i])) for i in hits)


@pytest.mark.parametrize("chunks", [12, 16, 32])
@pytest.mark.parametrize("threshold", [15, 31, 40])
def test_every_hash_within_the_threshold_is_found(chunks: int, threshold: int) -> None:
    rng = np.random.default_rng(chunks * 100 + threshold)
    words = _random_words(rng, 3000)
    scheme = ChunkScheme.for_chunks(chunks, threshold)
    index = PdqIndex.from_words(words, np.arange(3000), threshold, scheme)
    for trial in range(60):
        member = int(rng.integers(0, 3000))
        flips = int(rng.integers(max(0, threshold - 6), threshold + 4))
        query = _flip(words[member], rng, flips)
        got = sorted(index.query_words(query)[0])
        assert got == _brute(words, query, threshold), (trial, flips)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), flips=st.integers(0, 31))
def test_a_member_altered_by_up_to_31_bits_is_always_found(seed: int, flips: int) -> None:
    rng = np.random.default_rng(seed)
    words = _random_words(rng, 500)
    index = PdqIndex.from_words(words, np.arange(1000, 1500))
    query = _flip(words[7], rng, flips)
    assert (1007, flips) in index.query_words(query)[0]


_INDEXES: dict[tuple[int, int], tuple[np.ndarray, PdqIndex]] = {}


def _index_for(chunks: int, threshold: int) -> tuple[np.ndarray, PdqIndex]:
    if (chunks, threshold) not in _INDEXES:
        words = _random_words(np.random.default_rng(chunks * 1000 + threshold), 400)
        scheme = ChunkScheme.for_chunks(chunks, threshold)
        _INDEXES[chunks, threshold] = (words, PdqIndex.from_words(words, np.arange(400), threshold, scheme))
    return _INDEXES[chunks, threshold]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    chunks=st.sampled_from([14, 16, 20, 24, 32]),
    threshold=st.sampled_from([8, 23, 31, 40]),
    offset=st.integers(-3, 1),
)
def test_near_the_threshold_lookups_equal_an_exhaustive_scan(
    seed: int, chunks: int, threshold: int, offset: int
) -> None:
    """Mixed radii (some chunks probed one bit further than others) lose nothing at t, find nothing at t + 1."""
    words, index = _index_for(chunks, threshold)
    assert index.scheme.covers(threshold)
    rng = np.random.default_rng(seed)
    member = int(rng.integers(0, len(words)))
    query = _flip(words[member], rng, max(0, threshold + offset))
    single = index.query_words(query)[0]
    assert single == _brute(words, query, threshold)
    assert (member in dict(single)) == (offset <= 0)
    assert index.query_words(np.vstack([query, query]))[0] == single  # the batch path agrees


def test_batch_lookup_equals_single_lookups() -> None:
    rng = np.random.default_rng(5)
    words = _random_words(rng, 2000)
    index = PdqIndex.from_words(words, np.arange(2000))
    queries = np.vstack([_flip(words[i], rng, 20) for i in range(0, 2000, 40)] + [_random_words(rng, 10)])
    batch = index.query_words(queries)
    assert batch == [index.query_words(queries[i : i + 1])[0] for i in range(len(queries))]
    assert all(batch[i] for i in range(50)) and not any(batch[50:])


def test_many_copies_of_a_hash_are_all_found_and_removals_respected() -> None:
    """More candidates than the single lookup checks one by one: the numpy check takes over."""
    rng = np.random.default_rng(11)
    words = _random_words(rng, 3000)
    words[100:160] = words[7]
    index = PdqIndex.from_words(words, np.arange(3000))
    query = _flip(words[7], rng, 3)
    expected = _brute(words, query, 31)
    assert len(expected) == 61
    assert sorted(index.query_words(query)[0]) == expected
    for entry_id in range(100, 130):
        index.remove(entry_id)
    left = [(i, d) for i, d in expected if not 100 <= i < 130]
    assert sorted(index.query_words(query)[0]) == left
    assert [sorted(hits) for hits in index.query_words(np.vstack([query, query]))] == [left, left]


@pytest.mark.parametrize("scheme", [ChunkScheme.choose(n, 31) for n in (0, 1000, 100_000, 10_000_000)])
def test_bucket_tables_tile_without_gaps_each_aligned_to_its_size(scheme: ChunkScheme) -> None:
    """A probe's slot is ``key ^ (mask | base)``, which needs every base to be a multiple of 2**width."""
    spans = sorted((base, base + 2**width) for base, width in zip(scheme.table_bases, scheme.widths, strict=True))
    assert spans[0][0] == 0
    assert all(end == next_start for (_, end), (next_start, _) in itertools.pairwise(spans))
    assert all(base % 2**width == 0 for base, width in zip(scheme.table_bases, scheme.widths, strict=True))


def test_hex_round_trip_and_string_api() -> None:
    rng = np.random.default_rng(9)
    words = _random_words(rng, 10)
    hexes = format_pdq(words)
    assert np.array_equal(parse_pdq(hexes), words)
    index = PdqIndex.from_hashes(hexes, range(10))
    assert index.query(hexes[3])[0] == (3, 0)
    assert index.query_many(hexes[:2]) == [[(0, 0)], [(1, 0)]]


@pytest.mark.parametrize("bad", ["abc", "g" * 64, "0" * 63])
def test_malformed_hashes_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="PDQ hash #0"):
        parse_pdq([bad])


def test_add_remove_and_rebuild_keep_results_exact() -> None:
    rng = np.random.default_rng(2)
    words = _random_words(rng, 1000)
    index = PdqIndex.from_words(words[:600], np.arange(600))
    index.add_words(words[600:], np.arange(600, 1000))
    assert index.pending == 400 and len(index) == 1000
    assert index.query_words(words[700:701])[0] == [(700, 0)]
    assert index.remove(5) and index.remove(700)
    assert not index.remove(5)
    assert index.query_words(words[5:6])[0] == []
    assert index.query_words(words[700:701])[0] == []
    with pytest.raises(ValueError, match="already"):
        index.add_words(words[:1], [6])
    index.rebuild()
    assert index.pending == 0 and len(index) == 998
    assert 5 not in index and 6 in index
    assert index.query_words(words[701:702])[0] == [(701, 0)]
    index.add_words(words[5:6], [5])  # a removed id may come back
    assert index.query_words(words[5:6])[0] == [(5, 0)]


def test_lookups_continue_during_a_rebuild_and_changes_carry_over() -> None:
    rng = np.random.default_rng(3)
    words = _random_words(rng, 20_000)
    index = PdqIndex.from_words(words[:10_000], np.arange(10_000))
    index.add_words(words[10_000:15_000], np.arange(10_000, 15_000))
    stop = threading.Event()
    failures: list[int] = []

    def reader() -> None:
        while not stop.is_set():
            for probe in (3, 12_345):
                if index.query_words(words[probe : probe + 1])[0] != [(probe, 0)]:
                    failures.append(probe)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        rebuild = index.rebuild_in_background()
        index.add_words(words[15_000:], np.arange(15_000, 20_000))
        index.remove(9)
        rebuild.join()
    finally:
        stop.set()
        thread.join()
    assert failures == []
    assert len(index) == 19_999
    assert index.query_words(words[19_999:20_000])[0] == [(19_999, 0)]
    assert index.query_words(words[9:10])[0] == []


def test_scheme_choice_scales_with_bank_size() -> None:
    small = ChunkScheme.choose(100_000, 31)
    large = ChunkScheme.choose(10_000_000, 31)
    for scheme in (small, large):
        assert sum(scheme.widths) == 256
        assert scheme.covers(31)  # the pigeonhole condition: sum of (radius + 1) > 31
        assert sum(r + 1 for r in scheme.radii) > 31
    assert max(large.widths) > max(small.widths)


def test_exact_index() -> None:
    index = ExactIndex()
    index.add("ABCDEF" * 5 + "ab", 1)
    index.add("abcdef" * 5 + "ab", 2)
    assert index.query(" abcdef" * 1 + "abcdef" * 4 + "ab") == [(1, 0), (2, 0)]
    assert index.remove(1) and not index.remove(1)
    assert index.query("abcdef" * 5 + "ab") == [(2, 0)]
    assert index.query("0" * 32) == []
