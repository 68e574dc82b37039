"""Every KPI against values worked out by hand from the day described in dataset.py."""

from __future__ import annotations

import pytest

from modops.insights import kpis
from modops.insights.slices import Slice
from modops.insights.tests.dataset import DAY, build, t
from modops.review.services.errors import Invalid

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return build()


def window(**filters: str) -> Slice:
    return Slice(since=DAY, until=t(24), **filters)


def test_intake_volume_counts_reports_by_source_and_detections_as_automated(day):
    assert kpis.intake_volume(window()) == {"user": 6, "trusted_flagger": 1, "automated": 2}
    assert kpis.intake_volume(window(language="de")) == {"user": 1, "trusted_flagger": 0, "automated": 1}


def test_backlog_counts_items_open_at_the_end_of_the_window_by_age(day):
    result = kpis.backlog(window())
    assert result.count == 3
    assert result.oldest_age_seconds == 4 * 86400
    assert result.age_buckets == {"<1h": 0, "1-4h": 2, "4-24h": 0, "1-3d": 0, ">=3d": 1}
    assert kpis.backlog(window(queue="kq-live")).count == 1


def test_backlog_at_an_earlier_moment_includes_items_closed_later(day):
    # At 09:15 I1 (opened 09:00, closed 09:20), I3 (closed 02:30: no) and I7 are waiting.
    result = kpis.backlog(Slice(since=DAY, until=t(9, 15)))
    assert result.count == 2
    assert result.age_buckets["<1h"] == 1


def test_sla_attainment_is_the_share_of_closed_items_closed_by_their_due_time(day):
    assert kpis.sla_attainment(window()).as_dict() == {"numerator": 3, "denominator": 5, "value": 0.6}
    assert kpis.sla_attainment(window(queue="kq-live")).value == 0.0
    assert kpis.sla_attainment(window(region="emea")).value == 0.75
    assert kpis.sla_attainment(Slice(since=DAY, until=t(12))).value == pytest.approx(1 / 3)


def test_time_to_first_touch_runs_from_first_signal_to_first_claim_or_decision(day):
    result = kpis.time_to_first_touch(window())
    assert result.as_dict() == {"count": 6, "p50": 600.0, "p90": 3600.0, "mean": 1450.0}


def test_time_to_action_runs_from_first_report_to_first_action(day):
    result = kpis.time_to_action(window())
    assert result.as_dict() == {"count": 4, "p50": 1200.0, "p90": 5400.0, "mean": 2775.0}
    assert kpis.time_to_action(window(policy="kp-gore")).p50 == 5400.0


def test_average_handle_time_pairs_each_decision_with_its_claim(day):
    assert kpis.average_handle_time(window()) == 1140.0
    assert kpis.average_handle_time(window(region="emea")) == 975.0
    assert kpis.average_handle_time(window(moderator="carol")) == 1800.0


def test_decisions_per_productive_hour_divides_by_rostered_time_less_shrinkage(day):
    assert kpis.productive_hours(window()) == 16.0
    assert kpis.decisions_per_productive_hour(window()) == 5 / 16
    assert kpis.decisions_per_productive_hour(window(moderator="carol")) == 0.25


def test_occupancy_is_claim_time_over_productive_time(day):
    assert kpis.occupancy(window()) == pytest.approx(10500 / 57600)
    # carol held I3 for 20 + 30 minutes out of 4 productive hours.
    assert kpis.occupancy(window(site="kpi-manila")) == pytest.approx(3000 / 14400)


def test_action_rate_is_the_share_of_reports_whose_item_was_actioned(day):
    assert kpis.action_rate(window()).as_dict() == {"numerator": 3, "denominator": 7, "value": 3 / 7}


def test_proactive_rate_counts_actions_taken_before_any_report(day):
    assert kpis.proactive_rate(window()).as_dict() == {"numerator": 2, "denominator": 6, "value": 2 / 6}
    # Queue slices keep only actions on decided items: I1, I2 and I9 in general, I9 proactive.
    assert kpis.proactive_rate(window(queue="kq-general")).as_dict()["numerator"] == 1


def test_automation_rate_is_the_share_of_actions_without_a_decision(day):
    assert kpis.automation_rate(window()).as_dict() == {"numerator": 2, "denominator": 6, "value": 2 / 6}
    assert kpis.automation_rate(window(moderator="bob")).value == 0.0


def test_repeat_offender_rate_ignores_expired_and_voided_strikes(day):
    assert kpis.repeat_offender_rate(window()).as_dict() == {"numerator": 1, "denominator": 3, "value": 1 / 3}


def test_exposure_minutes_sum_claims_on_sensitive_items_clipped_to_the_window(day):
    result = kpis.exposure_minutes(window())
    assert result.by_moderator == {"alice": 60.0, "carol": 50.0}
    assert result.total_minutes == 110.0
    assert result.max_minutes == 60.0
    assert kpis.exposure_minutes(window(region="apac")).by_moderator == {"carol": 50.0}
    # Only the first half hour of alice's claim on I6 falls before 23:30.
    assert kpis.exposure_minutes(Slice(since=DAY, until=t(23, 30))).by_moderator["alice"] == 30.0


def test_compute_all_returns_every_kpi_as_plain_data(day):
    result = kpis.compute_all(window())
    assert result["sla_attainment"]["value"] == 0.6
    assert result["backlog"]["count"] == 3
    assert set(result) >= {"intake_volume", "occupancy", "exposure_minutes", "repeat_offender_rate"}


def test_scalar_registry_reads_each_kpi_as_one_number(day):
    s = window()
    assert kpis.KPIS["sla_attainment"].scalar(kpis.KPIS["sla_attainment"].compute(s)) == 0.6
    assert kpis.KPIS["time_to_action_p90"].scalar(kpis.KPIS["time_to_action_p90"].compute(s)) == 5400.0


def test_an_empty_window_gives_no_value_rather_than_zero(db):
    s = Slice(since=DAY, until=t(1))
    assert kpis.sla_attainment(s).value is None
    assert kpis.time_to_action(s).p50 is None
    assert kpis.average_handle_time(s) is None
    assert kpis.occupancy(s) is None


def test_slice_parse_names_the_bad_parameter():
    with pytest.raises(Invalid) as err:
        Slice.parse({"since": "yesterday"})
    assert err.value.field == "since"
    with pytest.raises(Invalid) as err:
        Slice.parse({"since": "2025-03-04", "until": "2025-03-03"})
    assert err.value.field == "until"
    parsed = Slice.parse({"since": "2025-03-03", "until": "2025-03-04", "queue": "live"})
    assert parsed.filters() == {"queue": "live"}
