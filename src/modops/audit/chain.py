"""Hashing of events: the canonical form that every link of the chain commits to.

A link's hash is SHA-256 over the previous link's hash followed by the event's canonical form: a
JSON object of the event's hashed fields plus its ``seq`` and ``at``, keys sorted, no spaces, text
as UTF-8 (not escaped), anything JSON has no type for written as its ``str``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64

#: One value in canonical JSON.
encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode

HASHED_FIELDS = (
    "actor",
    "verb",
    "subject_kind",
    "subject_external_id",
    "review_item_id",
    "before",
    "after",
    "reason",
)
_KEYS = sorted([*HASHED_FIELDS, "seq", "at"])


def at_text(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def digest(prev_hash: str, seq: int, at: str, encoded: dict[str, str]) -> str:
    """The link's hash, from each hashed field already in canonical JSON (``encoded``) and ``at`` as
    ``at_text`` gives it.

    The object is put together here rather than encoded whole, so that a field encoded for the
    event's row (its ``before`` and ``after``) is not encoded a second time for its hash; the bytes
    are those of encoding the whole object with ``encode``.
    """
    values = {**encoded, "seq": str(seq), "at": encode(at)}
    body = "{" + ",".join([f'"{key}":{values[key]}' for key in _KEYS]) + "}"
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def link_hash(prev_hash: str, seq: int, at: datetime, fields: dict[str, Any]) -> str:
    """The link's hash of an event whose hashed fields are ``fields`` (plain values)."""
    return digest(prev_hash, seq, at_text(at), {name: encode(value) for name, value in fields.items()})
