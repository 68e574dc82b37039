"""The per-process match index: built aside from the database, swapped in when banks change.

Every bank change bumps one counter row (``IndexGeneration``) in its own transaction. Each lookup
reads that row (one indexed primary-key query) and, when it moved, one request rebuilds a new
``SignalIndexSet`` while the others keep matching on the old one; the new index is swapped in
with a single assignment. Only the very first build in a process makes requests wait.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from modops.hashbanks.models import Bank, BankEntry, BankKind, IndexGeneration
from modops.media.matching import BankConfig, SignalIndexSet
from modops.media.signals import SignalType

log = logging.getLogger(__name__)

#: The widest per-bank PDQ threshold; the shared index is built for it.
MAX_PDQ_THRESHOLD = 31
_SIGNAL_TYPES = {t.value: t for t in SignalType}


@dataclass(frozen=True)
class LoadedIndex:
    generation: tuple[int, str]
    index: SignalIndexSet
    banks: dict[str, int]
    """Bank name → bank id, for the banks in this index."""
    entries: int


def current_generation() -> tuple[int, str]:
    row = IndexGeneration.objects.filter(pk=1).values_list("value", "token").first()
    return (int(row[0]), str(row[1])) if row else (0, "")


def build_index() -> LoadedIndex:
    """Load every enabled hash of every enabled bank into a new index (nothing shared is touched)."""
    generation = current_generation()
    index = SignalIndexSet(max_pdq_threshold=MAX_PDQ_THRESHOLD)
    banks: dict[str, int] = {}
    total = 0
    for bank in Bank.objects.filter(enabled=True).order_by("id"):
        suppresses = frozenset(str(b) for b in bank.suppresses) if bank.kind == BankKind.SUPPRESSION else None
        index.set_bank(
            BankConfig(
                name=bank.name,
                pdq_threshold=bank.pdq_threshold,
                quality_floor=bank.quality_floor,
                enabled_ratio=bank.enabled_ratio,
                suppresses=suppresses,
            )
        )
        banks[bank.name] = bank.pk
        rows = BankEntry.objects.filter(bank=bank, enabled=True).values_list("id", "signal_type", "signal")
        batch: list[tuple[SignalType, str, dict[str, str]]] = []
        for entry_id, signal_type, signal in rows.iterator(chunk_size=20_000):
            batch.append((_SIGNAL_TYPES[signal_type], signal, {"entry_id": str(entry_id)}))
            if len(batch) >= 20_000:
                index.add_many(bank.name, batch, background_rebuild=False, trusted=True)
                total += len(batch)
                batch = []
        if batch:
            index.add_many(bank.name, batch, background_rebuild=False, trusted=True)
            total += len(batch)
    index.rebuild()
    return LoadedIndex(generation, index, banks, total)


class _Holder:
    def __init__(self) -> None:
        self.loaded: LoadedIndex | None = None
        self.lock = threading.Lock()


_holder = _Holder()


def current_index() -> LoadedIndex:
    """The index for the banks as they are now, rebuilding it aside if they changed."""
    generation = current_generation()
    loaded = _holder.loaded
    if loaded is not None and loaded.generation == generation:
        return loaded
    # Someone else is already rebuilding: keep matching on the previous index meanwhile.
    if loaded is not None and not _holder.lock.acquire(blocking=False):
        return loaded
    if loaded is None:
        _holder.lock.acquire()
    try:
        loaded = _holder.loaded
        if loaded is not None and loaded.generation == current_generation():
            return loaded
        started = time.perf_counter()
        fresh = build_index()
        _holder.loaded = fresh
        log.info(
            "hash index rebuilt",
            extra={"entries": fresh.entries, "banks": len(fresh.banks), "seconds": time.perf_counter() - started},
        )
        return fresh
    finally:
        _holder.lock.release()


def forget_index() -> None:
    """Drop this process's index (tests, and after a database switch)."""
    _holder.loaded = None
