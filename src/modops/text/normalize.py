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

__all__ = [
    "MAX_CHARS",
    "Normalized",
    "fold_char",
    "normalize",
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
