"""Strikes expire and stop counting; temporary actions end by themselves and are reversed."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.db import transaction
from django.utils import timezone

from modops.audit.models import Event
from modops.audit.services import record
from modops.enforcement.models import Action, ActionStatus, Adapter, OutboxMessage, Strike
from modops.enforcement.services import reverse_action, standing, suggest_for
from modops.enforcement.worker import run_once
from modops.policies.models import Policy
from modops.subjects.models import Subject
from modops.testing.factories import decide_item, open_item


def test_strikes_expire_and_stop_counting_for_the_ladder(moderator):
    harassment = Policy.objects.get(code="harassment")
    decide_item(moderator.user, open_item("m1"))  # a warning and a strike
    account = Subject.objects.get(kind="account", external_id="acc_9")
    assert suggest_for(account, harassment).type == "suspension"
    strike = Strike.objects.get()
    assert strike.expires_at - strike.created_at == timedelta(days=harassment.strike_expiry_days)

    with time_machine.travel(strike.expires_at - timedelta(minutes=1)):
        assert run_once()["strikes"] == 0
    with time_machine.travel(strike.expires_at + timedelta(minutes=1)):
        assert run_once()["strikes"] == 1
        assert Strike.objects.get().expired
        assert suggest_for(account, harassment).type == "warn"
        assert standing(account).strikes == []
        event = Event.objects.get(verb="strike.expired")
        assert (event.subject_kind, event.subject_external_id) == ("account", "acc_9")
        # The next violation starts the ladder again.
        result = decide_item(moderator.user, open_item("m2"))
        assert [a.type for a in result.actions] == ["warn"]
        assert run_once()["strikes"] == 0


def test_a_temporary_action_is_reversed_when_it_ends(moderator):
    Adapter.objects.create(name="log", kind="log")
    result = decide_item(moderator.user, open_item("m1"), action="timeout", duration=600)
    [action] = result.actions
    assert standing(action.subject).label == "timed_out"
    run_once()  # delivers the apply
    with time_machine.travel(action.ends_at - timedelta(seconds=5)):
        assert run_once()["actions"] == 0
    with time_machine.travel(action.ends_at + timedelta(seconds=5)):
        assert run_once()["actions"] == 1
        action.refresh_from_db()
        assert action.status == ActionStatus.EXPIRED
        assert action.ended_at is not None
        assert standing(action.subject).label == "has_strikes"
        reversal = OutboxMessage.objects.get(topic="action.reverse")
        assert reversal.payload["subject"]["expired"] is True
        assert Event.objects.filter(verb="action.expired", subject_external_id="acc_9").count() == 1
        assert run_once()["actions"] == 0, "an expired action is reversed once"
    # Expiry keeps the strike: the violation happened.
    assert Strike.objects.get().voided is False


def test_one_off_and_indefinite_actions_never_expire(moderator):
    decide_item(moderator.user, open_item("m1"), action="warn")
    decide_item(moderator.user, open_item("m2", account_id="acc_x"), action="indefinite_suspension")
    with time_machine.travel(timezone.now() + timedelta(days=3650)):
        assert run_once()["actions"] == 0
    assert set(Action.objects.values_list("status", flat=True)) == {ActionStatus.ACTIVE}
    assert standing(Subject.objects.get(external_id="acc_x")).label == "indefinitely_suspended"


def test_reversing_an_action_early_voids_its_strike_and_queues_the_undo(moderator):
    Adapter.objects.create(name="log", kind="log")
    [action] = decide_item(moderator.user, open_item("m1"), action="suspension", duration=86400).actions
    with transaction.atomic():
        record(reverse_action(action, "staff:mod1", "appeal granted"))
    action.refresh_from_db()
    assert action.status == ActionStatus.REVERSED
    assert Strike.objects.get().voided
    assert standing(action.subject).label == "good"
    assert OutboxMessage.objects.filter(topic="action.reverse", action=action).count() == 1
    event = Event.objects.get(verb="action.reversed")
    assert event.reason == "appeal granted"
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert run_once()["actions"] == 0, "a reversed action does not expire again"
