"""The moderation event log: append-only, hash-chained, the source of truth."""

from __future__ import annotations

from django.db import models


class Event(models.Model):
    """One entry of the log. Never updated or deleted; ``hash`` chains it to the previous entry."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=200)
    verb = models.CharField(max_length=80)
    subject_kind = models.CharField(max_length=20, blank=True)
    subject_external_id = models.CharField(max_length=200, blank=True)
    review_item_id = models.UUIDField(null=True, blank=True, db_index=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        # No index on the verb: every reader of verbs also bounds seq or at, and every event would
        # pay for one.
        indexes = [models.Index(fields=["subject_kind", "subject_external_id", "seq"])]
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.verb} {self.subject_kind}:{self.subject_external_id}"


class ChainHead(models.Model):
    """The last link of the chain. Its row lock orders concurrent writers; it also exposes truncation."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
