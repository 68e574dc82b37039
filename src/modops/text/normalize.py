"""Evasion-resistant text folding with a map back to the original string.

The folded text is what term lists, channel patterns and classifiers see. Every
character of it remembers which span of the original it came from, so a match in
the folded text can be reported with original boundaries (as AutoMod holds do).

Stages, in order:
1. per character: NFKC, combining marks and format characters (zero-width,
   bidi controls) dropped, confusables folded to Latin look-alikes, lower case;
2. leetspeak folded inside tokens that contain a letter (``h3ll0`` -> ``hello``);
3. spaced-out words joined (``f u c k``, ``f.u.c.k`` -> ``fuck``);
4. runs of three or more identical letters squashed to two, remembering where,
   so a matcher can accept both ``fuuuck`` for ``fuck`` and ``cooool`` for ``cool``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from itertools import accumulate

import numpy as np
import numpy.typing as npt

__all__ = [
    "MAX_CHARS",
    "Normalized",
    "NormalizedBatch",
    "fold_char",
    "normalize",
    "normalize_batch",
    "truncate",
]

#: Longest input screened; chat messages are capped at 500 characters on Twitch,
#: so anything longer is either another kind of subject or an attack.
MAX_CHARS = 10_000

_LEET = str.maketrans(
    {
        "4": "a",
        "@": "a",
        "3": "e",
        "1": "i",
        "!": "i",
        "|": "i",
        "0": "o",
        "5": "s",
        "$": "s",
    }
    | {"7": "t", "+": "t", "8": "b", "9": "g"}
)
_LEET_CHARS = "43@1!|05$7+89"
# A token mixing letters with leet characters; '!' and '|' only count inside the
# token so that trailing punctuation ("hello!") is left alone.
_LEET_TOKEN = re.compile(r"[a-z0-9@$+!|]*(?:[a-z][4@3105$7+89!|]|[4@3105$7+89!|][a-z])[a-z0-9@$+!|]*")
_HAS_LEET = re.compile(r"[a-z][4@3105$7+89!|]|[4@3105$7+89!|][a-z]")
# Three or more single letters separated by one kind of spacer.
_SPACED = re.compile(r"(?<![a-z0-9])[a-z](?:(?P<sep>[ .\-_*,~]) ?[a-z])(?:(?P=sep) ?[a-z])+(?![a-z0-9])")
_RUN3 = re.compile(r"([a-z])\1{2,}")
_RUN = re.compile(r"([a-z ])\1+")

Span = tuple[int, int]


def truncate(text: str, limit: int = MAX_CHARS) -> tuple[str, str | None]:
    """Cut ``text`` to ``limit`` characters; return it and why it was cut, if it was."""
    if len(text) <= limit:
        return text, None
    return text[:limit], f"text truncated from {len(text)} to {limit} characters"


def _load_confusables() -> dict[str, str]:
    """Map non-ASCII characters to their ASCII look-alike from Unicode's confusables data."""
    raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    data: dict[str, list[dict[str, str]]] = json.loads(raw)
    table: dict[str, str] = {}
    for char, glyphs in data.items():
        if char.isascii():
            continue
        best: str | None = None
        for glyph in glyphs:
            target = glyph["c"]
            # Prefer a single letter over digits or multi-character look-alikes.
            usable = target.isascii() and target.isalnum()
            better = best is None or (len(target) == 1 and target.isalpha() and not (len(best) == 1 and best.isalpha()))
            if usable and better:
                best = target
        if best is not None:
            table[char] = best.lower()
    return table


_CONFUSABLES: dict[str, str] = _load_confusables()
_FOLD_CACHE: dict[str, str] = {}


def fold_char(char: str) -> str:
    """Fold one character to zero or more lower-case characters (stage 1)."""
    cached = _FOLD_CACHE.get(char)
    if cached is not None:
        return cached
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        result = ""
    else:
        parts: list[str] = []
        for piece in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", char)):
            category = unicodedata.category(piece)
            if category in ("Mn", "Me", "Cf", "Cs") or piece in "\u034f\u115f\u1160\u3164\uffa0":
                continue
            if category in ("Zs", "Zl", "Zp") or piece in "\t\n\r\x0b\x0c":
                parts.append(" ")
                continue
            if category == "Cc" or category == "Co" or category == "Cn":
                continue
            parts.append(_CONFUSABLES.get(piece, piece).lower())
        result = "".join(parts)
        # Folding must be a fixed point; characters whose lower case folds further
        # (rare compatibility letters) are folded once more.
        if result and not result.isascii():
            result = "".join(_CONFUSABLES.get(c, c) for c in unicodedata.normalize("NFKC", result))
    if len(_FOLD_CACHE) < 200_000:
        _FOLD_CACHE[char] = result
    return result


class _FoldTable(dict[int, str]):
    """``str.translate`` table applying :func:`fold_char`, filled as characters are met.

    ``uneven`` holds the characters of the table that do not fold to exactly one
    character. The table stops growing at 200,000 characters (as :func:`fold_char`'s
    cache does); from then on ``full`` is set and ``uneven`` no longer covers every
    character met.
    """

    def __init__(self) -> None:
        super().__init__()
        self.uneven: set[str] = set()
        self.full = False

    def __missing__(self, code: int) -> str:
        char = chr(code)
        result = fold_char(char)
        if len(self) < 200_000:
            if len(result) != 1:
                self.uneven.add(char)  # before the table has it, for other threads' sake
            self[code] = result
        else:
            self.full = True
        return result


_FOLD_TABLE = _FoldTable()

# How a stage's output maps back to its input, as pieces in output order:
# ``(start, end, True)``: output characters copied one for one from input ``start..end``;
# ``(start, end, False)``: one output character standing for input ``start..end``.
Piece = tuple[int, int, bool]


def _fold_chars(text: str) -> tuple[str, list[Span] | None]:
    """Stage 1: the folded text, and its spans when characters do not fold one for one."""
    if text.isascii() and text.isprintable():
        return text.lower(), None
    table = _FOLD_TABLE
    folded = text.translate(table)
    if table.full:
        even = all(len(table[ord(char)]) == 1 for char in set(text))
    else:
        even = table.uneven.isdisjoint(text)
    if even:
        return folded, None
    spans: list[Span] = []
    for index, char in enumerate(text):
        size = len(table[ord(char)])
        if size == 1:
            spans.append((index, index + 1))
        elif size:
            spans.extend([(index, index + 1)] * size)
    return folded, spans


def _fold_leet(text: str) -> str:
    if not _HAS_LEET.search(text):
        return text
    # Leet folding is one character for one character, so spans do not change.
    return _LEET_TOKEN.sub(_fold_token, text)


def _fold_token(match: re.Match[str]) -> str:
    token = match.group(0)
    core = token.strip("!|")
    if not core:
        return token
    head = token[: token.index(core)]
    tail = token[len(head) + len(core) :]
    return head + core.translate(_LEET) + tail


def _join_spaced(text: str) -> tuple[str, list[Piece] | None]:
    """Stage 3: spaced-out words joined; pieces mapping back, None if nothing changed."""
    if _SPACED.search(text) is None:
        return text, None
    out: list[str] = []
    pieces: list[Piece] = []
    position = 0
    for match in _SPACED.finditer(text):
        start, end = match.span()
        if start > position:
            out.append(text[position:start])
            pieces.append((position, start, True))
        for index in range(start, end):
            if "a" <= text[index] <= "z":
                out.append(text[index])
                pieces.append((index, index + 1, True))
        position = end
    if position < len(text):
        out.append(text[position:])
        pieces.append((position, len(text), True))
    return "".join(out), pieces


def _squash(text: str) -> tuple[str, list[Piece] | None, frozenset[int]]:
    """Stage 4: runs of three or more letters squashed to two; pieces back; elongated indices."""
    if _RUN3.search(text) is None:
        return text, None, frozenset()
    out: list[str] = []
    pieces: list[Piece] = []
    elongated: list[int] = []
    position = 0
    size = 0
    for match in _RUN3.finditer(text):
        start, end = match.span()
        if start > position:
            out.append(text[position:start])
            pieces.append((position, start, True))
            size += start - position
        elongated.append(size)
        out.append(text[start] * 2)
        pieces.append((start, start + 1, True))
        pieces.append((start + 1, end, False))
        size += 2
        position = end
    if position < len(text):
        out.append(text[position:])
        pieces.append((position, len(text), True))
    return "".join(out), pieces, frozenset(elongated)


def _compose(outer: list[Span] | None, pieces: list[Piece] | None) -> list[Span] | None:
    """Spans of a later stage (given by its ``pieces``) in the coordinates of ``outer``'s source."""
    if pieces is None:
        return outer
    spans: list[Span] = []
    if outer is None:
        for start, end, copied in pieces:
            if copied:
                spans.extend(zip(range(start, end), range(start + 1, end + 1), strict=True))
            else:
                spans.append((start, end))
    else:
        for start, end, copied in pieces:
            if copied:
                spans.extend(outer[start:end])
            else:
                spans.append((outer[start][0], outer[end - 1][1]))
    return spans


class Skeleton:
    """``text`` with every run of a letter (or space) collapsed to one, for run-tolerant matching.

    Positions and run lengths are worked out only when asked for, which is when a
    term hits: most messages never need them.
    """

    __slots__ = ("_elongated", "_run_table", "_runs", "_source", "text")

    def __init__(self, source: str, elongated: frozenset[int]) -> None:
        self._source = source
        self._elongated = elongated
        self.text = _RUN.sub(r"\1", source) if _RUN.search(source) else source
        self._runs: tuple[list[int], list[int], dict[int, int]] | None = None
        self._run_table: bytearray | None = None

    def _build(self) -> tuple[list[int], list[int], dict[int, int]]:
        """Skeleton indices just after each collapsed run, the shift there, and run lengths."""
        if self._runs is None:
            after: list[int] = []
            shifts: list[int] = []
            lengths: dict[int, int] = {}
            shift = 0
            for match in _RUN.finditer(self._source):
                start = match.start()
                size = match.end() - start
                index = start - shift
                if match.group(1) != " ":
                    lengths[index] = 3 if size >= 3 or start in self._elongated else size
                shift += size - 1
                after.append(index + 1)
                shifts.append(shift)
            self._runs = (after, shifts, lengths)
        return self._runs

    def runs(self, start: int, end: int) -> bytes:
        """Run lengths of skeleton characters ``start..end`` (see :meth:`run`)."""
        if self.text is self._source and not self._elongated:
            return b"\x01" * (end - start)
        table = self._run_table
        if table is None:
            table = bytearray(b"\x01" * len(self.text))
            if self.text is self._source:
                for index in self._elongated:
                    table[index] = 3
            else:
                for index, size in self._build()[2].items():
                    table[index] = size
            self._run_table = table
        return bytes(table[start:end])

    def run(self, index: int) -> int:
        """Run length of skeleton character ``index``: 1, 2, or 3 meaning "elongated, any length"."""
        if self.text is self._source:
            return 3 if index in self._elongated else 1
        return self._build()[2].get(index, 1)

    def text_index(self, index: int) -> int:
        """Start index in the normalised text of skeleton character ``index``."""
        if self.text is self._source:
            return index
        after, shifts, _ = self._build()
        position = bisect_right(after, index)
        return index + (shifts[position - 1] if position else 0)


@dataclass(frozen=True)
class Normalized:
    """A folded string plus the way back to the original."""

    original: str
    text: str
    spans: list[Span] | None = field(repr=False, default=None)
    #: indices in ``text`` where a doubled letter stands for a run of three or more
    elongated: frozenset[int] = field(default=frozenset())

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the half-open span ``[start, end)`` of ``text`` to one of ``original``."""
        length = len(self.text)
        start = min(max(start, 0), length)
        end = min(max(end, start), length)
        if self.spans is None:
            return start, end
        if start == end:
            if start == length:
                point = self.spans[-1][1] if self.spans else len(self.original)
            else:
                point = self.spans[start][0]
            return point, point
        return self.spans[start][0], self.spans[end - 1][1]

    @cached_property
    def skeleton(self) -> Skeleton:
        return Skeleton(self.text, self.elongated)


def normalize(text: str) -> Normalized:
    """Fold ``text`` for matching; never raises for any ``str``."""
    folded, spans = _fold_chars(text)
    joined, pieces = _join_spaced(_fold_leet(folded))
    spans = _compose(spans, pieces)
    squashed, pieces, elongated = _squash(joined)
    return Normalized(text, squashed, _compose(spans, pieces), elongated)


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
