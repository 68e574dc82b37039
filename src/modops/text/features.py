"""Hashed character and word n-gram features for a whole batch at once, in numpy.

A batch of texts becomes one array of code points; every n-gram of every text is
hashed with vectorised polynomial hashing, so the cost per message is a few numpy
operations shared by the batch rather than a Python loop per n-gram (the usual
cost of scikit-learn's analyzers).

Features, each hashed into ``2**bits`` buckets:
- character n-grams (3 to 5) of `` text ``, spaces included, so word edges count;
- word unigrams and bigrams, a word being a run of letters or digits.

Each group is scaled by ``1/sqrt(count)`` of its own n-grams, a length
normalisation the model is trained with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["HashedBatch", "LinearScorer", "hash_batch"]

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]

_P = np.uint64(0x100000001B3)
_P_INVERSE = np.uint64(pow(0x100000001B3, -1, 1 << 64))
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SEP = 0  # code point separating texts in the batch array; normalised text has none
CHAR_SIZES = (3, 4, 5)


@dataclass(frozen=True, slots=True)
class HashedBatch:
    """Sparse rows as parallel arrays: ``doc[i]`` has feature ``index[i]`` with ``value[i]``."""

    size: int
    doc: I64
    index: I64
    value: F32

    def dot(self, weights: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """Per-text sum of ``weights[index] * value``."""
        result: npt.NDArray[np.float64] = np.bincount(
            self.doc, weights=weights[self.index] * self.value, minlength=self.size
        ).astype(np.float64)
        return result


def _bucket(hashes: U64, salt: int, bits: int) -> I64:
    with np.errstate(over="ignore"):
        mixed = (hashes ^ np.uint64(salt)) * _MIX
    # Under 2**bits, so reading the bits as int64 gives the same numbers.
    return (mixed >> np.uint64(64 - bits)).view(np.int64)


def _scale(doc: I64, size: int) -> F32:
    counts = np.bincount(doc, minlength=size).astype(np.float32)
    scale = np.zeros(size, dtype=np.float32)
    nonzero = counts > 0
    scale[nonzero] = 1.0 / np.sqrt(counts[nonzero])
    return scale[doc]


def hash_batch(texts: Sequence[str], bits: int = 18) -> HashedBatch:
    """Hashed n-gram features of ``texts`` (already normalised)."""
    size = len(texts)
    if size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return HashedBatch(0, empty, empty, np.zeros(0, dtype=np.float32))
    joined = "\x00 " + " \x00 ".join(texts) + " \x00"
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    length = codes.shape[0]
    is_sep = codes == _SEP
    doc_of = np.cumsum(is_sep) - 1  # index of the text each position belongs to
    sep_count = np.concatenate(([0], np.cumsum(is_sep)))

    docs: list[I64] = []
    indices: list[I64] = []
    values: list[F32] = []

    # Character n-grams: rolling polynomial hashes, windows touching a separator dropped.
    rolling = codes.copy()
    char_docs: list[I64] = []
    char_index: list[I64] = []
    with np.errstate(over="ignore"):
        for n in range(2, max(CHAR_SIZES) + 1):
            rolling = rolling[:-1] * _P + codes[n - 1 :]
            if n not in CHAR_SIZES:
                continue
            starts = np.arange(length - n + 1)
            valid = sep_count[starts + n] == sep_count[starts]
            char_docs.append(doc_of[starts[valid]])
            char_index.append(_bucket(rolling[valid], n, bits))
    char_doc = np.concatenate(char_docs)
    docs.append(char_doc)
    indices.append(np.concatenate(char_index))
    values.append(_scale(char_doc, size))

    # Words: letters, digits and anything beyond ASCII; hashed from prefix sums.
    is_word = ((codes >= 97) & (codes <= 122)) | ((codes >= 48) & (codes <= 57)) | (codes > 127)
    edges = np.diff(is_word.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    if starts.size:
        with np.errstate(over="ignore"):
            powers = np.cumprod(np.full(length, _P, dtype=np.uint64))
            prefix = np.concatenate((np.zeros(1, dtype=np.uint64), np.cumsum(codes * powers)))
            # prefix[i] sums c_j * P^(j+1) for j < i; multiplying a word's difference by
            # P^-(start+1) makes its hash independent of where it stands (P is odd, so
            # it has an inverse modulo 2^64).
            inverse = np.cumprod(np.full(length, _P_INVERSE, dtype=np.uint64))
            word_hash = (prefix[ends] - prefix[starts]) * inverse[starts]
            word_doc = doc_of[starts]
            docs.append(word_doc)
            indices.append(_bucket(word_hash, 11, bits))
            same = word_doc[1:] == word_doc[:-1]
            pair_hash = word_hash[:-1][same] * _P + word_hash[1:][same]
            pair_doc = word_doc[1:][same]
            doc_words = np.concatenate((word_doc, pair_doc))
        docs.append(pair_doc)
        indices.append(_bucket(pair_hash, 12, bits))
        word_scale = _scale(doc_words, size)
        values.append(word_scale)
    return HashedBatch(size, np.concatenate(docs), np.concatenate(indices), np.concatenate(values))


# Word characters: ASCII letters and digits, and anything beyond ASCII (index 128).
_WORD_ASCII = np.zeros(129, dtype=bool)
_WORD_ASCII[[*range(48, 58), *range(97, 123), 128]] = True


class _Powers:
    """Powers of ``_P`` and of its inverse, grown on demand and kept between batches."""

    def __init__(self) -> None:
        self.forward: U64 = np.zeros(0, dtype=np.uint64)
        self.inverse: U64 = np.zeros(0, dtype=np.uint64)

    def get(self, length: int) -> tuple[U64, U64]:
        if self.forward.shape[0] < length:
            size = max(length, 2 * self.forward.shape[0], 4096)
            with np.errstate(over="ignore"):
                self.forward = np.cumprod(np.full(size, _P, dtype=np.uint64), dtype=np.uint64)
                self.inverse = np.cumprod(np.full(size, _P_INVERSE, dtype=np.uint64), dtype=np.uint64)
        return self.forward[:length], self.inverse[:length]


class LinearScorer:
    """``weights . features + intercept`` of :func:`hash_batch`'s features, without building them.

    The sparse rows are never materialised: each n-gram size's weights are gathered
    and summed per text straight away (windows that cross a text's edge point at a
    zero weight), and the per-text n-gram counts used for scaling follow from the
    text lengths. Equal to ``hash_batch(texts).dot(weights) + intercept`` up to
    floating-point summation order.
    """

    def __init__(self, weights: npt.NDArray[np.float32], intercept: float) -> None:
        self.bits = int(weights.shape[0]).bit_length() - 1
        if weights.shape[0] != 1 << self.bits:
            raise ValueError("weights must have a power-of-two length")
        # One extra zero weight, the bucket of windows that cross a text edge.
        self._weights = np.concatenate((weights.astype(np.float32), np.zeros(1, dtype=np.float32)))
        # The same weights widened (exactly) to float64, the precision sums are taken in.
        self._wide = self._weights.astype(np.float64)
        self._zero = 1 << self.bits
        self.intercept = float(intercept)
        self._powers = _Powers()

    def logits(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        size = len(texts)
        if size == 0:
            return np.zeros(0, dtype=np.float64)
        bits, weights = self.bits, self._wide
        shift = np.uint64(64 - bits)
        joined = "\x00 " + " \x00 ".join(texts) + " \x00"
        narrow = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        codes = narrow.astype(np.uint64)
        length = codes.shape[0]
        seps = np.flatnonzero(narrow == _SEP)
        inner = np.diff(seps) - 1  # characters between two separators
        doc_starts, doc_ends = seps[:-1], seps[1:]

        char_sum = np.zeros(size, dtype=np.float64)
        char_count = np.zeros(size, dtype=np.float64)
        rolling = codes.copy()
        total = np.empty(length + 1, dtype=np.float64)
        total[0] = 0.0
        with np.errstate(over="ignore"):
            for n in range(2, max(CHAR_SIZES) + 1):
                # In place: rolling[i] becomes the hash of the n characters from i.
                rolling = rolling[:-1]
                rolling *= _P
                rolling += codes[n - 1 :]
                if n not in CHAR_SIZES:
                    continue
                hashed = rolling ^ np.uint64(n)
                hashed *= _MIX
                hashed >>= shift
                index = hashed.view(np.int64)  # under 2**bits, so the same numbers
                # Windows starting at a separator or fewer than n before one cross an edge.
                crossing = (seps[:, None] - np.arange(n)).ravel()
                crossing = crossing[(crossing >= 0) & (crossing < index.shape[0])]
                index[crossing] = self._zero
                limit = index.shape[0]
                np.cumsum(np.take(weights, index), out=total[1 : limit + 1])
                char_sum += total[np.minimum(doc_ends, limit)] - total[np.minimum(doc_starts, limit)]
                char_count += np.maximum(inner - n + 1, 0)
        logits = np.full(size, self.intercept, dtype=np.float64)
        has_chars = char_count > 0
        logits[has_chars] += char_sum[has_chars] / np.sqrt(char_count[has_chars])

        is_word = _WORD_ASCII[np.minimum(narrow, 128)]
        edges = np.diff(is_word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts = np.flatnonzero(edges == 1)
        if starts.size == 0:
            return logits
        ends = np.flatnonzero(edges == -1)
        forward, inverse = self._powers.get(length)
        with np.errstate(over="ignore"):
            prefix = np.empty(length + 1, dtype=np.uint64)
            prefix[0] = 0
            np.multiply(codes, forward, out=codes)  # the codes themselves are not needed any more
            np.cumsum(codes, out=prefix[1:])
            word_hash = (prefix[ends] - prefix[starts]) * inverse[starts]
            word_doc = np.searchsorted(seps, starts) - 1
            same = word_doc[1:] == word_doc[:-1]
            pair_hash = word_hash[:-1][same] * _P + word_hash[1:][same]
        pair_doc = word_doc[1:][same]
        word_sum = np.bincount(word_doc, weights=np.take(weights, _bucket(word_hash, 11, bits)), minlength=size)
        word_sum += np.bincount(pair_doc, weights=np.take(weights, _bucket(pair_hash, 12, bits)), minlength=size)
        word_count = np.bincount(word_doc, minlength=size) + np.bincount(pair_doc, minlength=size)
        has_words = word_count > 0
        logits[has_words] += word_sum[has_words] / np.sqrt(word_count[has_words])
        return logits
