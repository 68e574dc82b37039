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


@dataclass(frozen=True, slots=True)
class _Stage:
    text: str
    # spans[i] = (start, end) of text[i] in the previous stage; None = identity.
    spans: list[Span] | None


def _fold_chars(text: str) -> _Stage:
    if text.isascii() and text.isprintable():
        return _Stage(text.lower(), None)
    parts = [fold_char(char) for char in text]
    folded = "".join(parts)
    if len(folded) == len(text) and all(len(part) == 1 for part in parts):
        return _Stage(folded, None)
    spans = [(index, index + 1) for index, part in enumerate(parts) for _ in part]
    return _Stage(folded, spans)


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


def _join_spaced(text: str) -> _Stage:
    if _SPACED.search(text) is None:
        return _Stage(text, None)
    out: list[str] = []
    spans: list[Span] = []
    position = 0
    for match in _SPACED.finditer(text):
        for index in range(position, match.start()):
            out.append(text[index])
            spans.append((index, index + 1))
        for index in range(match.start(), match.end()):
            if "a" <= text[index] <= "z":
                out.append(text[index])
                spans.append((index, index + 1))
        position = match.end()
    for index in range(position, len(text)):
        out.append(text[index])
        spans.append((index, index + 1))
    return _Stage("".join(out), spans)


def _squash(text: str) -> tuple[_Stage, frozenset[int]]:
    if _RUN3.search(text) is None:
        return _Stage(text, None), frozenset()
    out: list[str] = []
    spans: list[Span] = []
    elongated: set[int] = set()
    position = 0
    for match in _RUN3.finditer(text):
        for index in range(position, match.start()):
            out.append(text[index])
            spans.append((index, index + 1))
        elongated.add(len(out))
        out.append(match.group(1))
        out.append(match.group(1))
        spans.append((match.start(), match.start() + 1))
        spans.append((match.start() + 1, match.end()))
        position = match.end()
    for index in range(position, len(text)):
        out.append(text[index])
        spans.append((index, index + 1))
    return _Stage("".join(out), spans), frozenset(elongated)


def _compose(outer: list[Span] | None, inner: list[Span] | None) -> list[Span] | None:
    """Spans of the later stage (``inner``) expressed in the coordinates of ``outer``'s source."""
    if inner is None:
        return outer
    if outer is None:
        return inner
    return [(outer[start][0], outer[end - 1][1]) for start, end in inner]


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
    first = _fold_chars(text)
    leet = _fold_leet(first.text)
    joined = _join_spaced(leet)
    squashed, elongated = _squash(joined.text)
    spans = _compose(_compose(first.spans, joined.spans), squashed.spans)
    return Normalized(text, squashed.text, spans, elongated)


class NormalizedBatch:
    """Many texts folded together, sharing regex passes over the joined batch.

    Most chat is plain ASCII with no spaced-out words or elongated letters; such texts
    get no span map at all, and :class:`Normalized` objects are built only when
    asked for. ``batch[i]`` equals ``normalize(originals[i])``.
    """

    __slots__ = ("_cache", "_elongated", "_spans", "originals", "texts")

    def __init__(
        self,
        originals: list[str],
        texts: list[str],
        spans: dict[int, list[Span]],
        elongated: dict[int, frozenset[int]],
    ) -> None:
        self.originals = originals
        self.texts = texts
        self._spans = spans
        self._elongated = elongated
        self._cache: dict[int, Normalized] = {}

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, index: int) -> Normalized:
        found = self._cache.get(index)
        if found is None:
            found = Normalized(
                self.originals[index],
                self.texts[index],
                self._spans.get(index),
                self._elongated.get(index, frozenset()),
            )
            self._cache[index] = found
        return found

    @property
    def mapped(self) -> dict[int, list[Span]]:
        """Text index -> span map, for the texts whose positions differ from the original's."""
        return self._spans

    def elongated_map(self) -> dict[int, frozenset[int]]:
        """Text index -> its elongated positions, for the texts that have any."""
        return self._elongated

    def original_span(self, index: int, start: int, end: int) -> tuple[int, int]:
        """As :meth:`Normalized.original_span` for text ``index``."""
        if index not in self._spans:
            length = len(self.texts[index])
            start = min(max(start, 0), length)
            return start, min(max(end, start), length)
        return self[index].original_span(start, end)


_LEET_LOOKUP = np.arange(128, dtype=np.uint32)
for _source, _target in _LEET.items():
    _LEET_LOOKUP[_source] = ord(str(_target))
_TOKEN_CHARS = np.zeros(128, dtype=bool)
_TOKEN_CHARS[[ord(c) for c in "abcdefghijklmnopqrstuvwxyz0123456789@$+!|"]] = True
_LEET_MASK = np.zeros(128, dtype=bool)
_LEET_MASK[[ord(c) for c in "4@3105$7+89!|"]] = True
_BANG_MASK = np.zeros(128, dtype=bool)
_BANG_MASK[[ord("!"), ord("|")]] = True


def _fold_leet_joined(codes: npt.NDArray[np.uint32]) -> tuple[npt.NDArray[np.uint32], bool]:
    """:func:`_fold_leet` over many texts' code points at once (same result, in numpy).

    A token is a maximal run of ``[a-z0-9@$+!|]``; one holding a letter next to a
    leet character has its core (the token without leading and trailing ``!``/``|``)
    translated.
    """
    ascii_codes = np.where(codes < 128, codes, 0)
    token = _TOKEN_CHARS[ascii_codes]
    letter = (codes >= 97) & (codes <= 122)
    leet = _LEET_MASK[ascii_codes]
    pair = (letter[:-1] & leet[1:]) | (leet[:-1] & letter[1:])
    if not pair.any():
        return codes, False
    starts = token & ~np.concatenate(([False], token[:-1]))
    run = np.cumsum(starts)
    run[~token] = 0
    marked = np.zeros(int(np.count_nonzero(starts)) + 1, dtype=bool)
    marked[run[:-1][pair]] = True
    marked[0] = False
    solid = token & ~_BANG_MASK[ascii_codes]
    before = np.cumsum(solid)  # solid characters up to and including each position
    # Solid characters of the run up to here, and from here to the run's end.
    first = np.flatnonzero(starts)
    base = np.zeros(marked.shape[0], dtype=np.int64)
    base[1:] = before[first] - solid[first]
    last = np.flatnonzero(token & ~np.concatenate((token[1:], [False])))
    total = np.zeros(marked.shape[0], dtype=np.int64)
    total[1:] = before[last]
    core = (before - base[run] > 0) & (total[run] - before + solid > 0)
    change = marked[run] & core & leet
    out = codes.copy()
    out[change] = _LEET_LOOKUP[codes[change]]
    return out, True


def _reshape_candidates(codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.intp]:
    """Positions near which a text may hold a spaced-out word or a run of three letters.

    A superset: the exact stages decide. Spaced-out words need three isolated letters
    each at most three characters from the last.
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
    """:func:`normalize` for a list of texts, with one regex pass per stage for the batch.

    After stage 1 no text holds a newline (line breaks fold to spaces), and no stage's
    pattern can match across one, so the texts are joined with ``\\n`` and each stage
    runs once over the whole batch; only texts a stage changes length for get spans.
    """
    first: list[str] = []
    spans: dict[int, list[Span]] = {}
    for index, text in enumerate(texts):
        if text.isascii() and text.isprintable():
            first.append(text.lower())
        else:
            stage = _fold_chars(text)
            first.append(stage.text)
            if stage.spans is not None:
                spans[index] = stage.spans
    joined = "\n".join(first)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    codes, changed = _fold_leet_joined(codes)
    if changed:
        joined = codes.tobytes().decode("utf-32-le", "surrogatepass")
    folded = joined.split("\n")
    ends = np.cumsum([len(text) + 1 for text in folded])
    owners = np.searchsorted(ends, _reshape_candidates(codes), side="right")
    reshape = set(owners.tolist())
    elongated: dict[int, frozenset[int]] = {}
    for index in reshape:
        joined_stage = _join_spaced(folded[index])
        squashed, marks = _squash(joined_stage.text)
        folded[index] = squashed.text
        composed = _compose(_compose(spans.get(index), joined_stage.spans), squashed.spans)
        if composed is not None:
            spans[index] = composed
        if marks:
            elongated[index] = marks
    return NormalizedBatch(list(texts), folded, spans, elongated)
