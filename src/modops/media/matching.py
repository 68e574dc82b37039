"""Match media hashes against banks of known content.

A *bank* is a named list of hash signals (PDQ, MD5, SHA-256, video MD5/SHA-256, vPDQ)
with metadata per entry. :class:`SignalIndexSet` indexes every bank at once (one PDQ
index for photos, one for video frames, one dict per digest type) and applies each
bank's own settings at lookup time:

- ``pdq_threshold``: the largest PDQ distance that counts as a match (at most the
  set's ``max_pdq_threshold``, which the shared index is built for);
- ``quality_floor``: PDQ hashes (and vPDQ frames) of this quality or lower are ignored;
- ``enabled_ratio``: the share of content the bank is tried on, decided by a hash of
  the bank name and the content, so the same content always gets the same answer;
- ``suppresses``: a false-positive bank; when it matches, hits from the banks it names
  (all other banks when empty) are cancelled.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .hashing import ImageHashes, VideoHashes
from .index import DEFAULT_PDQ_THRESHOLD, ExactIndex, PdqIndex
from .signals import SignalType, validate_signal

DEFAULT_QUALITY_FLOOR = 49
DEFAULT_VPDQ_MATCH_PERCENT = 80.0
_REBUILD_AFTER = 4096


@dataclass(frozen=True, slots=True)
class BankConfig:
    name: str
    pdq_threshold: int = DEFAULT_PDQ_THRESHOLD
    quality_floor: int = DEFAULT_QUALITY_FLOOR
    enabled_ratio: float = 1.0
    suppresses: frozenset[str] | None = None
    """``None``: an ordinary bank. A set: a false-positive bank cancelling hits from
    those banks (the empty set meaning every other bank)."""
    vpdq_match_percent: float = DEFAULT_VPDQ_MATCH_PERCENT

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("bank name must not be empty")
        if not 0.0 <= self.enabled_ratio <= 1.0:
            raise ValueError(f"enabled_ratio must be in [0, 1], got {self.enabled_ratio}")
        if not 0 <= self.pdq_threshold < 256:
            raise ValueError(f"pdq_threshold must be in [0, 256), got {self.pdq_threshold}")
        if not -1 <= self.quality_floor <= 100:
            # -1 accepts every hash, including quality 0.
            raise ValueError(f"quality_floor must be in [-1, 100], got {self.quality_floor}")

    def is_enabled_for(self, content_key: str) -> bool:
        if self.enabled_ratio >= 1.0:
            return True
        digest = hashlib.sha256(f"{self.name}\x00{content_key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.enabled_ratio


@dataclass(frozen=True, slots=True)
class Match:
    bank: str
    signal_type: SignalType
    distance: int
    """PDQ bits apart; 0 for exact digests; for vPDQ, 100 minus the percentage of the
    query's frames that matched, rounded up."""
    entry_id: int
    signal: str
    metadata: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class LookupResult:
    matches: tuple[Match, ...]
    suppressed: tuple[Match, ...] = ()
    """Hits cancelled by a false-positive bank."""
    suppressing: tuple[Match, ...] = ()
    """The false-positive bank hits that cancelled them."""


@dataclass(frozen=True, slots=True)
class _Entry:
    bank: str
    signal_type: SignalType
    signal: str
    metadata: Mapping[str, str]


@dataclass(slots=True)
class _Query:
    pdq: list[tuple[str, int]] = field(default_factory=list)
    exact: list[tuple[SignalType, str]] = field(default_factory=list)
    vpdq_frames: list[tuple[str, int]] = field(default_factory=list)
    content_key: str = ""


class SignalIndexSet:
    """All banks' signals, indexed together; safe for concurrent lookups and edits."""

    def __init__(self, max_pdq_threshold: int = DEFAULT_PDQ_THRESHOLD) -> None:
        self.max_pdq_threshold = max_pdq_threshold
        self._banks: dict[str, BankConfig] = {}
        self._entries: dict[int, _Entry] = {}
        self._pdq = PdqIndex(max_pdq_threshold)
        self._frames = PdqIndex(max_pdq_threshold)
        self._frame_owner: dict[int, int] = {}
        self._frames_of: dict[int, list[int]] = {}
        self._exact: dict[SignalType, ExactIndex] = {t: ExactIndex() for t in SignalType if t.is_exact}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    # -- banks ------------------------------------------------------------------

    def set_bank(self, config: BankConfig) -> None:
        """Add a bank or change its settings (entries are kept)."""
        if config.pdq_threshold > self.max_pdq_threshold:
            raise ValueError(
                f"bank {config.name!r} threshold {config.pdq_threshold} exceeds the "
                f"index maximum {self.max_pdq_threshold}"
            )
        with self._lock:
            self._banks[config.name] = config

    def bank(self, name: str) -> BankConfig:
        return self._banks[name]

    @property
    def banks(self) -> Mapping[str, BankConfig]:
        return MappingProxyType(self._banks)

    def remove_bank(self, name: str) -> int:
        """Drop a bank and all its entries; returns how many entries went."""
        with self._lock:
            doomed = [i for i, e in self._entries.items() if e.bank == name]
            for entry_id in doomed:
                self.remove(entry_id)
            self._banks.pop(name, None)
            return len(doomed)

    # -- entries ----------------------------------------------------------------

    def add(
        self,
        bank: str,
        signal_type: SignalType,
        signal: str,
        metadata: Mapping[str, str] | None = None,
    ) -> int:
        """Index one signal in ``bank``; returns its entry id."""
        return self.add_many(bank, [(signal_type, signal, metadata or {})])[0]

    def add_many(
        self,
        bank: str,
        entries: Iterable[tuple[SignalType, str, Mapping[str, str]]],
        *,
        background_rebuild: bool = True,
        trusted: bool = False,
    ) -> list[int]:
        """Validate all entries first, then index them; nothing is added on error.

        ``trusted=True`` skips validation for signals that were validated when they were
        stored (loading a bank from its database); they must already be normalised.

        With ``background_rebuild=False`` a large addition is not folded in by a background
        thread: the caller (loading a whole index aside) calls :meth:`rebuild` once at the end.
        """
        if bank not in self._banks:
            raise KeyError(f"unknown bank {bank!r}")
        prepared = [
            (signal_type, signal if trusted else validate_signal(signal_type, signal), dict(metadata))
            for signal_type, signal, metadata in entries
        ]
        with self._lock:
            ids: list[int] = []
            pdq_hashes: list[str] = []
            pdq_ids: list[int] = []
            for signal_type, signal, metadata in prepared:
                entry_id = next(self._ids)
                ids.append(entry_id)
                self._entries[entry_id] = _Entry(bank, signal_type, signal, MappingProxyType(metadata))
                if signal_type is SignalType.PDQ:
                    pdq_hashes.append(signal)
                    pdq_ids.append(entry_id)
                elif signal_type is SignalType.VPDQ:
                    self._add_frames(entry_id, signal)
                else:
                    self._exact[signal_type].add(signal, entry_id)
            if pdq_hashes:
                self._pdq.add_many(pdq_hashes, pdq_ids)
            if background_rebuild:
                self._maybe_rebuild()
            return ids

    def _add_frames(self, entry_id: int, signal: str) -> None:
        from threatexchange.extensions.vpdq.vpdq_util import json_to_vpdq

        hashes = sorted({f.pdq_hex for f in json_to_vpdq(signal)})
        frame_ids = [next(self._ids) for _ in hashes]
        for frame_id in frame_ids:
            self._frame_owner[frame_id] = entry_id
        self._frames_of[entry_id] = frame_ids
        if hashes:
            self._frames.add_many(hashes, frame_ids)

    def remove(self, entry_id: int) -> bool:
        with self._lock:
            entry = self._entries.pop(entry_id, None)
            if entry is None:
                return False
            if entry.signal_type is SignalType.PDQ:
                self._pdq.remove(entry_id)
            elif entry.signal_type is SignalType.VPDQ:
                for frame_id in self._frames_of.pop(entry_id, []):
                    self._frames.remove(frame_id)
                    self._frame_owner.pop(frame_id, None)
            else:
                self._exact[entry.signal_type].remove(entry_id)
            return True

    def __len__(self) -> int:
        return len(self._entries)

    def _maybe_rebuild(self) -> None:
        for index in (self._pdq, self._frames):
            if index.pending > _REBUILD_AFTER:
                index.rebuild_in_background()

    def rebuild(self) -> None:
        """Fold recent additions into the fast index structures (lookups continue)."""
        self._pdq.rebuild()
        self._frames.rebuild()

    # -- lookup -----------------------------------------------------------------

    def lookup(self, hashes: ImageHashes | VideoHashes | Mapping[SignalType, str]) -> list[Match]:
        """Matches after thresholds, quality floors, ratios and suppression."""
        return list(self.lookup_detailed(hashes).matches)

    def lookup_detailed(self, hashes: ImageHashes | VideoHashes | Mapping[SignalType, str]) -> LookupResult:
        query = _to_query(hashes)
        raw: list[tuple[Match, int]] = []  # (match, quality of the query hash)
        for pdq, quality in query.pdq:
            for entry_id, distance in self._pdq.query(pdq):
                raw.append((self._match(entry_id, distance), quality))
        for signal_type, digest in query.exact:
            for entry_id, distance in self._exact[signal_type].query(digest):
                raw.append((self._match(entry_id, distance), 100))
        raw.extend((m, 100) for m in self._vpdq_matches(query.vpdq_frames))

        hits: list[Match] = []
        for match, quality in raw:
            config = self._banks.get(match.bank)
            if config is None or not config.is_enabled_for(query.content_key):
                continue
            if match.signal_type is SignalType.PDQ and (
                quality <= config.quality_floor or match.distance > config.pdq_threshold
            ):
                continue
            hits.append(match)
        return _suppress(hits, self._banks)

    def _match(self, entry_id: int, distance: int) -> Match:
        entry = self._entries[entry_id]
        return Match(entry.bank, entry.signal_type, distance, entry_id, entry.signal, entry.metadata)

    def _vpdq_matches(self, frames: list[tuple[str, int]]) -> list[Match]:
        if not frames:
            return []
        from threatexchange.extensions.vpdq.vpdq import VPDQSignal
        from threatexchange.extensions.vpdq.vpdq_util import (
            VpdqCompactFeature,
            vpdq_to_json,
        )

        candidates: set[int] = set()
        for pdq, _quality in frames:
            for frame_id, _distance in self._frames.query(pdq):
                owner = self._frame_owner.get(frame_id)
                if owner is not None:
                    candidates.add(owner)
        matches: list[Match] = []
        for entry_id in sorted(candidates):
            entry = self._entries.get(entry_id)
            config = self._banks.get(entry.bank) if entry else None
            if entry is None or config is None:
                continue
            usable = [
                VpdqCompactFeature(pdq, quality, float(n))
                for n, (pdq, quality) in enumerate(frames)
                if quality > config.quality_floor
            ]
            if not usable:
                continue
            # threatexchange's own comparison decides; the index only finds candidates.
            result = VPDQSignal.compare_hash(
                vpdq_to_json(usable),
                entry.signal,
                query_match_pct_thresh=config.vpdq_match_percent,
            )
            if result.match:
                percent = getattr(result.distance, "query_match_percent", 100.0)
                matches.append(self._match(entry_id, math.ceil(100.0 - percent)))
        return matches


def _to_query(hashes: ImageHashes | VideoHashes | Mapping[SignalType, str]) -> _Query:
    query = _Query()
    if isinstance(hashes, ImageHashes):
        query.pdq.append((hashes.pdq, hashes.pdq_quality))
        query.exact += [(SignalType.MD5, hashes.md5), (SignalType.SHA256, hashes.sha256)]
        query.content_key = hashes.sha256
    elif isinstance(hashes, VideoHashes):
        query.vpdq_frames = [(f.pdq, f.quality) for f in hashes.frames]
        query.exact += [
            (SignalType.VIDEO_MD5, hashes.md5),
            (SignalType.VIDEO_SHA256, hashes.sha256),
        ]
        query.content_key = hashes.sha256
    else:
        for signal_type, value in hashes.items():
            signal = validate_signal(signal_type, value)
            if signal_type is SignalType.PDQ:
                # A bare hash carries no quality: treat it as fully usable.
                query.pdq.append((signal, 100))
            elif signal_type is SignalType.VPDQ:
                from threatexchange.extensions.vpdq.vpdq_util import json_to_vpdq

                query.vpdq_frames = [(f.pdq_hex, f.quality) for f in json_to_vpdq(signal)]
            else:
                query.exact.append((signal_type, signal))
        query.content_key = "\x00".join(f"{k}={v}" for k, v in sorted(hashes.items()))
    return query


def _suppress(hits: list[Match], banks: Mapping[str, BankConfig]) -> LookupResult:
    suppressing = [m for m in hits if banks[m.bank].suppresses is not None]
    ordinary = [m for m in hits if banks[m.bank].suppresses is None]
    cancelled: set[str] = set()
    cancel_all = False
    for match in suppressing:
        targets = banks[match.bank].suppresses or frozenset()
        if targets:
            cancelled |= targets
        else:
            cancel_all = True
    kept = [m for m in ordinary if not cancel_all and m.bank not in cancelled]
    dropped = [m for m in ordinary if cancel_all or m.bank in cancelled]
    order = lambda m: (m.distance, m.bank, m.entry_id)  # noqa: E731
    return LookupResult(
        matches=tuple(sorted(kept, key=order)),
        suppressed=tuple(sorted(dropped, key=order)),
        suppressing=tuple(sorted(suppressing, key=order)),
    )
