from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from modops.enforcement.models import Adapter, OutboxMessage
from modops.insights.heartbeat import Heartbeat
from modops.insights.models import WorkerHeartbeat
from modops.insights.tests.dataset import build
from modops.review.models import ReviewItem

pytestmark = pytest.mark.django_db


def _samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_expose_backlog_breaches_outbox_lag_and_heartbeats():
    build()
    ReviewItem.objects.filter(queue__slug="kq-general", status="open").update(sla_breached=True)
    adapter = Adapter.objects.create(name="hook", kind="log")
    message = OutboxMessage.objects.create(
        adapter=adapter, topic="action.apply", payload={}, idempotency_key="k1", next_attempt_at=timezone.now()
    )
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(seconds=120))
    assert Heartbeat(worker="host:1").beat() is True

    response = Client().get("/metrics")
    assert response.status_code == 200
    samples = _samples(response.content)
    assert samples[("modops_backlog_items", (("queue", "kq-general"),))] == 2  # I5 and I7
    assert samples[("modops_backlog_items", (("queue", "kq-live"),))] == 1  # I6
    assert samples[("modops_backlog_oldest_age_seconds", (("queue", "kq-general"),))] > 4 * 86400
    assert samples[("modops_sla_breaches_total", (("queue", "kq-general"),))] == 2
    assert samples[("modops_outbox_pending", ())] == 1
    assert 119 <= samples[("modops_outbox_lag_seconds", ())] < 200
    assert ("modops_decisions_per_minute", ()) in samples
    assert samples[("modops_worker_heartbeat_timestamp_seconds", (("worker", "host:1"),))] > 0


def test_heartbeat_writes_at_most_once_per_interval():
    beat = Heartbeat(worker="host:2", min_interval=3600)
    assert beat.beat() is True
    assert beat.beat() is False
    assert WorkerHeartbeat.objects.get(worker="host:2").ticks == 1


def test_metrics_token_is_required_when_configured(settings):
    settings.MODOPS_METRICS_TOKEN = "scrape-secret"
    assert Client().get("/metrics").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200
