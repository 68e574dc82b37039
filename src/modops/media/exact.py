"""Exact-match index for file digests."""

from __future__ import annotations

import threading


class ExactIndex:
    """Exact-match index for digests (MD5, SHA-256): normalised hex → entry ids."""

    def __init__(self) -> None:
        self._entries: dict[str, set[int]] = {}
        self._by_id: dict[int, str] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, digest: str, entry_id: int) -> None:
        key = digest.strip().lower()
        with self._lock:
            if entry_id in self._by_id:
                raise ValueError(f"entry id {entry_id} is already in the index")
            self._entries.setdefault(key, set()).add(entry_id)
            self._by_id[entry_id] = key

    def remove(self, entry_id: int) -> bool:
        with self._lock:
            key = self._by_id.pop(entry_id, None)
            if key is None:
                return False
            ids = self._entries[key]
            ids.discard(entry_id)
            if not ids:
                del self._entries[key]
            return True

    def query(self, digest: str) -> list[tuple[int, int]]:
        ids = self._entries.get(digest.strip().lower(), ())
        return [(entry_id, 0) for entry_id in sorted(ids)]
