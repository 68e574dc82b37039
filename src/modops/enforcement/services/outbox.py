"""The outbox: side effects written with the change that causes them, delivered after commit.

Delivery claims due rows in a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), marks
them ``delivering`` with a lock deadline, calls the adapter outside any transaction, then records
the outcome. Two workers never hold the same row; a worker that dies mid-delivery leaves a lock
that runs out, and the row is retried with the same idempotency key.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from modops.audit.services import NewEvent, record, require_transaction
from modops.caching import TtlCache
from modops.enforcement.adapters import DeliveryError, adapter_for
from modops.enforcement.models import Action, Adapter, OutboxMessage, OutboxStatus
from modops.statements import Statements

log = logging.getLogger(__name__)
_adapters: TtlCache[str, list[Adapter]] = TtlCache("adapters", 10.0, invalidate_on=(Adapter,))

DELIVERY_LOCK_SECONDS = 60
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 3600.0


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter, capped."""
    return random.uniform(0.5, 1.0) * min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS**attempts)


def action_payload(action: Action, topic: str, extra: dict[str, object]) -> dict[str, object]:
    return {
        "topic": topic,
        "action": {
            "id": str(action.id),
            "type": action.type,
            "duration_seconds": action.duration_seconds,
            "starts_at": action.starts_at.isoformat(),
            "ends_at": action.ends_at.isoformat() if action.ends_at else None,
            "automated": action.automated,
            "policy": action.policy.code if action.policy else None,
            "channel_id": action.channel_external_id or None,
        },
        "target": {"kind": action.subject.kind, "id": action.subject.external_id},
        "subject": extra,
        "notice": action.notice,
    }


def enqueue(
    action: Action, topic: str, extra: dict[str, object], writes: Statements | None = None
) -> list[OutboxMessage]:
    """One outbox row per enabled adapter, in the caller's transaction (queued in ``writes`` if given)."""
    require_transaction()
    now = timezone.now()
    payload = action_payload(action, topic, extra)
    rows = [
        OutboxMessage(
            adapter=adapter,
            topic=topic,
            action=action,
            payload=payload,
            idempotency_key=f"{action.id}:{topic}:{adapter.name}",
            next_attempt_at=now,
        )
        for adapter in _adapters.get("enabled", lambda: list(Adapter.objects.filter(enabled=True)))
    ]
    if writes is None:
        return OutboxMessage.objects.bulk_create(rows)
    if rows:
        writes.insert(rows, prepare=True)
    return rows


def _claim(batch: int, now: datetime) -> list[OutboxMessage]:
    with transaction.atomic():
        due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
            status=OutboxStatus.DELIVERING, locked_until__lt=now
        )
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("adapter")
            .filter(due)
            .order_by("next_attempt_at", "id")[:batch]
        )
        for row in rows:
            row.status = OutboxStatus.DELIVERING
            row.locked_until = now + timedelta(seconds=DELIVERY_LOCK_SECONDS)
            row.attempts += 1
        OutboxMessage.objects.bulk_update(rows, ["status", "locked_until", "attempts"])
    return rows


def _finish(row: OutboxMessage, error: DeliveryError | None) -> None:
    now = timezone.now()
    with transaction.atomic():
        # Only the holder of the lock may record the outcome.
        current = OutboxMessage.objects.select_for_update().filter(pk=row.pk, status=OutboxStatus.DELIVERING).first()
        if current is None or current.attempts != row.attempts:
            return
        if error is None:
            current.status = OutboxStatus.DELIVERED
            current.delivered_at = now
            current.last_error = ""
            verb = "outbox.delivered"
        elif error.retryable and current.attempts < settings.MODOPS_OUTBOX_MAX_ATTEMPTS:
            current.status = OutboxStatus.PENDING
            current.next_attempt_at = now + timedelta(seconds=backoff_seconds(current.attempts))
            current.last_error = str(error)[:2000]
            verb = ""
        else:
            current.status = OutboxStatus.DEAD
            current.last_error = str(error)[:2000]
            verb = "outbox.dead_lettered"
        current.locked_until = None
        current.save(update_fields=["status", "delivered_at", "last_error", "next_attempt_at", "locked_until"])
        if verb:
            target = row.payload.get("target", {})
            record(
                [
                    NewEvent(
                        actor="system:worker",
                        verb=verb,
                        subject_kind=str(target.get("kind", "")),
                        subject_external_id=str(target.get("id", "")),
                        after={
                            "outbox_id": row.pk,
                            "adapter": row.adapter.name,
                            "topic": row.topic,
                            "attempts": row.attempts,
                        },
                        reason=current.last_error,
                    )
                ]
            )


def deliver_due(batch: int = 50, now: datetime | None = None) -> int:
    """Deliver what is due; return how many rows were attempted."""
    rows = _claim(batch, now or timezone.now())
    for row in rows:
        try:
            adapter_for(row.adapter).deliver(row)
        except DeliveryError as exc:
            log.warning("delivery failed", extra={"data": {"outbox_id": row.pk, "error": str(exc)}})
            _finish(row, exc)
        except Exception as exc:  # an adapter bug must not kill the worker or lose the row
            log.exception("adapter crashed", extra={"data": {"outbox_id": row.pk}})
            _finish(row, DeliveryError(f"adapter error: {exc!r}", retryable=True))
        else:
            _finish(row, None)
    return len(rows)


def retry(message: OutboxMessage) -> None:
    """Put a dead-lettered message back in line (from the admin)."""
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.DEAD).update(
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
