"""The hourly rollups give the KPIs the source tables give (PostgreSQL), and the histogram bound holds."""

from __future__ import annotations

import math

import pytest
from django.db import connection

from modops.insights import kpis, rollup
from modops.insights.models import Grain, Rollup
from modops.insights.slices import Slice
from modops.insights.tests.dataset import DAY, build, t

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="rollups are kept on PostgreSQL only")


def test_every_duration_lands_in_a_bucket_whose_middle_is_within_the_stated_bound():
    bound = math.exp(rollup.LOG_RATIO / 2) - 1
    assert bound < 0.04
    for seconds in (1.0, 7.5, 600.0, 3599.0, 86400.0, 29 * 86400.0):
        value = rollup.bucket_value(rollup.bucket_of(seconds))
        assert abs(value - seconds) / seconds <= bound + 1e-9
    assert rollup.bucket_of(0.2) == 0
    assert rollup.bucket_of(400 * 86400.0) == rollup.BUCKETS + 1


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    "filters",
    [{}, {"queue": "kq-general"}, {"policy": "kp-gore"}, {"language": "en"}],
)
def test_rollups_and_exact_edges_equal_the_source_tables(filters):
    build()
    # Edges off the hour on both sides, so the rollups, the exact edges and held claims all count.
    s = Slice(since=t(0, 30), until=t(23, 30), **filters)
    assert kpis.plan(s)[0] is not None
    assert kpis.intake_volume(s) == kpis._intake_volume(s)
    assert kpis.sla_attainment(s) == kpis._sla_attainment(s)
    assert kpis.action_rate(s) == kpis._action_rate(s)
    assert kpis.proactive_rate(s) == kpis._proactive_rate(s)
    assert kpis.automation_rate(s) == kpis._automation_rate(s)
    assert kpis.repeat_offender_rate(s) == kpis._repeat_offender_rate(s)
    n, total = kpis._handled(s)
    assert kpis.average_handle_time(s) == (total / n if n else None)
    exact = {k.removeprefix("staff:"): v / 60.0 for k, v in kpis._exposure_seconds(s).items()}
    assert kpis.exposure_minutes(s).by_moderator == pytest.approx(exact)
    busy = kpis.seconds_of(kpis.spans(s).aggregate(busy=kpis._clipped(s))["busy"])
    hours = kpis.productive_hours(s)
    assert kpis.occupancy(s) == pytest.approx(busy / (hours * 3600.0))


@postgres_only
@pytest.mark.django_db
def test_percentiles_from_histograms_stay_within_the_bucket_bound(monkeypatch):
    build()
    s = Slice(since=DAY, until=t(24))
    exact = kpis.time_to_action(s)
    monkeypatch.setattr(kpis, "EXACT_PERCENTILES_UP_TO", 0)
    merged = kpis.time_to_action(s)
    bound = math.exp(rollup.LOG_RATIO / 2) - 1
    assert merged.count == exact.count
    assert merged.mean == pytest.approx(exact.mean)
    assert merged.p50 == pytest.approx(exact.p50, rel=bound)
    assert merged.p90 == pytest.approx(exact.p90, rel=bound)


@postgres_only
@pytest.mark.django_db
def test_rebuilding_an_hour_again_changes_nothing():
    build()
    kpis.compute_all(Slice(since=DAY, until=t(24)))

    def rows() -> list[tuple[object, ...]]:
        return sorted(Rollup.objects.values_list("grain", "start", "dim", "value", "metric", "bucket", "n", "total"))

    before = rows()
    assert any(r[0] == Grain.DAY for r in before)
    rollup.rebuild_hours([t(9), t(11), t(14)])
    assert rows() == before
    assert connection.vendor == "postgresql"
