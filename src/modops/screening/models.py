"""Channel screening settings and messages held for a moderator."""

from __future__ import annotations

import uuid

from django.db import models


class ChannelSettings(models.Model):
    """A channel's screening configuration (format of :mod:`modops.text.channels`)."""

    channel = models.CharField(max_length=100, unique=True)
    #: Helix AutoMod settings object: overall_level or per-category levels
    automod = models.JSONField(default=dict)
    blocked_terms = models.JSONField(default=list)
    permitted_terms = models.JSONField(default=list)
    allowed_links = models.JSONField(default=list)
    #: held or denied messages within the window before the automatic timeout; 0 = off
    auto_timeout_after = models.PositiveIntegerField(default=0)
    auto_timeout_window_minutes = models.PositiveIntegerField(default=10)
    auto_timeout_seconds = models.PositiveIntegerField(default=600)
    #: chat modes set by commands or a lockdown (Helix chat settings names, plus shield_mode)
    chat = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def as_config(self) -> dict[str, object]:
        config: dict[str, object] = {
            "blocked_terms": self.blocked_terms,
            "permitted_terms": self.permitted_terms,
            "allowed_links": self.allowed_links,
        }
        if self.automod:
            config["automod"] = self.automod
        return config

    def __str__(self) -> str:
        return self.channel


class HeldStatus(models.TextChoices):
    PENDING = "pending"
    ALLOWED = "allowed"
    DENIED = "denied"
    EXPIRED = "expired"


class HeldMessage(models.Model):
    message_id = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=100)
    user = models.CharField(max_length=100, blank=True)
    text = models.TextField()
    verdict = models.JSONField()
    status = models.CharField(max_length=20, choices=HeldStatus.choices, default=HeldStatus.PENDING)
    held_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    resolved_by = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["channel", "status", "expires_at"]),
            models.Index(fields=["channel", "user", "held_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} in {self.channel} ({self.status})"


class Escalation(models.Model):
    """A severe message sent to the core loop as a detection; the unique id makes it happen once."""

    message_id = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=100)
    user = models.CharField(max_length=100, blank=True)
    policy = models.CharField(max_length=50)
    source = models.CharField(max_length=100)
    detection_id = models.CharField(max_length=64)
    created_at = models.DateTimeField()


class RaidIncident(models.Model):
    """A burst of new accounts posting near-duplicates into a channel."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    channel = models.CharField(max_length=100, db_index=True)
    campaign_id = models.CharField(max_length=100, db_index=True)
    accounts = models.JSONField(default=list)
    sample = models.TextField(blank=True)
    recommended_lockdown = models.JSONField(default=list)
    started_at = models.DateTimeField()
    detected_at = models.DateTimeField()
    lockdown_applied_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"raid on {self.channel} ({len(self.accounts)} accounts)"
