"""Writing and checking the moderation event log."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from modops.audit.chain import GENESIS, at_text, digest, encode, link_hash
from modops.audit.models import ChainHead, Event
from modops.statements import Rows, Statements


def require_transaction() -> None:
    """Services that change state refuse to run outside a transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("state changes must run inside transaction.atomic()")


_HEAD_LOCK = "SELECT seq, hash FROM audit_chainhead WHERE id = 1 FOR UPDATE"
_HEAD_MOVE = "UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1"


@dataclass
class NewEvent:
    actor: str
    verb: str
    subject_kind: str = ""
    subject_external_id: str = ""
    review_item_id: uuid.UUID | None = None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    @classmethod
    def about_item(
        cls,
        item: Any,
        actor: str,
        verb: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str = "",
    ) -> NewEvent:
        """An event about a review item (anything with ``id`` and a ``subject``), filed under its subject."""
        return cls(
            actor=actor,
            verb=verb,
            subject_kind=item.subject.kind,
            subject_external_id=item.subject.external_id,
            review_item_id=item.id,
            before=before or {},
            after=after or {},
            reason=reason,
        )

    def hashed_fields(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "verb": self.verb,
            "subject_kind": self.subject_kind,
            "subject_external_id": self.subject_external_id,
            "review_item_id": str(self.review_item_id) if self.review_item_id else None,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
        }


def _fields_of(event: Event) -> dict[str, Any]:
    return NewEvent(
        actor=event.actor,
        verb=event.verb,
        subject_kind=event.subject_kind,
        subject_external_id=event.subject_external_id,
        review_item_id=event.review_item_id,
        before=event.before,
        after=event.after,
        reason=event.reason,
    ).hashed_fields()


def record(events: Iterable[NewEvent], at: datetime | None = None) -> list[Link]:
    """Append events to the log, chained, in the caller's transaction.

    Call it last in a service: the chain head's row lock is held until commit, so the shorter the
    rest of the transaction after it, the more writers the log sustains.
    """
    pending = list(events)
    if not pending:
        require_transaction()
        return []
    return record_with(Statements(), lambda _: pending, at)[1]


def record_with(
    writes: Statements,
    build: Callable[[list[Rows]], Iterable[NewEvent]],
    at: datetime | None = None,
    *,
    last: bool = False,
) -> tuple[list[Rows], list[Link]]:
    """Run ``writes``, then append the events ``build`` makes from their results; last in a service.

    On PostgreSQL the writes travel with the lock on the chain head, and the events with the head's
    move: two round trips whatever the number of writes and events. ``last``: nothing follows in
    the caller's transaction, so when that transaction is the outermost one its COMMIT travels with
    the events too (one round trip fewer on the hot paths). Returns the writes' results and the
    events appended.
    """
    require_transaction()
    when = at or timezone.now()
    if connection.vendor != "postgresql":
        results = writes.run()
        pending = list(build(results))
        if not pending:
            return results, []
        head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
        return results, _append(pending, when, (head.seq, head.hash))
    at_head = writes.add(_HEAD_LOCK, prepare=True)
    results = writes.run()
    locked, results = results[at_head], results[:at_head]
    pending = list(build(results))
    if not pending:
        return results, []
    return results, _append(pending, when, locked[0] if locked else None, last and _outermost())


def lock_head(batch: Statements) -> int | None:
    """Queue the chain head's lock in ``batch``, for ``append_with``; returns its place in the
    batch's results, or None where there is nothing to queue (SQLite serialises writers anyway).

    The lock orders every writer of the log until this transaction ends: queue it with the
    transaction's last read, not earlier.
    """
    if connection.vendor != "postgresql":
        return None
    return batch.add(_HEAD_LOCK, prepare=True)


def append_with(
    writes: Statements,
    events: list[NewEvent],
    head: Rows | None,
    settle: Callable[[list[Rows]], None] | None = None,
    at: datetime | None = None,
    *,
    last: bool = False,
) -> tuple[list[Rows], list[Link]]:
    """Run ``writes`` and append ``events``: one round trip on PostgreSQL, with the head locked already.

    ``head``: what ``lock_head``'s statement read earlier in this transaction. With it, the events
    are complete before the writes run, and their rows, the head's move and (``last``, as for
    ``record_with``) the COMMIT travel with the writes. Without it (SQLite, or a log with no head
    yet), the writes run first and ``settle`` sees their results (ids the database gave) before
    the events are chained.
    """
    if not head:

        def settled(results: list[Rows]) -> list[NewEvent]:
            if settle is not None:
                settle(results)
            return events

        return record_with(writes, settled, at, last=last)
    require_transaction()
    if not events:
        return writes.run(), []
    count = len(writes)
    seq, prev = head[0]
    rows, links = _chain(events, at or timezone.now(), prev, seq)
    writes.insert_values(Event, rows, prepare=True)
    writes.add(_HEAD_MOVE, [*links[-1]], prepare=True)
    if last and _outermost():
        writes.add("COMMIT")
    return writes.run()[:count], links


def _outermost() -> bool:
    """In a service's own outermost atomic block: committing now ends exactly that block's work."""
    blocks = connection.atomic_blocks
    return (
        len(blocks) == 1
        and not getattr(blocks[0], "_from_testcase", False)
        and connection.commit_on_exit
        and not connection.needs_rollback
    )


_ITEM_ID = Event._meta.get_field("review_item_id")


class Link(NamedTuple):
    """An event as appended: its place in the chain and its hash."""

    seq: int
    hash: str


def _append(pending: list[NewEvent], when: datetime, head: tuple[Any, ...] | None, commit: bool = False) -> list[Link]:
    """Insert the events and move the head, in one round trip on PostgreSQL (the head is locked already).

    ``commit``: end the transaction in the same round trip; the atomic block's own COMMIT then
    finds nothing left to do.
    """
    if head is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_chainhead (id, seq, hash) VALUES (1, 0, %s) ON CONFLICT DO NOTHING", [GENESIS]
            )
            cursor.execute(_HEAD_LOCK)
            head = cursor.fetchone()
            assert head is not None
    rows, links = _chain(pending, when, head[1], head[0])
    tail = Statements()
    tail.insert_values(Event, rows, prepare=True)
    tail.add(_HEAD_MOVE, [*links[-1]], prepare=True)
    if commit:
        tail.add("COMMIT")
    tail.run()
    return links


def _chain(pending: list[NewEvent], when: datetime, prev: str, seq: int) -> tuple[list[tuple[Any, ...]], list[Link]]:
    """The events' rows in the database's form (in ``Event``'s field order) and their links.

    Rows are built straight from the events, without model instances: a decision appends several
    events, and this is its hot path. Each row lists ``Event``'s fields in the model's order, as
    ``Statements.insert_values`` wants them (a new field makes every append fail until it is added
    here). JSON travels as text, which both databases take for a JSON column; it is the text the
    hash covers, encoded once for both.
    """
    at = connection.ops.adapt_datetimefield_value(when)
    at_hashed = at_text(when)
    rows, links = [], []
    for new in pending:
        seq += 1
        encoded = {name: encode(value) for name, value in new.hashed_fields().items()}
        link = digest(prev, seq, at_hashed, encoded)
        rows.append(
            (
                seq,
                at,
                new.actor,
                new.verb,
                new.subject_kind,
                new.subject_external_id,
                _ITEM_ID.get_db_prep_value(new.review_item_id, connection),
                encoded["before"],
                encoded["after"],
                new.reason,
                prev,
                link,
            )
        )
        links.append(Link(seq, link))
        prev = link
    return rows, links


def record_one(event: NewEvent, at: datetime | None = None) -> Link:
    return record([event], at)[0]


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None


def _iter_events(batch: int = 5000) -> Iterator[Event]:
    last = 0
    while True:
        chunk = list(Event.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


def verify() -> VerifyResult:
    """Recompute the chain; report the first altered, missing or reordered event."""
    with transaction.atomic():
        head = ChainHead.objects.filter(id=1).first()
        prev, expected, checked = GENESIS, 1, 0
        for event in _iter_events():
            if event.seq != expected:
                return VerifyResult(False, checked, f"event #{expected} is missing", expected)
            if event.prev_hash != prev:
                return VerifyResult(False, checked, f"event #{event.seq} does not link to its predecessor", event.seq)
            digest = link_hash(prev, event.seq, event.at, _fields_of(event))
            if digest != event.hash:
                return VerifyResult(False, checked, f"event #{event.seq} was altered", event.seq)
            prev, expected, checked = digest, expected + 1, checked + 1
        head_seq = head.seq if head else 0
        head_hash = head.hash if head else GENESIS
        if head_seq != checked or head_hash != prev:
            return VerifyResult(
                False, checked, f"the log ends at #{checked} but its head says #{head_seq}", checked + 1
            )
    return VerifyResult(True, checked)


def events_for_subject(kind: str, external_id: str, limit: int = 500) -> list[Event]:
    return list(Event.objects.filter(subject_kind=kind, subject_external_id=external_id).order_by("seq")[:limit])
