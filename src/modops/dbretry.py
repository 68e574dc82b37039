"""Retry a whole transaction when the database aborts it for a deadlock or serialisation failure.

Concurrent intake can take the same rows in different orders (a new account created by two
reports at once); PostgreSQL then aborts one transaction, and running it again is the fix.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection

T = TypeVar("T")

_RETRYABLE_PG = {"40P01", "40001"}  # deadlock_detected, serialization_failure


def _retryable(exc: OperationalError) -> bool:
    cause = exc.__cause__
    code = getattr(cause, "sqlstate", None)
    if code in _RETRYABLE_PG:
        return True
    return "database is locked" in str(exc)


def retrying(work: Callable[[], T], attempts: int = 4) -> T:
    """Run ``work`` (which opens its own transaction); retry it on a deadlock, with jitter."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except OperationalError as exc:
            if connection.in_atomic_block or attempt == attempts or not _retryable(exc):
                raise
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
    raise AssertionError("unreachable")
