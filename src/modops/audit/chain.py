"""Hashing of events: the canonical form that every link of the chain commits to."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def link_hash(prev_hash: str, seq: int, at: datetime, fields: dict[str, Any]) -> str:
    body = {"seq": seq, "at": at.isoformat(timespec="microseconds"), **fields}
    return hashlib.sha256(prev_hash.encode() + canonical(body)).hexdigest()
