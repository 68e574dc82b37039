"""Enforcement services: actions and strikes, standing, and the outbox."""

from modops.enforcement.services.actions import (
    ActionRequest,
    Taken,
    expire_actions,
    expire_strikes,
    reverse_action,
    suggest_for,
    take_action,
)
from modops.enforcement.services.outbox import deliver_due, enqueue
from modops.enforcement.services.standing import Standing, standing

__all__ = [
    "ActionRequest",
    "Standing",
    "Taken",
    "deliver_due",
    "enqueue",
    "expire_actions",
    "expire_strikes",
    "reverse_action",
    "standing",
    "suggest_for",
    "take_action",
]
