"""The moderation event log: every change is on record, chained, and tampering is named."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from modops.audit.models import ChainHead, Event
from modops.audit.services import NewEvent, record, verify
from modops.enforcement.models import Adapter
from modops.enforcement.worker import run_once
from modops.review import services as review
from modops.testing.factories import StaffFactory, decide_item, detection_body, open_item, report_body

pytestmark = pytest.mark.django_db


def _verbs_during(work: Callable[[], object]) -> list[str]:
    last = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    work()
    return list(Event.objects.filter(seq__gt=last).order_by("seq").values_list("verb", flat=True))


def test_every_state_change_of_the_loop_writes_an_event(intake_api, moderator, settings):
    settings.MODOPS_OUTBOX_MAX_ATTEMPTS = 1
    Adapter.objects.create(name="log", kind="log")
    Adapter.objects.create(name="broken", kind="webhook", config={"url": "http://127.0.0.1:9/", "secret": "s"})
    user = moderator.user
    other = StaffFactory(user__username="other").user

    body = report_body("m1", kind="chat_message", policy="harassment", account_id="acc_9")
    assert _verbs_during(lambda: intake_api.post("/reports", body)) == ["review_item.opened", "report.received"]
    verbs = _verbs_during(lambda: intake_api.post("/reports", {**body, "reporter_id": "r2"}))
    assert verbs == ["review_item.reprioritised", "report.received"]
    det = detection_body("m1", policy="harassment", score=0.99)
    assert "detection.received" in _verbs_during(lambda: intake_api.post("/detections", det))
    low = detection_body("m1", policy="harassment", score=0.1)
    assert _verbs_during(lambda: intake_api.post("/detections", low)) == ["detection.received"]

    item = review.claim(user, "general").item
    assert Event.objects.filter(verb="review_item.claimed", review_item_id=item.pk).count() == 1
    assert _verbs_during(lambda: review.renew(user, item.pk)) == ["review_item.lease_renewed"]
    assert _verbs_during(lambda: review.release(user, item.pk)) == ["review_item.released"]
    review.claim(user, "general")
    assert _verbs_during(lambda: review.skip(user, item.pk)) == ["review_item.skipped"]
    review.claim(other, "general")
    assert _verbs_during(lambda: review.escalate(other, item.pk, "policy", "unclear")) == ["review_item.escalated"]
    review.claim(other, "policy")
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert "review_item.lease_expired" in _verbs_during(run_once)

    verbs = _verbs_during(lambda: decide_item(other, item, action="suspension", duration=3600))
    assert verbs == ["decision.made", "action.taken", "strike.recorded"]
    verbs = _verbs_during(run_once)
    assert sorted(verbs) == ["outbox.dead_lettered", "outbox.delivered"]
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert "action.expired" in _verbs_during(run_once)
    with time_machine.travel(timezone.now() + timedelta(days=400)):
        assert "strike.expired" in _verbs_during(run_once)

    late = open_item("m_late")
    with time_machine.travel(late.sla_due_at + timedelta(minutes=1)):
        assert _verbs_during(run_once) == ["review_item.sla_breached"]
    assert verify().ok


def test_a_refused_request_writes_no_event(intake_api, moderator_api):
    intake_api.post("/reports", report_body(policy="jaywalking"))
    item = open_item("m1")
    moderator_api.post(f"/review-items/{item.pk}/decision", {"violation": True, "version": 99})
    assert list(Event.objects.values_list("verb", flat=True)) == ["review_item.opened", "report.received"]


def _log(n: int = 6) -> None:
    with transaction.atomic():
        record(
            NewEvent(actor="test", verb=f"test.{i}", subject_kind="account", subject_external_id="a") for i in range(n)
        )


def _sql(statement: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_untouched_log_verifies(capsys):
    _log()
    assert verify().ok and verify().checked == 6
    call_command("audit", "verify")
    assert "6 events, chain intact" in capsys.readouterr().out


def test_an_empty_log_verifies():
    assert verify().ok


@pytest.mark.parametrize(
    ("column", "value"),
    [("reason", "nothing to see"), ("actor", "someone else"), ("verb", "test.x"), ("subject_external_id", "b")],
)
def test_an_edited_row_is_named(column, value):
    _log()
    _sql(f"UPDATE audit_event SET {column} = %s WHERE seq = 4", value)  # noqa: S608 - fixed column names
    result = verify()
    assert not result.ok
    assert (result.seq, result.problem) == (4, "event #4 was altered")
    with pytest.raises(CommandError, match="event #4 was altered"):
        call_command("audit", "verify")


def test_an_edited_json_field_is_named():
    _log()
    Event.objects.filter(seq=2).update(after={"status": "fine"})
    assert verify().problem == "event #2 was altered"


def test_an_edited_time_is_named():
    _log()
    Event.objects.filter(seq=5).update(at=timezone.now() - timedelta(days=1))
    assert verify().problem == "event #5 was altered"


def test_a_rehashed_row_breaks_the_next_link():
    _log()
    Event.objects.filter(seq=3).update(reason="edited", hash="f" * 64)
    result = verify()
    assert not result.ok and result.seq == 3


def test_a_deleted_row_is_named_missing():
    _log()
    _sql("DELETE FROM audit_event WHERE seq = 3")
    result = verify()
    assert (result.ok, result.seq, result.problem) == (False, 3, "event #3 is missing")
    with pytest.raises(CommandError, match="event #3 is missing"):
        call_command("audit", "verify")


def test_a_deleted_first_row_is_named_missing():
    _log()
    _sql("DELETE FROM audit_event WHERE seq = 1")
    assert verify().problem == "event #1 is missing"


def test_a_truncated_tail_is_detected():
    _log()
    _sql("DELETE FROM audit_event WHERE seq >= 5")
    result = verify()
    assert not result.ok
    assert result.seq == 5
    assert "ends at #4" in result.problem and "#6" in result.problem
    with pytest.raises(CommandError, match="ends at #4"):
        call_command("audit", "verify")


def test_a_wiped_log_is_detected():
    _log()
    _sql("DELETE FROM audit_event")
    assert not verify().ok


def test_the_chain_continues_across_transactions():
    _log(3)
    _log(3)
    assert verify().ok
    assert ChainHead.objects.get().seq == 6
    assert list(Event.objects.values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_the_events_api_lists_one_subjects_events_oldest_first(intake_api):
    intake_api.post("/reports", report_body("st_1"))
    intake_api.post("/reports", report_body("st_2"))
    intake_api.post("/reports", report_body("st_1", reporter="r2"))
    response = intake_api.get("/events", subject="stream:st_1")
    assert response.status_code == 200, response.content
    events = response.json()
    assert {e["subject"] for e in events} == {"stream:st_1"}
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert [e["verb"] for e in events].count("report.received") == 2
    assert all(len(e["hash"]) == 64 for e in events)
    assert intake_api.get("/events", subject="stream:st_1", limit=1).json()[0]["verb"] == "review_item.opened"
    assert intake_api.get("/events", subject="stream:nobody").json() == []


@pytest.mark.parametrize(
    "subject", ["stream", "planet:x", "stream:", ":st_1", "st_1", "", "Stream:st_1", "stream:\x00"]
)
def test_the_events_api_refuses_a_malformed_subject_with_422(intake_api, subject):
    response = intake_api.get("/events", subject=subject)
    assert response.status_code == 422, response.content
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "subject"]


def test_the_events_api_needs_a_subject_and_a_sane_limit(intake_api):
    assert intake_api.get("/events").status_code == 422
    assert intake_api.get("/events", subject="stream:s", limit=0).status_code == 422
    assert intake_api.get("/events", subject="stream:s", limit=100000).status_code == 422
