"""Which messages of a batch could hit any term or blocked pattern, in one pass.

Most chat messages hit nothing. Instead of running every matcher over every
message, the batch's normalised texts are joined and scanned once: by one
Aho-Corasick automaton holding every matcher's keys (default list, channel
blocked terms) over the joined *skeletons*, and by one RE2 alternation of the
channel's blocked patterns. Only the messages touched by a hit go through the
exact matchers; the result is a superset of the messages that really match.

Joining is safe because normalised text holds no control characters: the
separator (``\\n``) never occurs inside a text, term keys never contain it, and the
patterns run in multi-line mode so ``^``, ``$`` and ``\\b`` behave at a text's edges
as they do on the text alone. A pattern match that spans several texts marks them
all. Patterns with ``\\A`` or ``\\z`` (absolute anchors) disable the pattern scan,
and every message is then a candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import ahocorasick
import numpy as np
import numpy.typing as npt
import re2

__all__ = ["BLOCKED", "TERMS", "Codes", "JoinedSkeleton", "Prefilter", "skeletons_joined"]

TERMS = 1
BLOCKED = 2

_SEP = "\n"
_SEP_CODE = 10
_SPACE = 32

#: code points of a text, one byte each when it is all ASCII
Codes = npt.NDArray[np.uint8] | npt.NDArray[np.uint32]


def skeletons_joined(texts: Sequence[str]) -> str:
    """``_SEP``-joined texts with runs of a letter or space collapsed (as ``Skeleton.text``)."""
    joined = _SEP.join(texts)
    if not joined:
        return joined
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    runnable = ((codes >= 97) & (codes <= 122)) | (codes == _SPACE)
    repeat = np.zeros(codes.shape[0], dtype=bool)
    repeat[1:] = (codes[1:] == codes[:-1]) & runnable[1:]
    if not repeat.any():
        return joined
    return codes[~repeat].tobytes().decode("utf-32-le", "surrogatepass")


class Prefilter:
    """``candidates`` maps a text's index to flags: :data:`TERMS` (a default-list key
    occurs) and/or :data:`BLOCKED` (a channel blocked key or pattern occurs)."""

    def __init__(self, keys: Iterable[str], blocked_keys: Iterable[str] = (), sources: Iterable[str] = ()) -> None:
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS, ahocorasick.KEY_STRING)
        flags: dict[str, int] = {}
        for flag, group in ((TERMS, keys), (BLOCKED, blocked_keys)):
            for key in group:
                if key and _SEP not in key:
                    flags[key] = flags.get(key, 0) | flag
        for key, flag in flags.items():
            self._automaton.add_word(key, flag)
        count = len(flags)
        self._has_keys = count > 0
        if self._has_keys:
            self._automaton.make_automaton()
        sources = list(sources)
        self._pattern: re2._Regexp | None = None
        self._all_candidates = False
        if sources:
            if any("\\A" in s or "\\z" in s for s in sources):
                self._all_candidates = True
            else:
                options = re2.Options()
                options.log_errors = False
                options.max_mem = 8 << 20
                try:
                    self._pattern = re2.compile("(?m)" + "|".join(f"(?:{s})" for s in sources), options)
                except re2.error:
                    self._all_candidates = True

    def candidates(self, texts: Sequence[str]) -> dict[int, int]:
        """Index -> flags for the ``texts`` (normalised) that some term or pattern could match."""
        found: dict[int, int] = {}
        if not texts:
            return found
        if self._all_candidates:
            found = dict.fromkeys(range(len(texts)), BLOCKED)
        if self._has_keys:
            skeleton = skeletons_joined(texts)
            hits = list(self._automaton.iter(skeleton))
            if hits:
                owners = _owners(skeleton, [end for end, _ in hits])
                for owner, (_, flag) in zip(owners, hits, strict=True):
                    found[owner] = found.get(owner, 0) | flag
        if self._pattern is not None:
            joined = _SEP.join(texts)
            starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
            for match in self._pattern.finditer(joined):
                first = int(np.searchsorted(starts, match.start(), side="right")) - 1
                last = int(np.searchsorted(starts, max(match.end() - 1, match.start()), side="right")) - 1
                for owner in range(first, last + 1):
                    found[owner] = found.get(owner, 0) | BLOCKED
        return found


def _owners(joined: str, positions: list[int]) -> list[int]:
    """Which text each position of ``joined`` lies in."""
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    separators = np.flatnonzero(codes == _SEP_CODE)
    owners: list[int] = np.searchsorted(separators, np.asarray(positions), side="left").tolist()
    return owners


class JoinedSkeleton:
    """The skeleton of a whole batch of normalised texts, with what exact matching needs.

    ``text`` is the ``\\n``-joined skeleton (as :func:`skeletons_joined`) and ``codes``
    its code points; ``runs[k]`` is the run length of skeleton character ``k`` as
    :meth:`Skeleton.run` gives it (1, 2, or 3 for "elongated"); ``position[k]`` is where
    skeleton character ``k`` stands in the joined normalised texts (one extra entry
    for the end), ``offsets[i]`` where text ``i`` starts there and
    ``skeleton_starts[i]`` where it starts in the skeleton. All are numpy arrays, so
    matchers can map every hit of a batch at once.
    """

    __slots__ = ("codes", "offsets", "position", "runs", "skeleton_starts", "text")

    def __init__(self, texts: Sequence[str], elongated: dict[int, frozenset[int]]) -> None:
        joined = _SEP.join(texts)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        offsets = np.zeros(len(texts), dtype=np.int64)
        if len(texts) > 1:
            np.cumsum(lengths[:-1] + 1, out=offsets[1:])
        self.offsets: npt.NDArray[np.int64] = offsets
        # Runs are of ASCII letters or spaces, so one byte per character (anything beyond
        # Latin-1 as "?") finds them; the skeleton keeps the real characters.
        narrow = np.frombuffer(joined.encode("latin-1", "replace"), dtype=np.uint8)
        ascii_only = joined.isascii()
        codes: Codes = (
            narrow if ascii_only else np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        )
        size = narrow.shape[0]
        letter = (narrow >= 97) & (narrow <= 122)
        repeat = np.zeros(size, dtype=bool)
        np.logical_and(narrow[1:] == narrow[:-1], letter[1:] | (narrow[1:] == _SPACE), out=repeat[1:])
        repeats = bool(repeat.any())
        if not repeats and not elongated:
            self.codes = codes
            self.text = joined
            self.position: npt.NDArray[np.int64] = np.arange(size + 1, dtype=np.int64)
            self.runs: npt.NDArray[np.uint8] = np.ones(size, dtype=np.uint8)
            self.skeleton_starts: npt.NDArray[np.int64] = offsets
            return
        kept = np.flatnonzero(~repeat)
        self.codes = codes[kept]
        if not repeats:
            self.text = joined
        elif ascii_only:
            self.text = self.codes.tobytes().decode("ascii")
        else:
            self.text = self.codes.tobytes().decode("utf-32-le", "surrogatepass")
        self.position = np.append(kept, size)
        # A letter's run is itself plus the repeats after it, capped at 3 ("elongated").
        runs = np.ones(kept.shape[0], dtype=np.uint8)
        repeated = np.flatnonzero(repeat & letter)
        if repeated.shape[0]:
            heads, counts = np.unique(np.searchsorted(kept, repeated) - 1, return_counts=True)
            runs[heads] = np.minimum(counts + 1, 3)
        if elongated:
            starts = offsets.tolist()
            marks = np.array([starts[index] + mark for index, found in elongated.items() for mark in found])
            where = np.minimum(np.searchsorted(kept, marks), kept.shape[0] - 1)
            runs[where[(kept[where] == marks) & letter[marks]]] = 3
        self.runs = runs
        self.skeleton_starts = np.searchsorted(kept, offsets)

    def owner(self, index: int) -> int:
        """Which text skeleton character ``index`` belongs to."""
        return int(np.searchsorted(self.skeleton_starts, index, side="right")) - 1
