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

from modops.text.normalize import Normalized, Skeleton, normalize

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


def _runs_agree(entry: _Entry, skeleton: Skeleton, start: int) -> bool:
    term_runs = entry.runs
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
