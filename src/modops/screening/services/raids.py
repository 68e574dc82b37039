"""Raid incidents from the chat path, and the one-call lockdown that answers them."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

from modops.accounts.permissions import Perm
from modops.accounts.services import require
from modops.audit.services import NewEvent, record
from modops.review.services.errors import NotFound
from modops.screening.models import RaidIncident
from modops.screening.services.channels import StaffUser, update_chat_modes
from modops.text.raid import RaidDetector

if TYPE_CHECKING:
    from modops.screening.services.pipeline import FirstSeen, Incoming

log = logging.getLogger("modops.screening")

#: The lockdown: follower-only for accounts that followed a week ago or more (raid accounts are
#: fresh), slow mode, and Shield Mode.
LOCKDOWN = {
    "follower_mode": True,
    "follower_mode_duration": 10_080,
    "slow_mode": True,
    "slow_mode_wait_time": 30,
    "shield_mode": True,
}
DETECTOR = RaidDetector()


def observe_raids(
    messages: Sequence[Incoming], now: datetime, first_seen: FirstSeen, detector: RaidDetector | None = None
) -> list[RaidIncident]:
    """Feed channel messages to the (per-process) detector; record the incidents it raises."""
    detector = detector or DETECTOR
    stamp = now.timestamp()
    found = []
    for message in messages:
        if not message.channel or not message.user:
            continue
        first = message.first_time
        if first is None:
            first = first_seen.first_time(message.channel, message.user, stamp)
        incident = detector.observe(
            message.channel,
            message.user,
            message.text[:2_000],
            stamp,
            first_time=first,
            account_created_at=message.account_created_at,
        )
        if incident is not None:
            found.append(incident)
    return [
        record_incident(
            i.channel, i.campaign_id, sorted(i.accounts), i.sample, list(i.recommended_lockdown), i.started_at, now
        )
        for i in found
    ]


def record_incident(
    channel: str, campaign: str, accounts: list[str], sample: str, lockdown: list[str], started: float, now: datetime
) -> RaidIncident:
    with transaction.atomic():
        incident = RaidIncident.objects.create(
            channel=channel[:100],
            campaign_id=campaign[:100],
            accounts=accounts[:1000],
            sample=sample[:2000].replace("\x00", "\ufffd"),
            recommended_lockdown=lockdown,
            started_at=datetime.fromtimestamp(started, UTC),
            detected_at=now,
        )
        record(
            [
                NewEvent(
                    actor="system:screening",
                    verb="raid.detected",
                    subject_kind="channel",
                    subject_external_id=incident.channel,
                    after={
                        "incident_id": str(incident.id),
                        "campaign_id": incident.campaign_id,
                        "accounts": incident.accounts,
                        "recommended_lockdown": lockdown,
                    },
                )
            ],
            at=now,
        )
    log.warning("raid detected", extra={"data": {"channel": channel, "accounts": len(accounts)}})
    return incident


def incident_document(incident: RaidIncident) -> dict[str, Any]:
    return {
        "id": str(incident.id),
        "channel": incident.channel,
        "campaign_id": incident.campaign_id,
        "accounts": incident.accounts,
        "sample": incident.sample,
        "recommended_lockdown": incident.recommended_lockdown,
        "started_at": incident.started_at,
        "detected_at": incident.detected_at,
        "lockdown_applied_at": incident.lockdown_applied_at,
    }


def list_incidents(channel: str, user: StaffUser, limit: int = 50) -> list[dict[str, Any]]:
    require(user, Perm.CHANNELS_MODERATE)
    rows = RaidIncident.objects.filter(channel=channel).order_by("-detected_at")[: min(limit, 500)]
    return [incident_document(r) for r in rows]


def apply_lockdown(
    channel: str,
    moderator: str,
    actor: str,
    user: StaffUser,
    incident_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Follower-only chat, slow mode and Shield Mode in one change, recorded as one event."""
    require(user, Perm.CHANNELS_MODERATE)
    with transaction.atomic():
        incident = None
        if incident_id:
            try:
                key = uuid.UUID(incident_id)
            except ValueError:
                raise NotFound(f"incident {incident_id[:100]}") from None
            incident = RaidIncident.objects.select_for_update().filter(pk=key, channel=channel).first()
            if incident is None:
                raise NotFound(f"incident {incident_id[:100]} in channel {channel[:100]}")
        reason = f"raid incident {incident.id}" if incident else "lockdown"
        reason += f" by channel moderator {moderator[:100]}"
        chat = update_chat_modes(channel, dict(LOCKDOWN), actor, "channel.lockdown", reason)
        if incident is not None and incident.lockdown_applied_at is None:
            incident.lockdown_applied_at = now or datetime.now(UTC)
            incident.save(update_fields=["lockdown_applied_at"])
    return {"channel": channel, "chat": chat, "incident_id": str(incident.id) if incident else None}
