"""Per-channel blocked and permitted terms.

An entry is one of:
- a plain term (``badword``, ``two words``), matched like the default list:
  whole word, evasion-tolerant; a ``*`` at either end lifts that word boundary;
- a wildcard term with ``*`` inside (``f*ck``): ``*`` stands for any run of
  letters or digits, the whole matched as a word;
- a regular expression between slashes (``/fu+ck(er)?/``), compiled by RE2 so no
  pattern can take more than linear time. It runs over the *normalised* text
  (lower case, confusables and leetspeak folded).

Invalid entries raise :class:`PatternError` when the list is built, which is when a
moderator saves it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import re2

from modops.text.batchnorm import NormalizedBatch
from modops.text.normalize import Normalized
from modops.text.prefilter import JoinedSkeleton, Prefilter
from modops.text.terms import HitTable, Term, TermMatch, TermMatcher

__all__ = [
    "BLOCKED",
    "MAX_PATTERN_CHARS",
    "MAX_PATTERN_MEMORY",
    "ChannelTerms",
    "PatternError",
    "compile_pattern",
]

BLOCKED = "blocked_term"
PERMITTED = "permitted_term"
MAX_PATTERN_CHARS = 500
#: RE2 memory budget per compiled pattern; larger automata are refused.
MAX_PATTERN_MEMORY = 1 << 20
MAX_ENTRIES = 10_000

_UNSUPPORTED = (
    (re.compile(r"\\[1-9]|\(\?P=|\\k<"), "backreferences are not supported"),
    (re.compile(r"\(\?<?[=!]"), "lookahead and lookbehind are not supported"),
    (re.compile(r"\(\?>"), "atomic groups are not supported"),
    (re.compile(r"[*+?}][+]"), "possessive quantifiers are not supported"),
)


class PatternError(ValueError):
    """A blocked or permitted entry that cannot be used, with the reason."""

    def __init__(self, entry: str, reason: str) -> None:
        super().__init__(f"invalid pattern {entry!r}: {reason}")
        self.entry = entry
        self.reason = reason


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_PATTERN_MEMORY
    return options


def compile_pattern(entry: str) -> re2._Regexp:
    """Compile a ``/regex/`` or internal-wildcard entry with RE2, or raise PatternError."""
    if len(entry) > MAX_PATTERN_CHARS:
        raise PatternError(entry[:40] + "...", f"longer than {MAX_PATTERN_CHARS} characters")
    if entry.startswith("/") and entry.endswith("/") and len(entry) > 2:
        source = entry[1:-1]
        for detector, reason in _UNSUPPORTED:
            if detector.search(source):
                raise PatternError(entry, reason)
    else:
        body = entry.strip("*")
        pieces = [re2.escape(part) for part in body.split("*")]
        source = r"\b" + r"\w*".join(pieces) + r"\b"
    try:
        compiled = re2.compile(source, _options())
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        if "pattern too large" in str(detail):
            detail = f"pattern too large (over {MAX_PATTERN_MEMORY} bytes of RE2 program)"
        raise PatternError(entry, str(detail)) from exc
    if compiled.search("") is not None and compiled.fullmatch("") is not None:
        raise PatternError(entry, "pattern matches the empty string, so it would match every message")
    return compiled


def _is_regex(entry: str) -> bool:
    return entry.startswith("/") and entry.endswith("/") and len(entry) > 2


def _is_wildcard(entry: str) -> bool:
    return "*" in entry.strip("*")


@dataclass(frozen=True, slots=True)
class _Rules:
    matcher: TermMatcher
    patterns: tuple[tuple[str, re2._Regexp], ...]

    @property
    def sources(self) -> list[str]:
        return [pattern.pattern for _, pattern in self.patterns]

    @classmethod
    def build(cls, entries: Sequence[str], category: str) -> _Rules:
        if len(entries) > MAX_ENTRIES:
            raise PatternError(f"<{len(entries)} entries>", f"more than {MAX_ENTRIES} entries")
        terms: list[Term] = []
        patterns: list[tuple[str, re2._Regexp]] = []
        for raw in entries:
            entry = raw.strip()
            if not entry.strip("*/ "):
                raise PatternError(raw, "entry is empty")
            if _is_regex(entry) or _is_wildcard(entry):
                patterns.append((entry, compile_pattern(entry)))
            else:
                if len(entry) > MAX_PATTERN_CHARS:
                    raise PatternError(
                        entry[:40] + "...",
                        f"longer than {MAX_PATTERN_CHARS} characters",
                    )
                terms.append(Term(entry, category, 1))
        return cls(TermMatcher(terms), tuple(patterns))

    def find_batch(
        self, batch: NormalizedBatch, joined: JoinedSkeleton, category: str, prefilter: Prefilter | None
    ) -> dict[int, list[TermMatch]]:
        """:meth:`find` for every text of ``batch``; patterns run only on texts ``prefilter`` flags."""
        found = self.matcher.match_joined(batch, joined)
        if prefilter is None:
            return found
        for index in sorted(prefilter.candidates(batch.texts)):
            normalized = batch[index]
            text = normalized.text
            for entry, pattern in self.patterns:
                for match in pattern.finditer(text):
                    if match.end() == match.start():
                        continue
                    start, end = normalized.original_span(match.start(), match.end())
                    found.setdefault(index, []).append(TermMatch(entry, category, 1, start, end))
        return found

    def find(self, normalized: Normalized, category: str) -> list[TermMatch]:
        found = self.matcher.match(normalized)
        text = normalized.text
        for entry, pattern in self.patterns:
            for match in pattern.finditer(text):
                if match.end() == match.start():
                    continue
                start, end = normalized.original_span(match.start(), match.end())
                found.append(TermMatch(entry, category, 1, start, end))
        return found


class ChannelTerms:
    """A channel's blocked and permitted terms; permitted terms win where they overlap."""

    def __init__(self, blocked: Iterable[str] = (), permitted: Iterable[str] = ()) -> None:
        self.blocked_entries = tuple(blocked)
        self.permitted_entries = tuple(permitted)
        self._blocked = _Rules.build(self.blocked_entries, BLOCKED)
        self._permitted = _Rules.build(self.permitted_entries, PERMITTED)
        # Pre-filters running each side's patterns once over a whole batch.
        self._blocked_scan = Prefilter((), (), self._blocked.sources) if self._blocked.patterns else None
        self._permitted_scan = Prefilter((), (), self._permitted.sources) if self._permitted.patterns else None

    def blocked_keys(self) -> tuple[str, ...]:
        """Skeleton keys of the plain blocked terms (for a combined pre-filter)."""
        return self._blocked.matcher.keys

    def blocked_sources(self) -> list[str]:
        """RE2 sources of the wildcard and regex blocked entries."""
        return self._blocked.sources

    def permitted_spans(self, normalized: Normalized) -> list[tuple[int, int]]:
        """Original spans covered by a permitted term."""
        return [(m.start, m.end) for m in self._permitted.find(normalized, PERMITTED)]

    def suppress(self, matches: Iterable[TermMatch], normalized: Normalized) -> list[TermMatch]:
        """Drop the matches lying inside a permitted span."""
        spans = self.permitted_spans(normalized) if self.permitted_entries else []
        if not spans:
            return list(matches)
        return [m for m in matches if not any(s <= m.start and m.end <= e for s, e in spans)]

    def check(self, normalized: Normalized) -> list[TermMatch]:
        """Blocked-term hits not covered by a permitted term, with original boundaries."""
        if not self.blocked_entries:
            return []
        hits = self._blocked.find(normalized, BLOCKED)
        if not hits:
            return []
        hits.sort(key=lambda m: (m.start, -m.end))
        return self.suppress(hits, normalized)

    def check_batch(
        self, batch: NormalizedBatch, joined: JoinedSkeleton, hits: dict[int, list[TermMatch]]
    ) -> dict[int, list[TermMatch]]:
        """Batch form of :meth:`check` and :meth:`suppress` together.

        Drops from ``hits`` (default-list hits, changed in place) those covered by a
        permitted term, and returns the blocked-term hits per text, as :meth:`check`.
        """
        blocked: dict[int, list[TermMatch]] = {}
        if self.blocked_entries:
            blocked = self._blocked.find_batch(batch, joined, BLOCKED, self._blocked_scan)
            for found in blocked.values():
                found.sort(key=lambda m: (m.start, -m.end))
        if self.permitted_entries and (hits or blocked):
            permitted = self._permitted.find_batch(batch, joined, PERMITTED, self._permitted_scan)
            for group in (hits, blocked):
                for index in [i for i in group if i in permitted]:
                    spans = [(m.start, m.end) for m in permitted[index]]
                    kept = [m for m in group[index] if not any(s <= m.start and m.end <= e for s, e in spans)]
                    if kept:
                        group[index] = kept
                    else:
                        del group[index]
        return blocked

    def check_table(
        self, batch: NormalizedBatch, joined: JoinedSkeleton, hits: HitTable
    ) -> tuple[dict[int, list[TermMatch]], HitTable]:
        """:meth:`check_batch` for default-list hits given as a :class:`HitTable`.

        Returns the blocked-term hits per text and ``hits`` without the rows covered
        by a permitted term.
        """
        blocked: dict[int, list[TermMatch]] = {}
        if self.blocked_entries:
            blocked = self._blocked.find_batch(batch, joined, BLOCKED, self._blocked_scan)
            for found in blocked.values():
                found.sort(key=lambda m: (m.start, -m.end))
        if not self.permitted_entries or not (len(hits) or blocked):
            return blocked, hits
        permitted = self._permitted.find_batch(batch, joined, PERMITTED, self._permitted_scan)
        if not permitted:
            return blocked, hits
        spans = {index: [(m.start, m.end) for m in found] for index, found in permitted.items()}
        for index in [i for i in blocked if i in spans]:
            kept = [m for m in blocked[index] if not _covered(spans[index], m.start, m.end)]
            if kept:
                blocked[index] = kept
            else:
                del blocked[index]
        rows = np.flatnonzero(np.isin(hits.owner, np.fromiter(spans, dtype=np.int64, count=len(spans))))
        if rows.shape[0]:
            keep = np.ones(len(hits), dtype=bool)
            for row, owner, start, end in zip(
                rows.tolist(),
                hits.owner[rows].tolist(),
                hits.start[rows].tolist(),
                hits.end[rows].tolist(),
                strict=True,
            ):
                if _covered(spans[owner], start, end):
                    keep[row] = False
            if not keep.all():
                hits = hits.select(keep)
        return blocked, hits


def _covered(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``start:end`` lies inside one of ``spans``."""
    return any(s <= start and end <= e for s, e in spans)
