"""Quarantined evidence (encrypted at rest, preserved under legal hold) and NCMEC report drafts."""

from __future__ import annotations

import uuid
from enum import StrEnum

from django.conf import settings
from django.db import models


class Evidence(models.Model):
    """Media that matched known CSAM: sealed with AES-GCM, never stored or served in the clear."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="+")
    review_item = models.ForeignKey("review.ReviewItem", null=True, on_delete=models.PROTECT, related_name="+")
    account_external_id = models.CharField(max_length=200, blank=True, help_text="The uploading account.")
    bank_name = models.CharField(max_length=100)
    match = models.JSONField(default=dict, help_text="Bank, signal type, distance.")
    sealed = models.BinaryField(null=True, help_text="magic | key fingerprint | nonce | ciphertext; NULL once purged.")
    content_type = models.CharField(max_length=60)
    original_filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField()
    md5 = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64, db_index=True)
    received_at = models.DateTimeField()
    preserve_until = models.DateTimeField(help_text="Kept at least this long (one year after receipt).")
    legal_hold = models.BooleanField(default=True, help_text="Never purged while held.")
    legal_hold_reason = models.CharField(max_length=500, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["legal_hold", "purged_at", "preserve_until"], name="evidence_purge")]

    def __str__(self) -> str:
        return f"evidence {self.id} ({self.bank_name})"


class ReportStatus(StrEnum):
    DRAFT = "draft"  # generated on the match, waiting for a cleared reviewer
    CONFIRMED = "confirmed"  # a cleared reviewer checked it; ready to send
    SUBMITTED = "submitted"  # NCMEC has it (finish succeeded)
    DISCARDED = "discarded"  # the reviewer found it was not reportable


class NcmecReport(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="reports")
    review_item = models.ForeignKey("review.ReviewItem", null=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=12, choices=[(s.value, s.value) for s in ReportStatus], default=ReportStatus.DRAFT
    )
    report_xml = models.TextField(help_text="The <report> document as it will be sent.")
    file_details = models.JSONField(default=dict, help_text="Fields of <fileDetails>, sent after the upload.")
    ncmec_report_id = models.CharField(max_length=50, blank=True)
    ncmec_file_id = models.CharField(max_length=100, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"NCMEC report {self.id} ({self.status})"
