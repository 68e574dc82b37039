"""Term lists matched with Aho-Corasick over normalised text.

Terms and messages are both normalised, then compared on their *skeletons* (every
run of a letter collapsed to one). A skeleton hit is accepted only when each
letter run agrees: equal lengths, or the message's run was elongated (three or
more). So ``fuuuuck`` matches ``fuck`` and ``cooool`` matches ``cool`` while
``god`` does not match ``good``.

A term is matched as a whole word; a leading or trailing ``*`` lifts that
boundary (``fuck*`` also catches ``fucking``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import chain

import ahocorasick
import numpy as np
import numpy.typing as npt

from modops.text.batchnorm import NormalizedBatch
from modops.text.normalize import Normalized, Skeleton, normalize
from modops.text.prefilter import Codes, JoinedSkeleton

__all__ = ["HitTable", "Term", "TermMatch", "TermMatcher", "default_terms", "load_terms"]


@dataclass(frozen=True, slots=True)
class Term:
    """A listed term: the AutoMod category it belongs to and the lowest level that catches it."""

    text: str
    category: str
    level: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.level <= 4:
            raise ValueError(f"term level must be 1..4, got {self.level}")
        if not self.text.strip("* "):
            raise ValueError("term text is empty")


@dataclass(frozen=True, slots=True)
class TermMatch:
    """A hit, with ``start``/``end`` positions in the ORIGINAL message (end exclusive)."""

    term: str
    category: str
    level: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Entry:
    term: Term
    runs: bytes
    open_start: bool
    open_end: bool


def _is_word_char(char: str) -> bool:
    return char.isalnum()


I64 = npt.NDArray[np.int64]
#: up to this many keys, a batch none of them occurs in is ruled out by substring search
_FEW_KEYS = 8
_ASCII_WORD = np.array([chr(code).isalnum() for code in range(128)] + [False], dtype=bool)


def _word_chars(codes: Codes, where: I64) -> npt.NDArray[np.bool_]:
    """Whether each character ``codes[where]`` is a word character (``str.isalnum``)."""
    picked = codes[where]
    result = _ASCII_WORD[np.minimum(picked, 128)]
    high = picked >= 128
    if high.any():
        for code in np.unique(picked[high]).tolist():
            result[picked == code] = chr(code).isalnum()
    return result


class HitTable:
    """A batch's term hits as parallel arrays, ordered by text, then start, then longest first.

    Row ``k`` is a hit of the matcher's entry ``entry[k]`` in text ``owner[k]``, at
    ``start[k]:end[k]`` of the ORIGINAL text. :meth:`matches` turns it into
    :class:`TermMatch` lists; the screener reads the arrays directly.
    """

    __slots__ = ("end", "entry", "owner", "start", "terms")

    def __init__(self, terms: Sequence[Term], owner: I64, start: I64, end: I64, entry: I64) -> None:
        self.terms = terms
        self.owner = owner
        self.start = start
        self.end = end
        self.entry = entry

    def __len__(self) -> int:
        return int(self.owner.shape[0])

    def select(self, keep: npt.NDArray[np.bool_]) -> HitTable:
        """The rows where ``keep`` is true."""
        return HitTable(self.terms, self.owner[keep], self.start[keep], self.end[keep], self.entry[keep])

    def bounds(self, size: int) -> list[int]:
        """Row ``bounds[i]`` to ``bounds[i + 1]`` are text ``i``'s hits, for ``size`` texts."""
        result: list[int] = np.searchsorted(self.owner, np.arange(size + 1)).tolist()
        return result

    def matches(self) -> dict[int, list[TermMatch]]:
        """Text index -> its hits as :class:`TermMatch`, texts with none left out."""
        found: dict[int, list[TermMatch]] = {}
        terms = self.terms
        for owner, start, end, entry in zip(
            self.owner.tolist(), self.start.tolist(), self.end.tolist(), self.entry.tolist(), strict=True
        ):
            term = terms[entry]
            hit = TermMatch(term.text, term.category, term.level, start, end)
            group = found.get(owner)
            if group is None:
                found[owner] = [hit]
            else:
                group.append(hit)
        return found


class TermMatcher:
    """Finds listed terms in normalised messages, whole-word and evasion-tolerant."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS, ahocorasick.KEY_STRING)
        keyed: dict[str, list[_Entry]] = {}
        for term in terms:
            open_start = term.text.startswith("*")
            open_end = term.text.endswith("*")
            skeleton = normalize(term.text.strip("*")).skeleton
            key = skeleton.text.strip()
            if not key:
                continue
            offset = skeleton.text.index(key)
            runs = bytes(skeleton.run(offset + i) for i in range(len(key)))
            keyed.setdefault(key, []).append(_Entry(term, runs, open_start, open_end))
        # Entries are numbered key by key, so a key's entries have consecutive numbers.
        self._key_entries: list[tuple[_Entry, ...]] = []
        self._key_sizes: list[int] = []
        entries: list[_Entry] = []
        first: list[int] = []
        for index, (key, group) in enumerate(keyed.items()):
            self._automaton.add_word(key, index)
            self._key_entries.append(tuple(group))
            self._key_sizes.append(len(key))
            first.append(len(entries))
            entries.extend(group)
        #: skeleton keys, for building a combined pre-filter over many matchers
        self.keys: tuple[str, ...] = tuple(keyed)
        self._size = len(entries)
        #: the listed term of each entry, by entry number (as :attr:`HitTable.entry` gives it)
        self.terms: tuple[Term, ...] = tuple(e.term for e in entries)
        self._key_first = np.array(first, dtype=np.int64)
        self._key_count = np.array([len(g) for g in self._key_entries], dtype=np.int64)
        self._multi = bool(self._size) and int(self._key_count.max()) > 1
        self._entry_size = np.array([len(e.runs) for e in entries], dtype=np.int64)
        self._open_start = np.array([e.open_start for e in entries], dtype=bool)
        self._open_end = np.array([e.open_end for e in entries], dtype=bool)
        self._plain = np.array([set(e.runs) <= {1} for e in entries], dtype=bool)
        width = max((len(e.runs) for e in entries), default=0)
        self._entry_runs = np.zeros((len(entries), width), dtype=np.uint8)
        for number, entry in enumerate(entries):
            self._entry_runs[number, : len(entry.runs)] = np.frombuffer(entry.runs, dtype=np.uint8)
        if self._size:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        return self._size

    def match(self, normalized: Normalized) -> list[TermMatch]:
        """All term hits in ``normalized``, ordered by original start position."""
        if not self._size:
            return []
        skeleton = normalized.skeleton
        text = skeleton.text
        length = len(text)
        text_length = len(normalized.text)
        found: list[TermMatch] = []
        for last, key in self._automaton.iter(text):
            size = self._key_sizes[key]
            start = last - size + 1
            end = last + 1
            left_ok = start == 0 or not _is_word_char(text[start - 1])
            right_ok = end == length or not _is_word_char(text[end])
            for entry in self._key_entries[key]:
                if not (left_ok or entry.open_start) or not (right_ok or entry.open_end):
                    continue
                if not _runs_agree(entry, skeleton, start):
                    continue
                text_start = skeleton.text_index(start)
                text_end = skeleton.text_index(end) if end < length else text_length
                orig_start, orig_end = normalized.original_span(text_start, text_end)
                found.append(
                    TermMatch(
                        entry.term.text,
                        entry.term.category,
                        entry.term.level,
                        orig_start,
                        orig_end,
                    )
                )
        found.sort(key=lambda m: (m.start, -m.end))
        return found

    def match_joined(self, batch: NormalizedBatch, joined: JoinedSkeleton) -> dict[int, list[TermMatch]]:
        """:meth:`match` for every text of ``batch`` at once: text index -> its hits, texts with none left out."""
        return self.match_table(batch, joined).matches()

    def match_table(self, batch: NormalizedBatch, joined: JoinedSkeleton) -> HitTable:
        """:meth:`match_joined` as a :class:`HitTable`.

        One automaton pass over the batch's joined skeleton; word boundaries, letter
        runs and the way back to original positions are then worked out for every
        hit at once. The separator is not a word character, so word boundaries at a
        text's edges behave as on the text alone.
        """
        text = joined.text
        if not self._size or not text:
            return self._empty()
        if len(self.keys) <= _FEW_KEYS and not any(key in text for key in self.keys):
            return self._empty()  # a substring search is much faster than the automaton
        flat = np.fromiter(chain.from_iterable(self._automaton.iter(text)), dtype=np.int64)
        if not flat.size:
            return self._empty()
        last = flat[0::2]
        key = flat[1::2]
        if self._multi:
            counts = self._key_count[key]
            row = np.repeat(np.arange(key.shape[0]), counts)
            rank = np.arange(row.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
            last = last[row]
            entry = self._key_first[key][row] + rank
        else:
            entry = self._key_first[key]
        size = self._entry_size[entry]
        start = last - size + 1
        end = last + 1
        length = len(text)
        codes = joined.codes
        # Whole-word unless the entry lifts a boundary.
        ok = np.ones(start.shape[0], dtype=bool)
        inner = start > 0
        ok[inner] = ~_word_chars(codes, start[inner] - 1)
        ok |= self._open_start[entry]
        right = np.ones(start.shape[0], dtype=bool)
        inner = end < length
        right[inner] = ~_word_chars(codes, end[inner])
        ok &= right | self._open_end[entry]
        # Letter runs: plain entries over plain stretches agree; the rest are compared run by run.
        runs = joined.runs
        odd = np.zeros(length + 1, dtype=np.int64)
        np.cumsum(runs != 1, out=odd[1:])
        unsure = np.flatnonzero(ok & ~(self._plain[entry] & (odd[end] == odd[start])))
        if unsure.shape[0]:
            ok[unsure] = self._runs_fit_rows(runs, start[unsure], entry[unsure])
        keep = np.flatnonzero(ok)
        start, end, entry = start[keep], end[keep], entry[keep]
        owner = np.searchsorted(joined.skeleton_starts, start, side="right") - 1
        offset = joined.offsets[owner]
        position = joined.position
        orig_start = position[start] - offset
        orig_end = position[end] - offset
        mapped = batch.mapped()
        if mapped:
            is_mapped = np.zeros(len(batch), dtype=bool)
            is_mapped[mapped] = True
            rows = np.flatnonzero(is_mapped[owner])
            if rows.shape[0]:
                owners = owner[rows].tolist()
                starts = orig_start[rows].tolist()
                ends = orig_end[rows].tolist()
                spans = [batch.original_span(o, s, e) for o, s, e in zip(owners, starts, ends, strict=True)]
                mapped_spans = np.array(spans, dtype=np.int64).reshape(-1, 2)
                orig_start[rows] = mapped_spans[:, 0]
                orig_end[rows] = mapped_spans[:, 1]
        order = np.lexsort((-orig_end, orig_start, owner))
        return HitTable(self.terms, owner[order], orig_start[order], orig_end[order], entry[order])

    def _runs_fit_rows(self, runs: npt.NDArray[np.uint8], start: I64, entry: I64) -> npt.NDArray[np.bool_]:
        """:func:`_runs_agree` for many hits at once, over a batch's run table."""
        size = self._entry_size[entry]
        open_start = self._open_start[entry]
        open_end = self._open_end[entry]
        fits = np.ones(start.shape[0], dtype=bool)
        for column in range(int(size.max())):
            rows = np.flatnonzero(fits & (size > column))
            if not rows.shape[0]:
                break
            got = runs[start[rows] + column]
            wanted = self._entry_runs[entry[rows], column]
            good = (got == wanted) | (got == 3)
            if column == 0:
                good |= (got > wanted) & open_start[rows]
            good |= (got > wanted) & (size[rows] - 1 == column) & open_end[rows]
            fits[rows[~good]] = False
        return fits

    def _empty(self) -> HitTable:
        empty = np.zeros(0, dtype=np.int64)
        return HitTable(self.terms, empty, empty, empty, empty)


def _runs_agree(entry: _Entry, skeleton: Skeleton, start: int) -> bool:
    term_runs = entry.runs
    if skeleton.runs(start, start + len(term_runs)) == term_runs:
        return True
    last = len(term_runs) - 1
    for offset, wanted in enumerate(term_runs):
        got = skeleton.run(start + offset)
        if got == wanted or got == 3:
            continue
        # An open end may continue with the same letter ("scam*" in "scammer").
        if got > wanted and ((offset == last and entry.open_end) or (offset == 0 and entry.open_start)):
            continue
        return False
    return True


def load_terms(lines: Iterable[str]) -> Iterator[Term]:
    """Parse ``term<TAB>category<TAB>level`` lines; ``#`` starts a comment line."""
    rows = csv.reader(
        (line for line in lines if line.strip() and not line.startswith("#")),
        delimiter="\t",
    )
    for number, row in enumerate(rows, start=1):
        if len(row) != 3:
            raise ValueError(f"term row {number}: expected 3 tab-separated fields, got {len(row)}")
        yield Term(row[0].strip(), row[1].strip(), int(row[2]))


def default_terms(language: str = "en") -> list[Term]:
    """The term list shipped with modops for ``language``."""
    path = resources.files("modops.text").joinpath("data", f"terms_{language}.tsv")
    return list(load_terms(path.read_text("utf-8").splitlines()))
