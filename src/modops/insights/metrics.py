"""Prometheus metrics, computed from the database at scrape time (so every web process agrees)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from modops.enforcement.models import OutboxMessage, OutboxStatus
from modops.insights.models import WorkerHeartbeat
from modops.review.models import Decision, ItemStatus, Queue, ReviewItem

RATE_WINDOW = timedelta(minutes=5)


class ModopsCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        now = timezone.now()
        backlog = GaugeMetricFamily("modops_backlog_items", "Open or claimed review items per queue.", labels=["queue"])
        oldest = GaugeMetricFamily(
            "modops_backlog_oldest_age_seconds", "Age of the oldest open review item per queue.", labels=["queue"]
        )
        rows = {
            r["queue__slug"]: r
            for r in ReviewItem.objects.exclude(status=ItemStatus.CLOSED)
            .values("queue__slug")
            .annotate(n=Count("id"), first=Min("first_seen_at"))
            .order_by()
        }
        for slug in Queue.objects.values_list("slug", flat=True):
            row = rows.get(slug)
            backlog.add_metric([slug], row["n"] if row else 0)
            oldest.add_metric([slug], (now - row["first"]).total_seconds() if row else 0.0)
        yield backlog
        yield oldest

        breaches = CounterMetricFamily(
            "modops_sla_breaches", "Review items that passed their SLA due time unanswered.", labels=["queue"]
        )
        for slug, n in (
            ReviewItem.objects.filter(sla_breached=True).values_list("queue__slug").annotate(n=Count("id")).order_by()
        ):
            breaches.add_metric([slug], n)
        yield breaches

        recent = Decision.objects.filter(created_at__gte=now - RATE_WINDOW).count()
        yield GaugeMetricFamily(
            "modops_decisions_per_minute",
            f"Decisions per minute over the last {int(RATE_WINDOW.total_seconds() // 60)} minutes.",
            value=recent / (RATE_WINDOW.total_seconds() / 60),
        )

        due = OutboxMessage.objects.filter(Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.DELIVERING))
        stats = due.aggregate(n=Count("id"), first=Min("created_at"))
        yield GaugeMetricFamily("modops_outbox_pending", "Outbox messages not yet delivered.", value=stats["n"])
        yield GaugeMetricFamily(
            "modops_outbox_lag_seconds",
            "Age of the oldest undelivered outbox message (0 when none).",
            value=(now - stats["first"]).total_seconds() if stats["first"] else 0.0,
        )
        dead = OutboxMessage.objects.filter(status=OutboxStatus.DEAD).count()
        yield GaugeMetricFamily("modops_outbox_dead", "Dead-lettered outbox messages.", value=dead)

        beats = GaugeMetricFamily(
            "modops_worker_heartbeat_timestamp_seconds", "Unix time of each worker's last loop.", labels=["worker"]
        )
        for worker, at in WorkerHeartbeat.objects.values_list("worker", "beat_at"):
            beats.add_metric([worker], at.timestamp())
        yield beats


def render() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ModopsCollector())
    return generate_latest(registry)
