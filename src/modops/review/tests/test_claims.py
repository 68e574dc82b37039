"""Claims with leases: who gets which item, for how long, and what happens when they let go."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from modops.audit.models import Event
from modops.conftest import Api
from modops.enforcement.worker import run_once
from modops.review.models import ItemStatus, ReviewItem, SkipRecord
from modops.testing.factories import report_body, token_for


def _chat_report(message_id: str, policy: str = "harassment", account: str = "acc_9", **extra) -> dict:
    """A report on a chat message outside any live stream: it lands in the general queue."""
    return report_body(message_id, kind="chat_message", policy=policy, account_id=account, **extra)


def _open(intake_api, body: dict, times: int = 1) -> ReviewItem:
    for n in range(times):
        response = intake_api.post("/reports", {**body, "reporter_id": f"acc_r{n}"})
        assert response.status_code == 202, response.content
    return ReviewItem.objects.get(pk=response.json()["review_item_id"])


def _claimed_id(response) -> str:
    assert response.status_code == 200, response.content
    return response.json()["review_item"]["id"]


def test_claim_hands_out_the_highest_priority_item_first(intake_api, moderator_api):
    low = _open(intake_api, _chat_report("m_low", policy="spam_scams"))
    high = _open(intake_api, _chat_report("m_high", policy="hateful_conduct"), times=5)
    mid = _open(intake_api, _chat_report("m_mid", policy="harassment"))
    assert high.priority > mid.priority > low.priority
    order = [_claimed_id(moderator_api.post("/queues/general/claim")) for _ in range(3)]
    assert order == [str(high.pk), str(mid.pk), str(low.pk)]
    assert moderator_api.post("/queues/general/claim").status_code == 204


def test_claim_answer_carries_the_item_and_its_lease(intake_api, moderator_api):
    item = _open(intake_api, _chat_report("m1"))
    now = timezone.now()
    body = moderator_api.post("/queues/general/claim").json()
    assert body["review_item"]["id"] == str(item.pk)
    assert body["review_item"]["status"] == "claimed"
    assert body["review_item"]["claimed_by"] == "mod1"
    assert body["review_item"]["version"] == item.version + 1
    assert body["review_item"]["policy"] == "harassment"
    for key in ("queue", "priority", "sla_due_at"):
        assert key in body["review_item"]
    lease = body["lease_expires_at"]
    assert lease.endswith("Z") or "+" in lease, "times carry a zone"
    leased_for = ReviewItem.objects.get(pk=item.pk).lease_expires_at - now
    assert timedelta(minutes=9) < leased_for <= timedelta(minutes=10, seconds=5)
    assert Event.objects.filter(verb="review_item.claimed", review_item_id=item.pk).exists()


def test_an_empty_queue_answers_204(moderator_api):
    response = moderator_api.post("/queues/general/claim")
    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Type" not in response.headers


def test_a_token_bound_to_no_one_may_not_claim(db):
    unbound = Api(token_for(["moderation"], name="automation"))
    response = unbound.post("/queues/general/claim")
    assert response.status_code == 403
    assert "staff user" in response.json()["detail"]


def test_an_unknown_queue_is_404(moderator_api):
    assert moderator_api.post("/queues/nowhere/claim").status_code == 404


def test_items_in_a_language_the_moderator_lacks_are_not_offered(intake_api, moderator_api, staff_api):
    spanish = _open(intake_api, {**_chat_report("m_es"), "language": "es"})
    assert moderator_api.post("/queues/general/claim").status_code == 204
    _, bilingual = staff_api("bilingual", languages=["en", "es"])
    assert _claimed_id(bilingual.post("/queues/general/claim")) == str(spanish.pk)


def test_items_without_a_language_are_offered_to_anyone(intake_api, moderator_api):
    item = _open(intake_api, {**_chat_report("m_xx"), "language": ""})
    assert item.language == ""
    assert _claimed_id(moderator_api.post("/queues/general/claim")) == str(item.pk)


def test_items_above_the_moderators_clearance_are_not_offered(intake_api, moderator_api, staff_api):
    sensitive = _open(intake_api, _chat_report("m_nsfw", policy="sexual_content"))
    assert sensitive.tier == 2
    assert moderator_api.post("/queues/general/claim").status_code == 204
    _, cleared = staff_api("cleared", clearance=2)
    assert _claimed_id(cleared.post("/queues/general/claim")) == str(sensitive.pk)


def test_items_about_a_linked_account_are_never_offered(intake_api, staff_api):
    about_friend = _open(intake_api, _chat_report("m_friend", account="acc_friend"), times=3)
    other = _open(intake_api, _chat_report("m_other", account="acc_stranger"))
    assert about_friend.priority > other.priority
    _, linked = staff_api("linked", linked_account_ids=["acc_friend"])
    assert _claimed_id(linked.post("/queues/general/claim")) == str(other.pk)
    assert linked.post("/queues/general/claim").status_code == 204


def test_a_queue_needing_skills_or_clearance_the_user_lacks_is_403(moderator_api, staff_api):
    response = moderator_api.post("/queues/child-safety/claim")
    assert response.status_code == 403
    assert "child-safety" in response.json()["detail"]
    _, skilled_but_uncleared = staff_api("skilled", clearance=1, skills=["child_safety"])
    assert skilled_but_uncleared.post("/queues/child-safety/claim").status_code == 403
    _, cleared_but_unskilled = staff_api("uncleared", clearance=3)
    assert cleared_but_unskilled.post("/queues/child-safety/claim").status_code == 403
    _, specialist = staff_api("specialist", clearance=3, skills=["child_safety"])
    assert specialist.post("/queues/child-safety/claim").status_code == 204


def test_a_claimed_item_is_not_offered_to_anyone_else(intake_api, moderator_api, staff_api):
    _open(intake_api, _chat_report("m1"))
    _claimed_id(moderator_api.post("/queues/general/claim"))
    _, other = staff_api("other")
    assert other.post("/queues/general/claim").status_code == 204


def test_renewing_the_lease_extends_it(intake_api, moderator_api):
    item = _open(intake_api, _chat_report("m1"))
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = moderator_api.post("/queues/general/claim").json()["lease_expires_at"]
        clock.shift(timedelta(minutes=8))
        renewed = moderator_api.post(f"/review-items/{item.pk}/lease")
    assert renewed.status_code == 200, renewed.content
    assert renewed.json()["lease_expires_at"] > first
    held = ReviewItem.objects.get(pk=item.pk)
    with time_machine.travel(held.lease_expires_at - timedelta(seconds=30)):
        assert run_once()["leases"] == 0
    assert ReviewItem.objects.get(pk=item.pk).status == ItemStatus.CLAIMED


def test_only_the_holder_may_renew_release_skip_or_escalate(intake_api, moderator_api, staff_api):
    item = _open(intake_api, _chat_report("m1"))
    _claimed_id(moderator_api.post("/queues/general/claim"))
    _, other = staff_api("other")
    for verb in ("lease", "release", "skip"):
        assert other.post(f"/review-items/{item.pk}/{verb}").status_code == 409, verb
    assert other.post(f"/review-items/{item.pk}/escalate", {"queue": "legal"}).status_code == 409


def test_an_expired_lease_returns_the_item_to_its_queue(intake_api, moderator_api, staff_api):
    item = _open(intake_api, _chat_report("m1"))
    claimed_version = moderator_api.post("/queues/general/claim").json()["review_item"]["version"]
    _, other = staff_api("other")
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        done = run_once()
        assert done["leases"] == 1
        back = ReviewItem.objects.get(pk=item.pk)
        assert back.status == ItemStatus.OPEN
        assert back.claimed_by is None
        assert back.version == claimed_version + 1
        assert Event.objects.filter(verb="review_item.lease_expired", review_item_id=item.pk).count() == 1
        assert _claimed_id(other.post("/queues/general/claim")) == str(item.pk)
        # The first holder's lease is gone: renewing now fails.
        assert moderator_api.post(f"/review-items/{item.pk}/lease").status_code == 409


def test_release_puts_the_item_back_for_anyone(intake_api, moderator_api):
    item = _open(intake_api, _chat_report("m1"))
    claimed = moderator_api.post("/queues/general/claim").json()["review_item"]
    released = moderator_api.post(f"/review-items/{item.pk}/release", {"reason": "need a break"})
    assert released.status_code == 200, released.content
    body = released.json()
    assert body["status"] == "open"
    assert body["claimed_by"] is None
    assert body["version"] == claimed["version"] + 1
    event = Event.objects.get(verb="review_item.released", review_item_id=item.pk)
    assert event.reason == "need a break"
    assert _claimed_id(moderator_api.post("/queues/general/claim")) == str(item.pk)


def test_a_skipped_item_is_never_offered_to_that_person_again(intake_api, moderator_api, staff_api):
    item = _open(intake_api, _chat_report("m1"))
    _claimed_id(moderator_api.post("/queues/general/claim"))
    assert moderator_api.post(f"/review-items/{item.pk}/skip").status_code == 200
    assert SkipRecord.objects.filter(review_item=item).count() == 1
    assert moderator_api.post("/queues/general/claim").status_code == 204
    _, other = staff_api("other")
    assert _claimed_id(other.post("/queues/general/claim")) == str(item.pk)


def test_escalate_moves_the_item_to_another_queue(intake_api, moderator_api, staff_api):
    item = _open(intake_api, _chat_report("m1"))
    _claimed_id(moderator_api.post("/queues/general/claim"))
    response = moderator_api.post(
        f"/review-items/{item.pk}/escalate", {"queue": "legal", "reason": "court order mentioned"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["queue"] == "legal"
    assert response.json()["status"] == "open"
    event = Event.objects.get(verb="review_item.escalated", review_item_id=item.pk)
    assert (event.before, event.after["queue"], event.reason) == (
        {"queue": "general"},
        "legal",
        "court order mentioned",
    )
    assert moderator_api.post("/queues/general/claim").status_code == 204
    # Legal needs the legal skill.
    assert moderator_api.post("/queues/legal/claim").status_code == 403
    _, lawyer = staff_api("lawyer", skills=["legal"])
    assert _claimed_id(lawyer.post("/queues/legal/claim")) == str(item.pk)


@pytest.mark.parametrize(("queue", "message"), [("nowhere", "unknown queue"), ("general", "already in that queue")])
def test_escalating_to_an_unknown_or_the_same_queue_is_422_naming_queue(intake_api, moderator_api, queue, message):
    item = _open(intake_api, _chat_report("m1"))
    _claimed_id(moderator_api.post("/queues/general/claim"))
    response = moderator_api.post(f"/review-items/{item.pk}/escalate", {"queue": queue})
    assert response.status_code == 422, response.content
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "queue"]
    assert message in detail["msg"]
    assert ReviewItem.objects.get(pk=item.pk).status == ItemStatus.CLAIMED


def test_escalate_without_a_queue_is_422(intake_api, moderator_api):
    item = _open(intake_api, _chat_report("m1"))
    _claimed_id(moderator_api.post("/queues/general/claim"))
    response = moderator_api.post(f"/review-items/{item.pk}/escalate", {"reason": "?"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "queue"]


def test_read_item_shows_its_state(intake_api, moderator_api):
    item = _open(intake_api, _chat_report("m1"), times=2)
    body = moderator_api.get(f"/review-items/{item.pk}").json()
    assert body["status"] == "open"
    assert body["queue"] == "general"
    assert body["policy"] == "harassment"
    assert body["report_count"] == 2
    assert body["subject"] == {"kind": "chat_message", "id": "m1"}
    assert body["version"] == item.version
    assert "sla_due_at" in body and "priority" in body


def test_reading_an_item_above_ones_clearance_is_403(intake_api, moderator_api):
    item = _open(intake_api, _chat_report("m1", policy="youth_safety"))
    assert item.tier == 3
    assert moderator_api.get(f"/review-items/{item.pk}").status_code == 403
