"""SLA due times: live subjects are due sooner, and a change of live state only brings it forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from modops.ops.sla import sla_due_at, sla_risk, sla_target_seconds

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))
# A live target is always shorter than the ordinary one in the taxonomy.
targets = st.tuples(st.integers(60, 3600), st.integers(1, 10 * 86400)).map(lambda t: (t[0], t[0] + t[1]))


@given(moments, targets)
def test_live_is_due_earlier(first_seen, t):
    live_s, ordinary_s = t
    assert sla_due_at(first_seen, live_s, ordinary_s, True) < sla_due_at(first_seen, live_s, ordinary_s, False)


@given(moments, targets, st.booleans())
def test_due_counts_from_first_sight(first_seen, t, live):
    due = sla_due_at(first_seen, *t, live)
    assert due - first_seen == timedelta(seconds=sla_target_seconds(*t, live))


@given(moments, targets)
def test_going_live_moves_due_earlier(first_seen, t):
    before = sla_due_at(first_seen, *t, False)
    after = sla_due_at(first_seen, *t, True, current_due=before)
    assert after < before
    assert after == first_seen + timedelta(seconds=t[0])


@given(moments, targets)
def test_stream_ending_never_pushes_due_later(first_seen, t):
    live_due = sla_due_at(first_seen, *t, True)
    assert sla_due_at(first_seen, *t, False, current_due=live_due) == live_due


@given(moments, targets, st.booleans(), st.lists(st.booleans(), max_size=8))
def test_any_sequence_of_live_changes_only_moves_due_forward(first_seen, t, live, changes):
    due = sla_due_at(first_seen, *t, live)
    for state in changes:
        nxt = sla_due_at(first_seen, *t, state, current_due=due)
        assert nxt <= due
        due = nxt


def test_risk_when_a_quarter_of_the_target_is_left():
    due = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert not sla_risk(due - timedelta(minutes=30), due, 3600)
    assert sla_risk(due - timedelta(minutes=15), due, 3600)
    assert sla_risk(due + timedelta(minutes=1), due, 3600)
