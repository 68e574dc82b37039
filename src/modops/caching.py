"""Short-lived, per-process caches for configuration read on every request.

Policies, queues, routing rules, adapters and API tokens are read thousands of times a second
and change rarely. A cache here keeps an entry for a few seconds; a save or delete of the model
in this process clears it at once, and other processes catch up when the entry expires.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from django.db import models
from django.db.models.signals import post_delete, post_save

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_ALL: list[TtlCache[object, object]] = []


class TtlCache(Generic[K, V]):
    def __init__(
        self, name: str, seconds: float, invalidate_on: tuple[type[models.Model], ...] = (), max_entries: int = 10_000
    ) -> None:
        self.name = name
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}
        for model in invalidate_on:
            post_save.connect(self._on_change, sender=model, dispatch_uid=f"cache-{name}-save-{model.__name__}")
            post_delete.connect(self._on_change, sender=model, dispatch_uid=f"cache-{name}-delete-{model.__name__}")
        _ALL.append(self)  # type: ignore[arg-type]

    def _on_change(self, **_: object) -> None:
        self.clear()

    def get(self, key: K, load: Callable[[], V]) -> V:
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (now + self.seconds, value)
        return value

    def pop(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


def clear_all() -> None:
    for cache in _ALL:
        cache.clear()
