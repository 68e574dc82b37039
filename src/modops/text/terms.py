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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources

import ahocorasick

from modops.text.normalize import Normalized, NormalizedBatch, Skeleton, normalize
from modops.text.prefilter import JoinedSkeleton

__all__ = ["Term", "TermMatch", "TermMatcher", "default_terms", "load_terms"]


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


class TermMatcher:
    """Finds listed terms in normalised messages, whole-word and evasion-tolerant."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
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
        for key, entries in keyed.items():
            self._automaton.add_word(key, (len(key), tuple(entries)))
        #: skeleton keys, for building a combined pre-filter over many matchers
        self.keys: tuple[str, ...] = tuple(keyed)
        self._size = sum(len(v) for v in keyed.values())
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
        for last, (size, entries) in self._automaton.iter(text):
            start = last - size + 1
            end = last + 1
            left_ok = start == 0 or not _is_word_char(text[start - 1])
            right_ok = end == length or not _is_word_char(text[end])
            for entry in entries:
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
        """:meth:`match` for every text of ``batch`` at once: text index -> its hits, texts with none left out.

        One automaton pass over the batch's joined skeleton; the separator is not a
        word character, so word boundaries at a text's edges behave as on the text alone.
        """
        found: dict[int, list[TermMatch]] = {}
        if not self._size:
            return found
        text = joined.text
        length = len(text)
        runs = joined.runs
        position = joined.position
        owner_of = joined.owner
        offsets = joined.offsets
        mapped = batch.mapped
        for last, (size, entries) in self._automaton.iter(text):
            start = last - size + 1
            end = last + 1
            left_ok = start == 0 or not text[start - 1].isalnum()
            right_ok = end == length or not text[end].isalnum()
            for entry in entries:
                if not (left_ok or entry.open_start) or not (right_ok or entry.open_end):
                    continue
                term_runs = entry.runs
                if runs[start : start + len(term_runs)] != term_runs and not _runs_fit(entry, runs, start):
                    continue
                owner = owner_of(start)
                offset = offsets[owner]
                if owner in mapped:
                    orig_start, orig_end = batch.original_span(owner, position[start] - offset, position[end] - offset)
                else:
                    orig_start, orig_end = position[start] - offset, position[end] - offset
                term = entry.term
                found.setdefault(owner, []).append(
                    TermMatch(term.text, term.category, term.level, orig_start, orig_end)
                )
        for hits in found.values():
            if len(hits) > 1:
                hits.sort(key=lambda m: (m.start, -m.end))
        return found


def _runs_fit(entry: _Entry, runs: bytes, start: int) -> bool:
    """The slow path of :func:`_runs_agree` over a batch's run table."""
    last = len(entry.runs) - 1
    for offset, wanted in enumerate(entry.runs):
        got = runs[start + offset]
        if got == wanted or got == 3:
            continue
        if got > wanted and ((offset == last and entry.open_end) or (offset == 0 and entry.open_start)):
            continue
        return False
    return True


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
