from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from modops.audit.models import Event
from modops.enforcement.adapters.webhook import verify
from modops.enforcement.models import Adapter, OutboxMessage
from modops.enforcement.services import deliver_due
from modops.insights.models import KpiTarget
from modops.insights.targets import evaluate_targets, status_of, tiles
from modops.insights.tests.dataset import build, t
from modops.review.services.errors import Invalid

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "comparator", "expected"),
    [
        (0.96, "gte", "green"),
        (0.95, "gte", "green"),
        (0.93, "gte", "amber"),
        (0.9, "gte", "red"),
        (100, "lte", "green"),
        (105, "lte", "amber"),
        (120, "lte", "red"),
        (None, "gte", "unknown"),
    ],
)
def test_status_is_green_when_met_amber_within_the_margin_and_red_beyond(value, comparator, expected):
    goal = 0.95 if comparator == "gte" else 100
    margin = 0.03 if comparator == "gte" else 10
    assert status_of(value, comparator, goal, margin).value == expected


def test_a_breach_records_an_event_and_posts_the_webhook_through_the_outbox_once(receiver):
    build()
    hook = Adapter.objects.create(name="ops-alerts", kind="webhook", config={"url": receiver.url, "secret": "s3cret"})
    KpiTarget.objects.create(
        name="live SLA",
        kpi="sla_attainment",
        slice={"queue": "kq-live"},
        comparator="gte",
        target=0.95,
        amber_margin=0.02,
        adapter=hook,
    )
    KpiTarget.objects.create(name="overall SLA", kpi="sla_attainment", comparator="gte", target=0.5)
    measured = {tile.name: tile for tile in evaluate_targets(now=t(24))}
    assert measured["live SLA"].status == "red" and measured["live SLA"].value == 0.0
    assert measured["overall SLA"].status == "green"
    breach = Event.objects.get(verb="kpi_target.breached")
    assert breach.after["kpi"] == "sla_attainment" and breach.after["slice"] == {"queue": "kq-live"}
    assert OutboxMessage.objects.filter(topic="kpi.breach").count() == 1

    # Still red an hour later: no second alert.
    evaluate_targets(now=t(25))
    assert Event.objects.filter(verb="kpi_target.breached").count() == 1
    assert OutboxMessage.objects.filter(topic="kpi.breach").count() == 1

    deliver_due()
    sent = receiver.requests[0]
    assert verify("s3cret", sent.headers["X-Modops-Timestamp"], sent.body, sent.headers["X-Modops-Signature"])
    assert json.loads(sent.body)["kpi_target"]["name"] == "live SLA"


def test_tiles_measure_without_storing_and_bad_targets_name_the_field(capsys):
    build()
    KpiTarget.objects.create(name="tta", kpi="time_to_action_p90", comparator="lte", target=3600, amber_margin=3600)
    [tile] = tiles(now=t(24))
    assert tile.value == 5400.0 and tile.status == "amber"
    KpiTarget.objects.create(name="bad", kpi="happiness", comparator="gte", target=1)
    with pytest.raises(Invalid) as err:
        tiles(now=t(24))
    assert err.value.field == "kpi"


def test_evaluate_targets_command_prints_each_status(capsys):
    KpiTarget.objects.create(name="backlog", kpi="backlog", comparator="lte", target=10)
    call_command("evaluate_targets")
    assert "green   backlog: 0" in capsys.readouterr().out
