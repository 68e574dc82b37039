"""Hash banks: named lists of known-content hashes, each bound to a policy and a queue."""

from __future__ import annotations

from enum import StrEnum

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from modops.media.index import DEFAULT_PDQ_THRESHOLD
from modops.media.matching import DEFAULT_QUALITY_FLOOR
from modops.media.signals import SignalType


class BankKind(StrEnum):
    """What a match on the bank sets in motion."""

    CSAM = "csam"  # quarantine, restricted review, interim action, NCMEC report draft
    TVEC = "tvec"  # terrorist / violent extremist content: the violent-extremism queue
    LOCAL = "local"  # the platform's own known-bad list: the bank's queue
    SUPPRESSION = "suppression"  # false positives: a hit here cancels hits on the other banks


class EntrySource(StrEnum):
    MANUAL = "manual"  # added by staff here
    IMPORT = "import"  # came from a shared list (NCMEC, GIFCT, ...): removal leaves a tombstone


SIGNAL_CHOICES = [(t.value, t.value) for t in SignalType]


class Bank(models.Model):
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in BankKind], default=BankKind.LOCAL)
    policy = models.ForeignKey(
        "policies.Policy", null=True, blank=True, on_delete=models.PROTECT, help_text="Empty only for suppression."
    )
    queue = models.ForeignKey(
        "review.Queue",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Where matches are reviewed; empty = the policy's routing.",
    )
    enabled = models.BooleanField(default=True)
    enabled_ratio = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Share of media the bank is tried on, for trying a new bank on part of the traffic.",
    )
    pdq_threshold = models.PositiveSmallIntegerField(default=DEFAULT_PDQ_THRESHOLD, validators=[MaxValueValidator(31)])
    quality_floor = models.SmallIntegerField(
        default=DEFAULT_QUALITY_FLOOR,
        validators=[MinValueValidator(-1), MaxValueValidator(100)],
        help_text="PDQ hashes of this quality or lower are ignored.",
    )
    suppresses = models.JSONField(
        default=list, blank=True, help_text="Suppression banks: names of the banks they cancel; empty = all."
    )
    interim_action = models.JSONField(
        default=dict,
        blank=True,
        help_text='Taken automatically on a match, e.g. {"type": "suspension"}; empty = the policy\'s first '
        "ladder step for CSAM banks, nothing otherwise.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BankEntry(models.Model):
    """One hash in a bank."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="entries")
    signal_type = models.CharField(max_length=20, choices=SIGNAL_CHOICES)
    signal = models.TextField(help_text="As threatexchange writes it (vPDQ can be long).")
    signal_key = models.CharField(max_length=64, help_text="SHA-256 of the signal, for uniqueness.")
    metadata = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=[(s.value, s.value) for s in EntrySource])
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bank", "signal_type", "signal_key"], name="one_entry_per_signal")
        ]
        indexes = [models.Index(fields=["bank", "enabled"], name="bank_entry_enabled")]

    def __str__(self) -> str:
        return f"{self.signal_type}:{self.signal[:16]}… in {self.bank_id}"


class Tombstone(models.Model):
    """A removed outside hash: re-importing the list does not bring it back."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="tombstones")
    signal_type = models.CharField(max_length=20, choices=SIGNAL_CHOICES)
    signal_key = models.CharField(max_length=64)
    signal = models.TextField()
    reason = models.CharField(max_length=500, blank=True)
    removed_by = models.CharField(max_length=200)
    removed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bank", "signal_type", "signal_key"], name="one_tombstone_per_signal")
        ]


class IndexGeneration(models.Model):
    """A single row counting bank changes; matching processes compare it to rebuild their index."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.PositiveBigIntegerField(default=0)
    token = models.CharField(max_length=32, default="", blank=True, help_text="Changes with every bump.")
