"""Reports and detections on one subject and policy gather into one open review item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from modops.intake.models import Detection, Report
from modops.review.models import ItemStatus, ReviewItem
from modops.review.services import DecisionInput, decide
from modops.testing.factories import detection_body, report_body

START = datetime(2025, 3, 1, 20, 0, tzinfo=UTC)


def _item(response) -> ReviewItem:
    assert response.status_code == 202, response.content
    return ReviewItem.objects.get(pk=response.json()["review_item_id"])


def test_reports_and_detections_on_the_same_subject_and_policy_share_one_item(intake_api):
    report = report_body("msg_1", kind="chat_message", policy="harassment", account_id="acc_9", channel_id="ch_9")
    a = _item(intake_api.post("/reports", report))
    b = _item(intake_api.post("/detections", detection_body("msg_1", policy="harassment", score=0.8)))
    c = _item(intake_api.post("/reports", {**report, "reporter_id": "acc_56"}))
    assert a.pk == b.pk == c.pk
    assert (c.report_count, c.detection_count) == (2, 1)
    assert c.confidence == 0.8
    assert Report.objects.filter(review_item=c).count() == 2
    assert Detection.objects.filter(review_item=c).count() == 1


def test_a_different_policy_or_subject_opens_a_different_item(intake_api):
    a = _item(intake_api.post("/reports", report_body()))
    b = _item(intake_api.post("/reports", report_body(policy="harassment")))
    c = _item(intake_api.post("/reports", report_body("st_999")))
    assert len({a.pk, b.pk, c.pk}) == 3


def test_a_storm_stays_one_item_whose_priority_rises_with_velocity(intake_api):
    priorities = []
    item_ids = set()
    with time_machine.travel(START, tick=False) as clock:
        for n in range(40):
            response = intake_api.post("/reports", report_body(reporter=f"acc_r{n}"))
            item = _item(response)
            item_ids.add(item.pk)
            priorities.append(item.priority)
            clock.shift(timedelta(seconds=2))
    assert len(item_ids) == 1
    assert item.report_count == 40
    assert priorities == sorted(priorities), "priority must not fall while reports keep arriving"
    assert priorities[-1] > priorities[0] * 2
    assert item.velocity > 20


def test_a_slow_trickle_ranks_below_a_storm_on_an_equal_subject(intake_api):
    with time_machine.travel(START, tick=False) as clock:
        for n in range(20):
            intake_api.post("/reports", report_body("st_storm", reporter=f"r{n}"))
            intake_api.post("/reports", report_body("st_trickle", reporter=f"r{n}")) if n % 10 == 0 else None
            clock.shift(timedelta(seconds=3))
    storm = ReviewItem.objects.get(subject__external_id="st_storm")
    trickle = ReviewItem.objects.get(subject__external_id="st_trickle")
    assert storm.priority > trickle.priority


def test_after_a_decision_a_new_report_opens_a_new_item(intake_api, moderator):
    first = _item(intake_api.post("/reports", report_body(policy="harassment")))
    decide(moderator.user, first.pk, DecisionInput(violation=False, version=first.version))
    second = _item(intake_api.post("/reports", report_body(policy="harassment", reporter="acc_56")))
    assert second.pk != first.pk
    assert second.status == ItemStatus.OPEN
    assert second.report_count == 1
    first.refresh_from_db()
    assert first.status == ItemStatus.CLOSED
    assert first.report_count == 1


def test_a_detection_below_the_threshold_opens_no_item(intake_api):
    response = intake_api.post("/detections", detection_body(score=0.49))
    assert response.status_code == 202
    body = response.json()
    assert body["review_item_id"] is None
    assert body["actions"] == []
    assert Detection.objects.filter(pk=body["detection_id"], review_item=None).exists()
    assert ReviewItem.objects.count() == 0
    at_threshold = intake_api.post("/detections", detection_body(score=0.5)).json()
    assert at_threshold["review_item_id"] is not None


def test_a_detection_without_a_policy_is_recorded_without_an_item(intake_api):
    body = intake_api.post("/detections", {**detection_body(policy=None, score=0.99), "label": "spam?"}).json()
    assert body["review_item_id"] is None
    assert Detection.objects.get(pk=body["detection_id"]).label == "spam?"


def test_a_low_detection_does_not_join_an_open_item(intake_api):
    item = _item(intake_api.post("/detections", detection_body(score=0.9)))
    low = intake_api.post("/detections", detection_body(score=0.2)).json()
    assert low["review_item_id"] is None
    item.refresh_from_db()
    assert item.detection_count == 1


def test_stream_going_live_moves_due_earlier_and_raises_priority(intake_api):
    with time_machine.travel(START, tick=False) as clock:
        before = _item(intake_api.post("/reports", report_body(live=False)))
        clock.shift(timedelta(minutes=1))
        intake_api.post("/reports", report_body("st_other", live=True))  # unrelated subject, unchanged
        after = _item(intake_api.post("/reports", report_body(live=True, reporter="acc_56")))
    assert after.pk == before.pk
    assert after.live is True
    assert after.sla_due_at < before.sla_due_at
    assert after.sla_due_at == before.first_seen_at + timedelta(seconds=after.policy.sla_live_seconds)
    assert after.priority > before.priority


def test_stream_going_live_through_a_chat_report_recomputes_the_streams_items(intake_api):
    # The stream's own item was opened while it was offline; then a chat message reported in it
    # says the stream is live now: the stream's item must pick that up.
    with time_machine.travel(START, tick=False) as clock:
        stream_item = _item(intake_api.post("/reports", report_body("st_5", live=False)))
        clock.shift(timedelta(minutes=1))
        chat = report_body("msg_5", kind="chat_message", stream_id="st_5", channel_id="ch_9", live=True)
        intake_api.post("/reports", chat)
    after = ReviewItem.objects.get(pk=stream_item.pk)
    assert after.live is True
    assert after.sla_due_at < stream_item.sla_due_at
    assert after.priority > stream_item.priority


def test_stream_ending_lowers_priority_but_keeps_the_live_due_time(intake_api):
    with time_machine.travel(START, tick=False) as clock:
        live = _item(intake_api.post("/reports", report_body(live=True)))
        clock.shift(timedelta(minutes=1))
        ended = _item(intake_api.post("/reports", report_body(live=False, reporter="acc_56")))
    assert ended.live is False
    assert ended.priority < live.priority
    assert ended.sla_due_at == live.sla_due_at
    assert ended.subject.ended_at is not None


def test_reports_that_are_accepted_are_all_on_record(intake_api):
    ids = [intake_api.post("/reports", report_body(reporter=f"r{n}")).json()["report_id"] for n in range(10)]
    assert Report.objects.filter(pk__in=ids).count() == 10
