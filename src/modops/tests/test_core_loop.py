"""The whole operations loop, end to end, through the HTTP API."""

from __future__ import annotations

import json
from datetime import timedelta

import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from modops.audit.models import Event
from modops.enforcement.adapters.webhook import verify
from modops.enforcement.models import Adapter, OutboxMessage, OutboxStatus
from modops.enforcement.worker import run_once
from modops.review.models import ReviewItem

SECRET = "webhook-secret-for-tests"


def _report(n: int, live: bool = True) -> dict[str, object]:
    return {
        "subject": {
            "kind": "stream",
            "id": "st_123",
            "channel_id": "ch_9",
            "account_id": "acc_9",
            "live": live,
            "viewers": 1200,
        },
        "policy": "hateful_conduct",
        "reporter_id": f"acc_r{n}",
        "text": "slurs on stream",
        "language": "en",
    }


def test_fifty_reports_on_a_live_stream_walk_the_whole_loop(intake_api, moderator_api, receiver, capsys):
    Adapter.objects.create(name="platform-webhook", kind="webhook", config={"url": receiver.url, "secret": SECRET})

    item_ids = set()
    for n in range(50):
        response = intake_api.post("/reports", _report(n))
        assert response.status_code == 202, response.content
        item_ids.add(response.json()["review_item_id"])
    assert len(item_ids) == 1
    item = ReviewItem.objects.get(pk=item_ids.pop())
    assert item.report_count == 50
    assert item.live is True
    assert item.queue.slug == "live"
    assert (item.sla_due_at - item.first_seen_at) == timedelta(minutes=10)

    # A lone non-live report of the same policy ranks far below the storm.
    lone = intake_api.post(
        "/reports",
        {
            "subject": {"kind": "chat_message", "id": "m1", "account_id": "acc_2"},
            "policy": "hateful_conduct",
            "reporter_id": "r",
        },
    ).json()
    assert ReviewItem.objects.get(pk=lone["review_item_id"]).priority < item.priority

    claimed = moderator_api.post("/queues/live/claim")
    assert claimed.status_code == 200, claimed.content
    body = claimed.json()
    assert body["review_item"]["id"] == str(item.id)
    version = body["review_item"]["version"]

    decided = moderator_api.post(
        f"/review-items/{item.id}/decision",
        {
            "violation": True,
            "policy": "hateful_conduct",
            "action": {"type": "suspension", "duration_seconds": 86400},
            "note": "repeated slurs while live",
            "version": version,
        },
    )
    assert decided.status_code == 200, decided.content
    actions = decided.json()["actions"]
    assert [a["type"] for a in actions] == ["suspension"]
    assert actions[0]["target"] == {"kind": "account", "id": "acc_9"}

    done = run_once()
    assert done["outbox"] == 1, (done, list(OutboxMessage.objects.values()))
    assert len(receiver.requests) == 1, list(OutboxMessage.objects.values("status", "last_error"))
    sent = receiver.requests[0]
    assert verify(SECRET, sent.headers["X-Modops-Timestamp"], sent.body, sent.headers["X-Modops-Signature"])
    assert not verify("wrong-secret", sent.headers["X-Modops-Timestamp"], sent.body, sent.headers["X-Modops-Signature"])
    payload = json.loads(sent.body)
    assert payload["action"]["type"] == "suspension"
    assert payload["target"] == {"kind": "account", "id": "acc_9"}
    assert sent.headers["Idempotency-Key"] == payload["id"]
    assert OutboxMessage.objects.get().status == OutboxStatus.DELIVERED

    standing = intake_api.get("/subjects/account/acc_9").json()
    assert standing["standing"] == "suspended"
    assert [a["type"] for a in standing["active_actions"]] == ["suspension"]
    assert [s["policy"] for s in standing["strikes"]] == ["hateful_conduct"]

    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        run_once()  # expires the suspension and queues its reversal
        run_once()  # delivers the reversal
    standing = intake_api.get("/subjects/account/acc_9").json()
    assert standing["standing"] == "has_strikes"
    assert standing["active_actions"] == []
    assert Event.objects.filter(verb="action.expired", subject_external_id="acc_9").exists()
    reversal = [r for r in receiver.requests if json.loads(r.body)["topic"] == "action.reverse"]
    assert len(reversal) == 1

    events = intake_api.get("/events", subject="stream:st_123").json()
    verbs = [e["verb"] for e in events]
    assert verbs.count("report.received") == 50
    assert "decision.made" in verbs and "review_item.claimed" in verbs

    call_command("audit", "verify")
    assert "chain intact" in capsys.readouterr().out

    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_event SET reason = 'nothing to see' WHERE verb = 'decision.made'")
    try:
        call_command("audit", "verify")
    except CommandError as exc:
        assert "altered" in str(exc)
    else:
        raise AssertionError("audit verify passed after an event was edited")
