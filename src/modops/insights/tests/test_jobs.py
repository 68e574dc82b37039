"""The worker loop evaluates KPI targets by itself (throttled) and keeps the projections current."""

from __future__ import annotations

import pytest

from modops.audit.models import Event
from modops.enforcement import worker
from modops.insights import jobs
from modops.insights.models import ClaimSpan, KpiTarget, ProjectionCursor
from modops.insights.projection import last_seq
from modops.insights.tests.dataset import build

pytestmark = pytest.mark.django_db


def test_throttled_job_runs_at_most_once_per_interval():
    calls: list[float] = []
    now = [100.0]
    job = jobs.Throttled(lambda: calls.append(now[0]) or 1, every=60, clock=lambda: now[0])
    assert job() == 1
    now[0] = 159.0
    assert job() == 0
    now[0] = 160.0
    assert job() == 1
    assert calls == [100.0, 160.0]


def test_worker_tick_fires_a_breach_without_cron(monkeypatch):
    monkeypatch.setattr(jobs.evaluate_targets_job, "last", None)
    build()
    KpiTarget.objects.create(name="no backlog", kpi="backlog", comparator="lte", target=-1)
    worker.run_once()
    target = KpiTarget.objects.get()
    assert target.last_status == "red"
    assert Event.objects.filter(verb="kpi_target.breached").count() == 1
    # Within the minute the next tick does not measure again.
    KpiTarget.objects.filter(pk=target.pk).update(evaluated_at=None)
    worker.run_once()
    assert KpiTarget.objects.get().evaluated_at is None


def test_worker_tick_brings_the_projections_up_to_the_log(monkeypatch):
    monkeypatch.setattr(jobs.evaluate_targets_job, "last", None)
    build()
    done = worker.run_once()
    assert done["projections"] > 0
    assert ProjectionCursor.objects.get().seq == last_seq()
    # Seven claims in the hand-made day: five decided, one released, one still held.
    assert ClaimSpan.objects.count() == 7
    assert ClaimSpan.objects.filter(ended_by="decision.made").count() == 5
    assert ClaimSpan.objects.filter(ended_at__isnull=True).count() == 1
    assert worker.run_once()["projections"] == 0
