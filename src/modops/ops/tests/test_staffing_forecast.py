"""Trailing-weeks forecast by hour of week and its MAPE on held-back weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modops.ops.staffing.forecast import (
    HOURS_PER_WEEK,
    backtest,
    forecast_by_hour_of_week,
    hour_of_week,
    hourly_counts,
    mape,
)

MONDAY = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday, 00:00 UTC


def test_hour_of_week_counts_from_monday_midnight_utc() -> None:
    assert hour_of_week(MONDAY) == 0
    assert hour_of_week(MONDAY + timedelta(days=6, hours=23, minutes=59)) == 167
    # 01:30 on Monday in UTC+2 is 23:30 on Sunday in UTC.
    assert hour_of_week(datetime(2025, 3, 3, 1, 30, tzinfo=timezone(timedelta(hours=2)))) == 167
    assert hour_of_week(datetime(2025, 3, 4, 5)) == 29  # naive is UTC


def test_hourly_counts_bucket_arrivals_per_queue_and_hour() -> None:
    counts = hourly_counts(
        [
            (MONDAY + timedelta(minutes=5), "hate"),
            (MONDAY + timedelta(minutes=55), "hate"),
            (MONDAY + timedelta(minutes=65), "hate"),
            (MONDAY + timedelta(minutes=5), "spam"),
        ]
    )
    assert counts == {
        ("hate", MONDAY): 2,
        ("hate", MONDAY + timedelta(hours=1)): 1,
        ("spam", MONDAY): 1,
    }


def test_forecast_averages_the_same_hour_over_trailing_weeks_counting_empty_hours_as_zero() -> None:
    as_of = MONDAY + timedelta(weeks=3)
    tuesday_9 = MONDAY + timedelta(days=1, hours=9)
    history = {
        ("hate", tuesday_9): 6,
        ("hate", tuesday_9 + timedelta(weeks=1)): 12,
        # week 2 has no arrivals at that hour: it counts as zero.
        ("hate", MONDAY - timedelta(weeks=1)): 100,  # outside a 3-week window
    }
    forecast = forecast_by_hour_of_week(history, as_of=as_of, weeks=3)
    assert forecast.arrivals("hate", 24 + 9) == pytest.approx(6.0)
    assert forecast.arrivals("hate", 0) == 0.0
    assert forecast.arrivals("unknown", 5) == 0.0
    assert forecast.queues == ("hate",)
    assert len(forecast.rows()) == HOURS_PER_WEEK


def test_weights_favour_the_most_recent_week() -> None:
    as_of = MONDAY + timedelta(weeks=2)
    history = {("q", MONDAY): 10, ("q", MONDAY + timedelta(weeks=1)): 20}
    forecast = forecast_by_hour_of_week(history, as_of=as_of, weeks=2, weights=[3, 1])
    assert forecast.arrivals("q", 0) == pytest.approx(20 * 0.75 + 10 * 0.25)
    assert forecast.weights == (0.75, 0.25)


def test_forecast_accepts_raw_arrivals() -> None:
    arrivals = [(MONDAY + timedelta(weeks=w, minutes=m), "spam") for w in range(2) for m in (1, 2)]
    forecast = forecast_by_hour_of_week(arrivals, as_of=MONDAY + timedelta(weeks=2), weeks=2)
    assert forecast.arrivals("spam", 0) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weeks": 0}, "weeks"),
        ({"weeks": 2, "weights": [1.0]}, "one weight"),
        ({"weeks": 1, "weights": [0.0]}, "positive"),
    ],
)
def test_bad_forecast_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        forecast_by_hour_of_week({}, as_of=MONDAY, **kwargs)  # type: ignore[arg-type]


def test_mape_ignores_zero_actuals_and_reports_them() -> None:
    accuracy = mape([(8.0, 10.0), (6.0, 4.0), (3.0, 0.0)])
    assert accuracy.mape == pytest.approx((0.2 + 0.5) / 2)
    assert (accuracy.points, accuracy.zero_actuals_ignored) == (2, 1)
    assert mape([(1.0, 0.0)]).mape is None


def test_backtest_is_zero_for_a_perfectly_repeating_week_and_positive_after_a_surge() -> None:
    pattern = {h: (h % 24) + 1 for h in range(HOURS_PER_WEEK)}
    steady = {("q", MONDAY + timedelta(weeks=w, hours=h)): n for w in range(5) for h, n in pattern.items()}
    as_of = MONDAY + timedelta(weeks=5)
    assert backtest(steady, as_of=as_of, weeks=4).mape == pytest.approx(0.0)
    surged = dict(steady)
    for h in range(HOURS_PER_WEEK):
        surged[("q", MONDAY + timedelta(weeks=4, hours=h))] = pattern[h] * 2
    accuracy = backtest(surged, as_of=as_of, weeks=4)
    assert accuracy.mape == pytest.approx(0.5)
    assert accuracy.points == HOURS_PER_WEEK


@given(
    counts=st.lists(st.integers(min_value=0, max_value=50), min_size=4, max_size=4),
    how=st.integers(min_value=0, max_value=HOURS_PER_WEEK - 1),
)
def test_unweighted_forecast_lies_between_weekly_min_and_max(counts: list[int], how: int) -> None:
    history = {("q", MONDAY + timedelta(weeks=w, hours=how)): n for w, n in enumerate(counts)}
    value = forecast_by_hour_of_week(history, as_of=MONDAY + timedelta(weeks=4), weeks=4).arrivals("q", how)
    assert min(counts) - 1e-9 <= value <= max(counts) + 1e-9
    assert value == pytest.approx(sum(counts) / 4)
