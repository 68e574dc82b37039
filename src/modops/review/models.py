"""Queues, review items, routing rules and decisions."""

from __future__ import annotations

import uuid
from enum import StrEnum

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q


class ItemStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    CLOSED = "closed"


class Queue(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    required_skills = models.JSONField(default=list, blank=True, help_text="A moderator needs all of these.")
    languages = models.JSONField(default=list, blank=True, help_text="Languages the queue covers; empty = any.")
    clearance_tier = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(3)])
    regions = models.JSONField(default=list, blank=True, help_text="Regions that staff it; empty = all.")
    escalation_target = models.BooleanField(default=False, help_text="Offered as an escalation destination.")
    sla_factor = models.FloatField(default=1.0, help_text="Multiplies the policy SLA for items in this queue.")

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class RoutingRule(models.Model):
    """Sends a new item to a queue. Rules are tried in ``order``; the first that matches wins."""

    order = models.PositiveIntegerField(default=100)
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="rules")
    policy = models.ForeignKey("policies.Policy", null=True, blank=True, on_delete=models.CASCADE)
    language = models.CharField(max_length=16, blank=True)
    min_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    live = models.BooleanField(null=True, blank=True, help_text="Match only live (or only not-live) subjects.")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"#{self.order} → {self.queue}"


class ReviewItem(models.Model):
    """One open unit of human work on one subject under one policy; aggregates reports and detections."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="review_items")
    # No index of its own: nothing looks items up by policy alone, and every claim and decision
    # would update it (the unique constraint below covers subject and policy together).
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, db_index=False)
    # No index of its own: item_claim_order starts with the queue, and every claim updates the indexes.
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="items", db_index=False)
    status = models.CharField(max_length=10, choices=[(s.value, s.value) for s in ItemStatus], default=ItemStatus.OPEN)
    priority = models.FloatField(default=0)
    priority_floor = models.FloatField(
        default=0, help_text="Recomputed priority never drops below this (set by workflows such as child safety)."
    )
    sla_due_at = models.DateTimeField()
    sla_breached = models.BooleanField(default=False)
    first_seen_at = models.DateTimeField()
    last_signal_at = models.DateTimeField()
    report_count = models.PositiveIntegerField(default=0)
    detection_count = models.PositiveIntegerField(default=0)
    confidence = models.FloatField(default=0)
    velocity = models.FloatField(default=0, help_text="Exponentially decayed report count (see ops.priority).")
    live = models.BooleanField(default=False)
    reach = models.PositiveIntegerField(default=0)
    language = models.CharField(max_length=16, blank=True)
    tier = models.PositiveSmallIntegerField(default=0)
    account_external_id = models.CharField(max_length=200, blank=True, help_text="The account behind the subject.")
    version = models.PositiveIntegerField(default=1)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,  # see enforcement.models' docstring
        db_index=False,  # item_claimed_by below holds only the claimed
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "policy"], condition=~Q(status="closed"), name="one_open_item_per_subject_policy"
            )
        ]
        # Each index holds only the items its readers look for. Closed items, in time the great
        # majority, are in none of them, and a decision's update (to closed) adds no entry to them.
        indexes = [
            models.Index(
                fields=["queue", "-priority", "sla_due_at"], name="item_claim_order", condition=Q(status="open")
            ),
            models.Index(fields=["lease_expires_at"], name="item_lease", condition=Q(status="claimed")),
            models.Index(fields=["sla_due_at"], name="item_sla", condition=Q(sla_breached=False) & ~Q(status="closed")),
            models.Index(fields=["claimed_by"], name="item_claimed_by", condition=Q(claimed_by__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}@{self.subject_id} ({self.status})"


class SkipRecord(models.Model):
    """A moderator skipped an item: it is not offered to them again."""

    review_item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="skips")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review_item", "user"], name="one_skip_per_user")]


class Decision(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    review_item = models.ForeignKey(ReviewItem, on_delete=models.PROTECT, related_name="decisions")
    # See enforcement.models' docstring.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    violation = models.BooleanField()
    policy = models.ForeignKey(
        "policies.Policy", null=True, blank=True, on_delete=models.PROTECT, db_constraint=False, db_index=False
    )
    action_type = models.CharField(max_length=30)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    suggested = models.JSONField(default=dict, blank=True, help_text="The ladder's suggestion at decision time.")
    created_at = models.DateTimeField(auto_now_add=True)
