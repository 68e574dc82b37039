"""Decisions: one verdict per item, guarded by its version; the ladder suggests the action."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from modops.audit.models import Event
from modops.audit.services import verify
from modops.enforcement.models import Action, OutboxMessage, Strike
from modops.review.models import Decision, ItemStatus, ReviewItem
from modops.review.services import DecisionInput, decide
from modops.testing.factories import report_body


def _item(intake_api, message_id: str = "m1", policy: str = "harassment", account: str = "acc_9") -> ReviewItem:
    body = report_body(message_id, kind="chat_message", policy=policy, account_id=account, channel_id="ch_9")
    response = intake_api.post("/reports", body)
    assert response.status_code == 202, response.content
    return ReviewItem.objects.get(pk=response.json()["review_item_id"])


def _decide(api, item: ReviewItem, **body):
    body.setdefault("violation", True)
    body.setdefault("version", ReviewItem.objects.get(pk=item.pk).version)
    return api.post(f"/review-items/{item.pk}/decision", body)


def _state() -> tuple[int, int, int, int]:
    return Decision.objects.count(), Action.objects.count(), Strike.objects.count(), OutboxMessage.objects.count()


def test_a_decision_closes_the_item_and_takes_the_action(intake_api, moderator_api):
    item = _item(intake_api)
    response = _decide(moderator_api, item, action={"type": "suspension", "duration_seconds": 86400}, note="abuse")
    assert response.status_code == 200, response.content
    body = response.json()
    assert Decision.objects.filter(pk=body["decision_id"]).exists()
    [action] = body["actions"]
    assert (action["type"], action["status"], action["duration_seconds"]) == ("suspension", "active", 86400)
    assert action["target"] == {"kind": "account", "id": "acc_9"}
    closed = ReviewItem.objects.get(pk=item.pk)
    assert closed.status == ItemStatus.CLOSED
    assert closed.version == item.version + 1
    verbs = set(Event.objects.filter(review_item_id=item.pk).values_list("verb", flat=True))
    assert {"decision.made", "action.taken"} <= verbs
    notice = Action.objects.get().notice
    assert notice["policy"] == "harassment" and notice["facts"] == "abuse" and "appeal" in notice["how_to_appeal"]


def test_a_stale_version_is_409_and_changes_nothing(intake_api, moderator_api):
    item = _item(intake_api)
    claimed = moderator_api.post("/queues/general/claim").json()["review_item"]
    before = _state()
    response = _decide(moderator_api, item, version=claimed["version"] - 1, action={"type": "warn"})
    assert response.status_code == 409
    assert "stale version" in response.json()["detail"]
    assert _state() == before
    after = ReviewItem.objects.get(pk=item.pk)
    assert (after.status, after.version) == (ItemStatus.CLAIMED, claimed["version"])
    assert not Event.objects.filter(verb="decision.made").exists()


def test_a_decided_item_cannot_be_decided_again(intake_api, moderator_api, staff_api):
    item = _item(intake_api)
    assert _decide(moderator_api, item, action={"type": "warn"}).status_code == 200
    before = _state()
    _, other = staff_api("other")
    again = _decide(other, item, action={"type": "suspension", "duration_seconds": 86400})
    assert again.status_code == 409
    assert "already decided" in again.json()["detail"]
    assert _state() == before


def test_an_item_claimed_by_someone_else_cannot_be_decided(intake_api, moderator_api, staff_api):
    item = _item(intake_api)
    version = moderator_api.post("/queues/general/claim").json()["review_item"]["version"]
    _, other = staff_api("other")
    assert _decide(other, item, version=version, action={"type": "warn"}).status_code == 409
    assert _decide(moderator_api, item, version=version, action={"type": "warn"}).status_code == 200


def test_without_an_action_the_ladder_suggests_one_and_a_repeat_escalates(intake_api, moderator_api):
    # harassment: warn, then a 1-day suspension, then 3 days ...
    first = _decide(moderator_api, _item(intake_api, "m1"))
    assert [a["type"] for a in first.json()["actions"]] == ["warn"]
    second = _decide(moderator_api, _item(intake_api, "m2"))
    [action] = second.json()["actions"]
    assert (action["type"], action["duration_seconds"]) == ("suspension", 86400)
    third = _decide(moderator_api, _item(intake_api, "m3"))
    assert third.json()["actions"][0]["duration_seconds"] == 259200
    assert Strike.objects.filter(account__external_id="acc_9", policy__code="harassment").count() == 3
    suggested = [d.suggested for d in Decision.objects.order_by("created_at")]
    assert suggested[0] == {"type": "warn"}


def test_strikes_under_another_policy_do_not_climb_this_ladder(intake_api, moderator_api):
    _decide(moderator_api, _item(intake_api, "m1", policy="spam_scams"))
    response = _decide(moderator_api, _item(intake_api, "m2", policy="harassment"))
    assert [a["type"] for a in response.json()["actions"]] == ["warn"]


def test_another_accounts_strikes_do_not_count(intake_api, moderator_api):
    _decide(moderator_api, _item(intake_api, "m1", account="acc_a"))
    response = _decide(moderator_api, _item(intake_api, "m2", account="acc_b"))
    assert [a["type"] for a in response.json()["actions"]] == ["warn"]


def test_no_violation_means_no_action_and_no_strike(intake_api, moderator_api):
    item = _item(intake_api)
    response = _decide(moderator_api, item, violation=False, note="banter")
    assert response.status_code == 200, response.content
    assert response.json()["actions"] == []
    assert Action.objects.count() == Strike.objects.count() == OutboxMessage.objects.count() == 0
    decision = Decision.objects.get()
    assert (decision.violation, decision.action_type, decision.policy) == (False, "none", None)
    assert ReviewItem.objects.get(pk=item.pk).status == ItemStatus.CLOSED


def test_violation_with_action_none_records_no_action(intake_api, moderator_api):
    response = _decide(moderator_api, _item(intake_api), action={"type": "none"})
    assert response.status_code == 200
    assert response.json()["actions"] == []
    assert Strike.objects.count() == 0


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"type": "suspension"}, "action.duration_seconds"),
        ({"type": "timeout"}, "action.duration_seconds"),
        ({"type": "warn", "duration_seconds": 60}, "action.duration_seconds"),
        ({"type": "suspension", "duration_seconds": 0}, "action.duration_seconds"),
        ({"type": "suspension", "duration_seconds": -5}, "action.duration_seconds"),
        ({"type": "banish"}, "action.type"),
        ({"type": ""}, "action.type"),
        ({"type": "end_stream"}, "action.type"),  # a chat message is not a stream
        ({"duration_seconds": 60}, "action.type"),
    ],
)
def test_bad_actions_are_422_naming_the_field_and_change_nothing(intake_api, moderator_api, action, field):
    item = _item(intake_api)
    before = _state()
    response = _decide(moderator_api, item, action=action)
    assert response.status_code == 422, response.content
    assert [".".join(e["loc"][1:]) for e in response.json()["detail"]] == [field]
    assert _state() == before
    assert ReviewItem.objects.get(pk=item.pk).status == ItemStatus.OPEN


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 0}, "version"),
        ({"version": "two"}, "version"),
        ({"violation": "maybe"}, "violation"),
        ({"policy": "jaywalking"}, "policy"),
    ],
)
def test_bad_decision_fields_are_422(intake_api, moderator_api, body, field):
    item = _item(intake_api)
    response = _decide(moderator_api, item, **body)
    assert response.status_code == 422, response.content
    assert field in [".".join(map(str, e["loc"][1:])) for e in response.json()["detail"]]
    assert Decision.objects.count() == 0


def test_missing_violation_is_422(intake_api, moderator_api):
    item = _item(intake_api)
    response = moderator_api.post(f"/review-items/{item.pk}/decision", {"version": item.version})
    assert response.status_code == 422
    assert ["body", "violation"] in [e["loc"] for e in response.json()["detail"]]


def test_the_decision_may_name_another_policy(intake_api, moderator_api):
    item = _item(intake_api, policy="harassment")
    response = _decide(moderator_api, item, policy="hateful_conduct")
    [action] = response.json()["actions"]
    # hateful_conduct's ladder starts at a 1-day suspension.
    assert (action["type"], action["duration_seconds"]) == ("suspension", 86400)
    assert Strike.objects.get().policy.code == "hateful_conduct"


def test_a_tier_3_item_refuses_a_clearance_1_decider(intake_api, moderator_api):
    item = _item(intake_api, policy="youth_safety")
    assert item.tier == 3
    response = _decide(moderator_api, item, action={"type": "indefinite_suspension"})
    assert response.status_code == 403
    assert "clearance" in response.json()["detail"]
    assert Decision.objects.count() == 0


def test_a_token_without_a_user_cannot_decide(intake_api):
    from modops.conftest import Api
    from modops.testing.factories import token_for

    item = _item(intake_api)
    admin = Api(token_for(["admin"], name="ops-admin"))
    response = _decide(admin, item, action={"type": "warn"})
    assert response.status_code in {403, 422}
    assert Decision.objects.count() == 0


def test_unknown_item_is_404(moderator_api):
    response = moderator_api.post(
        "/review-items/00000000-0000-0000-0000-000000000000/decision", {"violation": False, "version": 1}
    )
    assert response.status_code == 404


def test_the_strikes_event_names_the_strike_it_recorded(intake_api, moderator_api):
    item = _item(intake_api)
    assert _decide(moderator_api, item, action={"type": "warn"}).status_code == 200
    strike = Strike.objects.get()
    event = Event.objects.get(verb="strike.recorded")
    assert (event.subject_kind, event.subject_external_id) == ("account", "acc_9")
    assert event.after["strike_id"] == strike.pk
    assert verify().ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_a_decision_takes_two_round_trips(intake_api, moderator, postgres_only):
    item = _item(intake_api)
    decide(moderator.user, item.pk, DecisionInput(violation=True, version=item.version, action_type="warn"))  # prepares
    item = _item(intake_api, "m2")
    with CaptureQueriesContext(connection) as sent:
        decide(moderator.user, item.pk, DecisionInput(violation=True, version=item.version, action_type="warn"))
    # Django also lists its own BEGIN and COMMIT, which send nothing here (the batches carry them).
    batches = [q["sql"] for q in sent.captured_queries if "EXECUTE" in q["sql"]]
    # The read (with the log's head lock and the strike's id), then every write with the events and COMMIT.
    assert len(batches) == 2
    assert batches[0].startswith("BEGIN; ") and batches[1].endswith("; COMMIT")
    assert Event.objects.get(
        verb="strike.recorded", subject_external_id="acc_9", after__strike_id=Strike.objects.latest("id").pk
    )
