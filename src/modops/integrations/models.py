"""What arrived from platforms: EventSub deliveries (deduplicated by id) and moderation signals."""

from __future__ import annotations

from django.db import models


class DeliveryKind(models.TextChoices):
    NOTIFICATION = "notification"
    VERIFICATION = "webhook_callback_verification"
    REVOCATION = "revocation"


class EventSubDelivery(models.Model):
    """One accepted EventSub message; the unique id makes redeliveries no-ops."""

    message_id = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40, choices=DeliveryKind.choices)
    subscription_type = models.CharField(max_length=100, blank=True)
    subscription_id = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField()
    #: the verdict for a chat message, the revocation reason, or the recorded signal
    result = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["subscription_type", "received_at"])]


class ModerationSignal(models.Model):
    """A moderation fact reported by the platform (a moderator's action, an AutoMod hold)."""

    platform = models.CharField(max_length=30)
    kind = models.CharField(max_length=100)
    channel = models.CharField(max_length=100)
    action = models.CharField(max_length=60, blank=True)
    target_user = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["channel", "received_at"])]
