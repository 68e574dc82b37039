"""Actions on subjects, strikes, platform adapters and the outbox.

References from the core loop's rows (decisions, actions, strikes, outbox messages, a review item's
claimant) to configuration (policies, adapters, staff accounts) carry no database constraint. Each
such constraint is checked at commit with a shared lock on the referenced row, so every decision
under one policy took a lock on that one row, and concurrent ones turned it into a multi-locker
record; configuration is never deleted (a policy or an adapter is deactivated, a moderator's account
disabled) and ``on_delete=PROTECT`` still refuses a deletion through the application. Those
references have no index of their own either: nothing looks the loop's rows up by them alone.
References among the loop's own rows (an action's decision, a strike's account) keep both.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from django.db import models

from modops.ops.ladder import ActionType


class ActionStatus(StrEnum):
    ACTIVE = "active"  # in force (or done, for one-off actions)
    EXPIRED = "expired"  # a temporary action that ran its course and was reversed
    REVERSED = "reversed"  # undone early (appeal, mistake)


class Action(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="actions")
    decision = models.ForeignKey(
        "review.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    # References to configuration (policies, adapters, staff) carry no database constraint and no
    # index on the core loop's rows: see the module's docstring.
    policy = models.ForeignKey(
        "policies.Policy", null=True, blank=True, on_delete=models.PROTECT, db_constraint=False, db_index=False
    )
    type = models.CharField(max_length=30, choices=[(t.value, t.value) for t in ActionType])
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=[(s.value, s.value) for s in ActionStatus], default=ActionStatus.ACTIVE
    )
    automated = models.BooleanField(default=False)
    channel_external_id = models.CharField(max_length=200, blank=True, help_text="Where it applies on the platform.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)  # searched through action_expiry
    ended_at = models.DateTimeField(null=True, blank=True)
    notice = models.JSONField(default=dict, help_text="Statement of reasons sent to the user.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "ends_at"], name="action_expiry")]


class Strike(models.Model):
    # Searched through the (account, policy, expired) index, which starts with it.
    account = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="strikes", db_index=False)
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, db_constraint=False, db_index=False)
    action = models.ForeignKey(Action, null=True, on_delete=models.SET_NULL, related_name="strikes")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    expired = models.BooleanField(default=False)
    voided = models.BooleanField(default=False, help_text="Removed after an appeal or a mistake.")

    class Meta:
        indexes = [
            models.Index(fields=["account", "policy", "expired"]),
            models.Index(fields=["expired", "expires_at"]),
        ]


class AdapterKind(StrEnum):
    WEBHOOK = "webhook"
    TWITCH = "twitch"
    LOG = "log"


class Adapter(models.Model):
    """A destination for enforcement: a signed webhook, Twitch's Helix API, or the log."""

    name = models.SlugField(max_length=50, unique=True)
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in AdapterKind])
    enabled = models.BooleanField(default=True)
    config = models.JSONField(
        default=dict,
        blank=True,
        help_text="webhook: url, secret. twitch: base_url, client_id, access_token, moderator_id.",
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    DEAD = "dead"


class OutboxMessage(models.Model):
    """A side effect written in the deciding transaction and delivered after commit, by id."""

    adapter = models.ForeignKey(
        Adapter, on_delete=models.PROTECT, related_name="messages", db_constraint=False, db_index=False
    )
    topic = models.CharField(max_length=50, help_text="action.apply, action.reverse, ...")
    action = models.ForeignKey(Action, null=True, blank=True, on_delete=models.PROTECT, related_name="outbox")
    payload = models.JSONField()
    idempotency_key = models.CharField(max_length=100)
    status = models.CharField(
        max_length=12, choices=[(s.value, s.value) for s in OutboxStatus], default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]
        # A constraint, not unique=True: that would add a second, pattern-matching index on PostgreSQL,
        # which no query uses and every message would pay for.
        constraints = [models.UniqueConstraint(fields=["idempotency_key"], name="outbox_idempotency_key")]
