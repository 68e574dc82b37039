"""KPI targets with their last evaluated status, and worker heartbeats."""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Comparator(StrEnum):
    AT_LEAST = "gte"  # higher is better: SLA attainment, proactive rate
    AT_MOST = "lte"  # lower is better: backlog, handle time, time to action


class TileStatus(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    UNKNOWN = "unknown"  # nothing to measure in the window


class KpiTarget(models.Model):
    """A target for one KPI on one slice, e.g. SLA attainment ≥ 0.95 on queue ``live``.

    Green when the target is met; amber when missed by no more than ``amber_margin``; red beyond.
    A change to red records ``kpi_target.breached`` and, if ``adapter`` is set, posts to it through
    the outbox.
    """

    name = models.CharField(max_length=120)
    kpi = models.CharField(max_length=60, help_text="A scalar KPI name, see modops.insights.kpis.SCALAR_KPIS.")
    slice = models.JSONField(
        default=dict, blank=True, help_text="Slice filters: region, site, queue, policy, language, moderator."
    )
    window_hours = models.PositiveIntegerField(default=24, help_text="Trailing window the KPI is computed over.")
    comparator = models.CharField(max_length=3, choices=[(c.value, c.value) for c in Comparator])
    target = models.FloatField()
    amber_margin = models.FloatField(default=0.0)
    adapter = models.ForeignKey(
        "enforcement.Adapter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Webhook to notify on breach.",
    )
    active = models.BooleanField(default=True)
    last_status = models.CharField(
        max_length=8, choices=[(s.value, s.value) for s in TileStatus], default=TileStatus.UNKNOWN
    )
    last_value = models.FloatField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """The last time a worker process went round its loop."""

    worker = models.CharField(max_length=200, unique=True, help_text="host:pid")
    beat_at = models.DateTimeField()
    started_at = models.DateTimeField()
    ticks = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.worker


# --- projections of the event log (see modops.insights.projection) ------------------------------


class ProjectionCursor(models.Model):
    """How far into the event log (by ``seq``) a projection has been brought."""

    name = models.CharField(max_length=40, primary_key=True)
    seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}@{self.seq}"


class ClaimSpan(models.Model):
    """One claim: from ``review_item.claimed`` to the event that ended it, or still held.

    Rebuilt from the event log only; the handle-time, occupancy and exposure KPIs read it.
    """

    review_item = models.ForeignKey(
        "review.ReviewItem", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Empty while the claim is held.")
    ended_by = models.CharField(max_length=80, blank=True, help_text="The verb that ended the claim.")
    claim_seq = models.BigIntegerField(unique=True, help_text="seq of the claim event.")

    class Meta:
        indexes = [
            models.Index(fields=["ended_at", "started_at"], name="claimspan_ended"),
            models.Index(fields=["review_item", "ended_at"], name="claimspan_item_open"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.started_at:%Y-%m-%d %H:%M}–{self.ended_at or 'held'}"


class ItemFacts(models.Model):
    """Per review item, the first moments the time-based KPIs measure between.

    Refreshed from the source tables for every item an event names, so it never drifts from them.
    """

    review_item = models.OneToOneField(
        "review.ReviewItem", on_delete=models.DO_NOTHING, db_constraint=False, primary_key=True, related_name="+"
    )
    first_seen_at = models.DateTimeField()
    first_touched_at = models.DateTimeField(null=True, blank=True, help_text="First claim or decision.")
    first_reported_at = models.DateTimeField(null=True, blank=True, help_text="First report by a person.")
    first_actioned_at = models.DateTimeField(null=True, blank=True, help_text="First action on a decision.")
    closed_at = models.DateTimeField(null=True, blank=True, help_text="The item's closing time, empty while open.")

    class Meta:
        indexes = [
            models.Index(fields=["first_touched_at"], name="itemfacts_touched"),
            models.Index(fields=["first_actioned_at"], name="itemfacts_actioned"),
            models.Index(fields=["closed_at"], name="itemfacts_closed"),
        ]

    def __str__(self) -> str:
        return str(self.review_item_id)


class Grain(StrEnum):
    HOUR = "h"
    DAY = "d"


class Rollup(models.Model):
    """Per hour (and per day) and per slice value, the count and sum of one KPI ingredient.

    ``dim`` is ``""`` for everything or one of ``queue``, ``policy``, ``language``, ``actor`` with
    ``value`` its slug, code, language or actor. ``bucket`` is -1 for plain sums, else the
    log-spaced duration bucket of a histogram (``modops.insights.rollup``). Rebuilt by hour from the
    source tables by ``catch_up`` for every hour its events touch; PostgreSQL only.
    """

    grain = models.CharField(max_length=1, choices=[(g.value, g.value) for g in Grain])
    start = models.DateTimeField()
    dim = models.CharField(max_length=16, blank=True)
    value = models.CharField(max_length=200, blank=True)
    metric = models.CharField(max_length=40)
    bucket = models.SmallIntegerField(default=-1)
    n = models.BigIntegerField(default=0)
    total = models.FloatField(default=0.0)

    class Meta:
        indexes = [models.Index(fields=["dim", "value", "grain", "start"], name="rollup_read")]

    def __str__(self) -> str:
        return f"{self.grain}{self.start:%Y-%m-%d %H} {self.dim}={self.value} {self.metric}"
