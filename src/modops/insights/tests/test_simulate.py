from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from modops.insights.simulation import recorded_day
from modops.insights.tests.dataset import DAY, build


def test_reference_day_json_shows_modops_routing_beating_fifo_with_the_same_staff(capsys):
    call_command("simulate", "--day", "reference", "--json")
    result = json.loads(capsys.readouterr().out)
    for policy in ("fifo", "modops"):
        assert set(result[policy]) == {
            "sla_attainment",
            "tta_p50_seconds",
            "tta_p90_seconds",
            "max_exposure_minutes",
            "backlog_end",
        }
        assert 0.0 <= result[policy]["sla_attainment"] <= 1.0
    assert result["modops"]["sla_attainment"] > result["fifo"]["sla_attainment"]
    assert result["modops"]["max_exposure_minutes"] <= 60.0 + 1e-6


@pytest.mark.django_db
def test_a_recorded_day_replays_its_items_with_their_observed_handle_times(capsys):
    build()
    day = recorded_day(DAY.date())
    by_id = {a.item_id: a for a in day.arrivals}
    assert len(day.arrivals) == 7  # I1-I6 and I9 were first seen on the day
    i1 = next(a for a in day.arrivals if a.at_seconds == 9 * 3600)
    assert i1.handle_seconds == 600.0
    assert i1.sla_seconds == 3600.0
    assert all(a.policy in {"kp-spam", "kp-gore"} for a in by_id.values())
    call_command("simulate", "--day", DAY.date().isoformat())
    out = capsys.readouterr().out
    assert "recorded 2025-03-03" in out
    assert "SLA attainment" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--day", "tomorrow"], "YYYY-MM-DD"),
        (["--day", "1999-01-01"], "no review items"),
        (["--add-staff", "paris:2@08-16"], "unknown site"),
        (["--add-staff", "manila:2"], "site:count@HH-HH"),
        (["--exposure-cap", "0"], "exposure_cap"),
    ],
)
def test_bad_arguments_are_refused_with_a_message_naming_the_problem(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("simulate", *args)
