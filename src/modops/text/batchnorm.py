"""Normalisation of a batch of texts at once: one joined string, numpy over its bytes.

The same result as :func:`modops.text.normalize.normalize` text by text (the tests compare them),
with the per-character work done for the whole batch in a few array operations; spans back to
the original text are mapped only for the hits that need them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

import numpy as np
import numpy.typing as npt

from modops.text.normalize import (
    _LEET,
    Normalized,
    Piece,
    Span,
    _compose,
    _fold_chars,
    _join_spaced,
    _squash,
)

__all__ = ["NormalizedBatch", "normalize_batch"]


class _SpanMap:
    """One text's way back to its original through the stages that changed it.

    ``fold`` is stage 1's spans (None: one for one), ``stages`` the pieces of each later
    stage that changed the text, in order. :meth:`spans` builds the per-character list
    :class:`Normalized` holds; :meth:`original_span` maps one span without it, which is
    all a term hit needs.
    """

    __slots__ = ("_outputs", "fold", "stages")

    def __init__(self, fold: list[Span] | None, stages: list[list[Piece]]) -> None:
        self.fold = fold
        self.stages = stages
        self._outputs: list[list[int] | None] = [None] * len(stages)

    def spans(self) -> list[Span]:
        spans = self.fold
        for pieces in self.stages:
            spans = _compose(spans, pieces)
        assert spans is not None
        return spans

    def original_span(self, length: int, original_length: int, start: int, end: int) -> Span:
        """As :meth:`Normalized.original_span` for a text of ``length`` characters."""
        start = min(max(start, 0), length)
        end = min(max(end, start), length)
        if start == end:
            if start == length:
                point = self._end(length - 1) if length else original_length
            else:
                point = self._start(start)
            return point, point
        return self._start(start), self._end(end - 1)

    def _start(self, index: int) -> int:
        """Where character ``index`` of the text starts in the original."""
        for level in range(len(self.stages) - 1, -1, -1):
            start, _, copied, offset = self._piece(level, index)
            index = start + offset if copied else start
        return self.fold[index][0] if self.fold is not None else index

    def _end(self, index: int) -> int:
        """Where character ``index`` of the text ends in the original."""
        for level in range(len(self.stages) - 1, -1, -1):
            start, end, copied, offset = self._piece(level, index)
            index = start + offset if copied else end - 1
        return self.fold[index][1] if self.fold is not None else index + 1

    def _piece(self, level: int, index: int) -> tuple[int, int, bool, int]:
        """The piece of stage ``level`` that output character ``index`` comes from, and its offset there."""
        pieces = self.stages[level]
        outputs = self._outputs[level]
        if outputs is None:
            outputs = self._outputs[level] = list(
                accumulate((end - start if copied else 1 for start, end, copied in pieces), initial=0)
            )
        piece = bisect_right(outputs, index) - 1
        start, end, copied = pieces[piece]
        return start, end, copied, index - outputs[piece]


class NormalizedBatch:
    """Many texts folded together, sharing passes over the joined batch.

    Most chat is plain ASCII with no spaced-out words or elongated letters; such texts
    get no span map at all, and :class:`Normalized` objects (with their per-character
    spans) are built only when asked for. ``batch[i]`` equals ``normalize(originals[i])``.
    """

    __slots__ = ("_cache", "_elongated", "_maps", "originals", "texts")

    def __init__(
        self,
        originals: list[str],
        texts: list[str],
        maps: dict[int, _SpanMap],
        elongated: dict[int, frozenset[int]],
    ) -> None:
        self.originals = originals
        self.texts = texts
        self._maps = maps
        self._elongated = elongated
        self._cache: dict[int, Normalized] = {}

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, index: int) -> Normalized:
        found = self._cache.get(index)
        if found is None:
            mapping = self._maps.get(index)
            found = Normalized(
                self.originals[index],
                self.texts[index],
                None if mapping is None else mapping.spans(),
                self._elongated.get(index, frozenset()),
            )
            self._cache[index] = found
        return found

    def mapped(self) -> list[int]:
        """Indices of the texts whose positions differ from the original's."""
        return list(self._maps)

    def elongated_map(self) -> dict[int, frozenset[int]]:
        """Text index -> its elongated positions, for the texts that have any."""
        return self._elongated

    def original_span(self, index: int, start: int, end: int) -> tuple[int, int]:
        """As :meth:`Normalized.original_span` for text ``index``."""
        mapping = self._maps.get(index)
        if mapping is None:
            length = len(self.texts[index])
            start = min(max(start, 0), length)
            return start, min(max(end, start), length)
        return mapping.original_span(len(self.texts[index]), len(self.originals[index]), start, end)


# Masks of one byte per character (characters beyond Latin-1 become "?"), for bytes.translate.
_LEET_CHARS_MASK = bytes(int(chr(code) in "4@3105$7+89!|") for code in range(256))
_LETTERS_MASK = bytes(int(97 <= code <= 122) for code in range(256))
_BREAKS_MASK = bytes(int(chr(code) not in "abcdefghijklmnopqrstuvwxyz0123456789@$+!|") for code in range(256))
_BANGS_MASK = bytes(int(chr(code) in "!|") for code in range(256))
_LEET_BYTES = np.arange(256, dtype=np.uint8)
for _source, _target in _LEET.items():
    _LEET_BYTES[_source] = ord(str(_target))


def _mask(data: bytes, table: bytes) -> npt.NDArray[np.bool_]:
    return np.frombuffer(data.translate(table), dtype=bool)


def _leet_changes(data: bytes) -> npt.NDArray[np.intp]:
    """Positions that :func:`_fold_leet` changes in many texts at once, given one byte per character.

    A token is a maximal run of ``[a-z0-9@$+!|]``; one holding a letter next to a
    leet character has the leet characters of its core (the token without leading
    and trailing ``!``/``|``) translated.
    """
    leet = np.flatnonzero(_mask(data, _LEET_CHARS_MASK))
    size = len(data)
    if not leet.shape[0]:
        return leet
    letters = _mask(data, _LETTERS_MASK)
    paired = (letters[np.maximum(leet - 1, 0)] & (leet > 0)) | (
        letters[np.minimum(leet + 1, size - 1)] & (leet < size - 1)
    )
    if not paired.any():
        return leet[:0]
    # The token around each leet character, numbered by the non-token characters before it.
    breaks = np.flatnonzero(_mask(data, _BREAKS_MASK))
    token = np.searchsorted(breaks, leet)
    marked = np.zeros(breaks.shape[0] + 1, dtype=bool)
    marked[token[paired]] = True
    keep = np.flatnonzero(marked[token])
    leet, token = leet[keep], token[keep]
    bangs = _mask(data, _BANGS_MASK)
    bang = bangs[leet]
    if not bang.any():
        return leet
    # A '!' or '|' is in the core when a character other than those stands before and after it.
    bounded = np.concatenate(([-1], breaks, [size]))
    position, token = leet[bang], token[bang]
    start, end = bounded[token] + 1, bounded[token + 1]
    where = np.flatnonzero(bangs)
    before = position - start > np.searchsorted(where, position) - np.searchsorted(where, start)
    behind = end - position - 1 > np.searchsorted(where, end) - np.searchsorted(where, position + 1)
    changed = ~bang
    changed[bang] = before & behind
    return leet[changed]


def _reshape_candidates(codes: npt.NDArray[np.uint8]) -> npt.NDArray[np.intp]:
    """Positions near which a text may hold a spaced-out word or a run of three letters.

    A superset: the exact stages decide. Spaced-out words need three isolated letters
    each at most three characters from the last. Takes one byte per character.
    """
    letter = (codes >= 97) & (codes <= 122)
    alnum = letter | ((codes >= 48) & (codes <= 57))
    triple = letter[2:] & (codes[2:] == codes[1:-1]) & (codes[1:-1] == codes[:-2])
    isolated = letter.copy()
    isolated[1:] &= ~alnum[:-1]
    isolated[:-1] &= ~alnum[1:]
    where = np.flatnonzero(isolated)
    gaps = np.diff(where)
    close = (gaps[:-1] <= 3) & (gaps[1:] <= 3)
    return np.concatenate((np.flatnonzero(triple), where[:-2][close]))


def normalize_batch(texts: list[str]) -> NormalizedBatch:
    """:func:`normalize` for a list of texts, with one pass per stage for the batch.

    After stage 1 no text holds a newline (line breaks fold to spaces), and no stage's
    pattern can match across one, so the texts are joined with ``\\n`` and each stage
    runs once over the whole batch; only texts a stage changes length for get spans.
    Leetspeak and the search for texts to reshape work on one byte per character
    (Latin-1, anything beyond it as ``?``: all they look at is ASCII).
    """
    folds: dict[int, list[Span]] = {}
    joined = "\n".join(texts)
    # Printable ASCII texts only need lower case; the others fold character by character.
    breaks = joined.count("\n") != len(texts) - 1  # some text holds a line break itself
    irregular = _irregular(texts, joined, breaks)
    if irregular:
        first = [text.lower() for text in texts] if breaks else joined.lower().split("\n")
        for index in irregular:
            first[index], stage_spans = _fold_chars(texts[index])
            if stage_spans is not None:
                folds[index] = stage_spans
        joined = "\n".join(first)
    else:
        joined = joined.lower()
    data = joined.encode("latin-1", "replace")
    changed = _leet_changes(data)
    codes = np.frombuffer(data, dtype=np.uint8)
    if changed.shape[0]:
        codes = codes.copy()
        codes[changed] = _LEET_BYTES[codes[changed]]
        wide = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
        wide[changed] = codes[changed]
        joined = wide.tobytes().decode("utf-32-le", "surrogatepass")
    folded = joined.split("\n")
    reshaped: dict[int, list[list[Piece]]] = {}
    elongated: dict[int, frozenset[int]] = {}
    candidates = _reshape_candidates(codes)
    if candidates.shape[0]:
        separators = np.flatnonzero(codes == 10)
        for index in np.unique(np.searchsorted(separators, candidates)).tolist():
            text, spaced = _join_spaced(folded[index])
            text, squashed, marks = _squash(text)
            if spaced is None and squashed is None:
                continue
            folded[index] = text
            reshaped[index] = [pieces for pieces in (spaced, squashed) if pieces is not None]
            if marks:
                elongated[index] = marks
    maps = {index: _SpanMap(folds.get(index), reshaped.get(index, [])) for index in folds.keys() | reshaped.keys()}
    return NormalizedBatch(list(texts), folded, maps, elongated)


_IRREGULAR = re.compile(r"[^\n -~]")


def _irregular(texts: list[str], joined: str, breaks: bool) -> list[int]:
    """Indices of the ``texts`` (``\\n``-joined in ``joined``) holding anything but printable ASCII.

    ``breaks`` tells that some text holds a line break, which then cannot be told
    from a separator by its character alone.
    """
    if not breaks and joined.isascii() and _IRREGULAR.search(joined) is None:
        return []
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    odd = (codes > 126) | (codes < 32)
    separators = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1)[:-1] - 1
    odd[separators] = False
    result: list[int] = np.unique(np.searchsorted(separators, np.flatnonzero(odd))).tolist()
    return result
