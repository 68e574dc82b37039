"""Reports (a person's flag) and detections (an automated signal)."""

from __future__ import annotations

import uuid
from enum import StrEnum

from django.db import models


class ReportSource(StrEnum):
    USER = "user"
    TRUSTED_FLAGGER = "trusted_flagger"


class Report(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="reports")
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT)
    review_item = models.ForeignKey("review.ReviewItem", null=True, on_delete=models.SET_NULL, related_name="reports")
    reporter_id = models.CharField(max_length=200)
    source = models.CharField(
        max_length=20, choices=[(s.value, s.value) for s in ReportSource], default=ReportSource.USER
    )
    reporter_trust = models.FloatField(default=0.5)
    text = models.TextField(blank=True)
    language = models.CharField(max_length=16, blank=True)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["review_item", "received_at"])]


class Detection(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="detections")
    policy = models.ForeignKey("policies.Policy", null=True, on_delete=models.PROTECT)
    review_item = models.ForeignKey(
        "review.ReviewItem", null=True, on_delete=models.SET_NULL, related_name="detections"
    )
    source = models.CharField(max_length=100, help_text="automod, hash_match, classifier:<name>, ...")
    label = models.CharField(max_length=100, blank=True)
    score = models.FloatField()
    received_at = models.DateTimeField(db_index=True)


class IdempotencyRecord(models.Model):
    """The first response to a request with an ``Idempotency-Key``; repeats get it back."""

    token = models.ForeignKey("accounts.ApiToken", on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    endpoint = models.CharField(max_length=100)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "endpoint", "key"], name="idempotency_once")]
