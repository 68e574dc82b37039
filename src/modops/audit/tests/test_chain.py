"""The chain's hash format: every link ever written must keep verifying."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from modops.audit.chain import HASHED_FIELDS, link_hash

_FIELDS = {
    "actor": "staff:lead",
    "verb": "decision.made",
    "subject_kind": "chat_message",
    "subject_external_id": 'msg_ü"1',
    "review_item_id": "12345678-1234-5678-1234-567812345678",
    "before": {"status": "claimed", "version": 2},
    "after": {
        "action": {"type": "timeout", "duration_seconds": 600},
        "policy": "harassment",
        "b": [1, None, True, 1.5],
    },
    "reason": "said 'x' — 𝔘",
}


def test_a_known_event_hashes_as_it_always_has():
    at = datetime(2026, 12, 6, 23, 59, 58, 123456, tzinfo=UTC)
    assert link_hash("ab" * 32, 42, at, _FIELDS) == "acebfdd7ee1913e89a4b6ba8f76fbcd508c4c0b7451346dfb36e961665bdf6b1"


def _documented(prev: str, seq: int, at: datetime, fields: dict[str, Any]) -> str:
    body = {"seq": seq, "at": at.isoformat(timespec="microseconds"), **fields}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(prev.encode() + text.encode()).hexdigest()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(
    prev=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    seq=st.integers(min_value=1, max_value=2**62),
    at=st.datetimes(timezones=st.just(UTC)),
    texts=st.lists(st.text(), min_size=6, max_size=6),
    item=st.none() | st.uuids().map(str),
    before=st.dictionaries(st.text(max_size=10), _json, max_size=5),
    after=st.dictionaries(st.text(max_size=10), _json, max_size=5),
)
def test_a_links_hash_is_sha256_of_the_previous_hash_and_the_events_sorted_compact_json(
    prev, seq, at, texts, item, before, after
):
    actor, verb, kind, external_id, reason, _ = texts
    fields = dict(zip(HASHED_FIELDS, [actor, verb, kind, external_id, item, before, after, reason], strict=True))
    assert link_hash(prev, seq, at, fields) == _documented(prev, seq, at, fields)
