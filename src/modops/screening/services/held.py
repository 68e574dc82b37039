"""Held messages: a channel moderator allows or denies them, or they expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from modops.accounts.permissions import Perm
from modops.accounts.services import require
from modops.audit.services import NewEvent, record
from modops.review.services.errors import NotFound
from modops.screening.models import HeldMessage, HeldStatus
from modops.screening.services.channels import StaffUser

MAX_LIST = 500


@dataclass(frozen=True)
class Resolution:
    message_id: str
    status: str
    changed: bool


def held_document(held: HeldMessage) -> dict[str, Any]:
    return {
        "id": held.message_id,
        "channel": held.channel,
        "user": held.user,
        "text": held.text,
        "verdict": held.verdict,
        "status": held.status,
        "held_at": held.held_at,
        "expires_at": held.expires_at,
        "resolved_by": held.resolved_by,
    }


def list_held(
    channel: str, user: StaffUser, status: str = HeldStatus.PENDING, limit: int = 100
) -> list[dict[str, Any]]:
    require(user, Perm.CHANNELS_MODERATE)
    rows = HeldMessage.objects.filter(channel=channel, status=status).order_by("held_at", "id")[: min(limit, MAX_LIST)]
    return [held_document(h) for h in rows]


def resolve_held(
    message_id: str,
    allow: bool,
    moderator: str,
    now: datetime | None = None,
    *,
    actor: str = "",
    user: StaffUser = None,
    check: bool = False,
) -> Resolution:
    """A channel moderator's allow/deny of a held message, audited; expired holds cannot be resolved."""
    if check:
        require(user, Perm.CHANNELS_MODERATE)
    moment = now or timezone.now()
    with transaction.atomic():
        held = HeldMessage.objects.select_for_update().filter(message_id=message_id).first()
        if held is None:
            raise NotFound(f"held message {message_id[:200]}")
        if held.status == HeldStatus.PENDING and held.expires_at <= moment:
            held.status = HeldStatus.EXPIRED
            held.save(update_fields=["status"])
            record([_event(held, actor or "system:screening", "held_message.expired", "")], at=moment)
            return Resolution(held.message_id, held.status, False)
        if held.status != HeldStatus.PENDING:
            return Resolution(held.message_id, held.status, False)
        held.status = HeldStatus.ALLOWED if allow else HeldStatus.DENIED
        held.resolved_by = moderator[:100]
        held.save(update_fields=["status", "resolved_by"])
        verb = "held_message.allowed" if allow else "held_message.denied"
        record([_event(held, actor or f"channel_moderator:{moderator[:100]}", verb, moderator)], at=moment)
    return Resolution(held.message_id, held.status, True)


def _event(held: HeldMessage, actor: str, verb: str, moderator: str) -> NewEvent:
    return NewEvent(
        actor=actor,
        verb=verb,
        subject_kind="chat_message",
        subject_external_id=held.message_id,
        after={"channel": held.channel, "user": held.user, "status": held.status, "moderator_id": moderator},
    )


def expire_held(now: datetime | None = None, batch: int = 1000) -> int:
    """Expire pending holds whose time is up (a worker job; safe to run in many processes)."""
    moment = now or timezone.now()
    with transaction.atomic():
        due = list(
            HeldMessage.objects.select_for_update(skip_locked=True)
            .filter(status=HeldStatus.PENDING, expires_at__lte=moment)
            .order_by("expires_at")[:batch]
        )
        if not due:
            return 0
        HeldMessage.objects.filter(pk__in=[h.pk for h in due]).update(status=HeldStatus.EXPIRED)
        for held in due:
            held.status = HeldStatus.EXPIRED
        record([_event(h, "system:screening", "held_message.expired", "") for h in due], at=moment)
    return len(due)
