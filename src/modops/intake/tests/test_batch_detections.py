"""A batch of detections leaves the same items, detections and events as taking them one by one."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from modops.audit.models import Event
from modops.caching import clear_all
from modops.intake.models import Detection
from modops.intake.services import (
    DETECTION_REVIEW_THRESHOLD,
    DetectionInput,
    _lock_key,
    submit_detection,
    submit_detections,
)
from modops.intake.tests.test_batch import POLICIES, START, _ref, _state
from modops.review.models import ItemStatus, ReviewItem
from modops.review.services import DecisionInput, decide
from modops.review.services.errors import Invalid
from modops.subjects.kinds import SubjectKind
from modops.subjects.services import SubjectRef


def _batches(seed: int) -> list[list[DetectionInput]]:
    rng = random.Random(seed)
    batches = []
    for b in range(4):
        size = rng.randint(20, 60)
        batches.append(
            [
                DetectionInput(
                    subject=_ref(rng, b * 100 + k),
                    source=rng.choice(["automod", "classifier:text", "hash_match"]),
                    # Around the threshold, and some without a policy: those are recorded alone.
                    score=rng.choice([0.2, DETECTION_REVIEW_THRESHOLD, 0.7, 0.95, 1.0]),
                    policy_code=rng.choice([*POLICIES, None]),
                    label=rng.choice(["", "slur", "threat"]),
                    language=rng.choice(["", "en", "es"]),
                )
                for k in range(size)
            ]
        )
    return batches


def _detections(ids: dict[Any, tuple[str, str]]) -> Counter[Any]:
    return Counter(
        (
            d.subject.ref,
            d.policy.code if d.policy else None,
            ids.get(d.review_item_id),
            d.source,
            d.label,
            d.score,
            d.received_at,
        )
        for d in Detection.objects.select_related("subject", "policy")
    )


def _run(batches: list[list[DetectionInput]], how: str, moderator: Any) -> dict[str, Any]:
    """Feed every batch through one path inside a transaction that is rolled back after the snapshot."""
    clear_all()
    with transaction.atomic(), time_machine.travel(START, tick=False) as clock:
        for n, batch in enumerate(batches):
            if how == "single":
                # A batch is taken in lock order (so concurrent batches queue instead of deadlocking).
                for data in sorted(batch, key=_lock_key):
                    submit_detection(data, "api:test")
            else:
                submit_detections(batch, "api:test", set_based=how == "set")
            clock.shift(timedelta(seconds=37))
            if n == 1:
                # Close one item between batches: later detections on it open a new one.
                first = ReviewItem.objects.filter(tier=0).order_by(
                    "first_seen_at", "subject__external_id", "policy__code"
                )[0]
                decide(moderator.user, first.pk, DecisionInput(violation=False, version=first.version))
        ids: dict[Any, tuple[str, str]] = {}
        state = _state(ids)
        state["detections"] = _detections(ids)
        detailed = Event.objects.filter(verb="detection.received").values_list("after", flat=True)
        state["received"] = Counter((a["source"], a["score"], a["policy"]) for a in detailed)
        transaction.set_rollback(True)
    clear_all()
    return state


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_set_based_detection_batches_match_one_detection_at_a_time(db, moderator, seed):
    batches = _batches(seed)
    one_by_one = _run(batches, "one_by_one", moderator)
    single = _run(batches, "single", moderator)
    set_based = _run(batches, "set", moderator)
    assert one_by_one["verbs"]["review_item.opened"] > 0
    assert one_by_one["verbs"]["review_item.reprioritised"] > 0
    assert one_by_one["verbs"]["detection.received"] == sum(len(b) for b in batches)
    unattached = sum(1 for key in one_by_one["detections"] if key[2] is None)
    assert 0 < unattached < sum(len(b) for b in batches)
    for state in (set_based, single):
        assert state["subjects"] == one_by_one["subjects"]
        assert state["items"] == one_by_one["items"]
        assert state["detections"] == one_by_one["detections"]
        assert state["verbs"] == one_by_one["verbs"]
        assert state["events"] == one_by_one["events"]
        assert state["received"] == one_by_one["received"]


def test_batch_bodies_name_the_detection_and_its_item(db):
    ref = SubjectRef(kind=SubjectKind.CHAT_MESSAGE, id="m1", account_id="acc_1", channel_id="ch_1")
    bodies = submit_detections(
        [
            DetectionInput(ref, "automod", 0.9, "harassment", "bullying"),
            DetectionInput(ref, "automod", 0.1, "harassment"),
            DetectionInput(ref, "hash_match", 1.0),
        ],
        "api:test",
    )
    item = ReviewItem.objects.get()
    assert [b["review_item_id"] for b in bodies] == [str(item.pk), None, None]
    assert {b["detection_id"] for b in bodies} == {str(pk) for pk in Detection.objects.values_list("pk", flat=True)}
    assert all(b["actions"] == [] for b in bodies)
    assert item.detection_count == 1 and item.confidence == 0.9
    received = Event.objects.filter(verb="detection.received").values_list("after", flat=True)
    assert sorted(a["detection_id"] for a in received) == sorted(b["detection_id"] for b in bodies)


def test_an_unknown_policy_refuses_the_whole_batch(db):
    ref = SubjectRef(kind=SubjectKind.ACCOUNT, id="acc_1")
    with pytest.raises(Invalid):
        submit_detections(
            [DetectionInput(ref, "automod", 0.9, "harassment"), DetectionInput(ref, "x", 0.9, "nope")], "t"
        )
    assert not Detection.objects.exists() and not ReviewItem.objects.exists()


def test_a_detection_batch_takes_the_same_number_of_statements_whatever_its_size(db):
    def statements(size: int, offset: int) -> int:
        batch = [
            DetectionInput(
                SubjectRef(kind=SubjectKind.CHAT_MESSAGE, id=f"m_{offset + k}", account_id=f"acc_{offset + k}"),
                "automod",
                0.1 if k % 3 == 2 else 0.9,
                "harassment",
            )
            for k in range(size)
        ]
        with CaptureQueriesContext(connection) as queries:
            submit_detections(batch, "api:test")
        return len(queries)

    statements(1, 9000)  # fills the process caches (policies, routing)
    chunking = 0 if connection.vendor == "postgresql" else 4
    assert statements(50, 1000) <= statements(5, 0) + chunking
    assert statements(50, 1000) <= statements(5, 2000)
    assert ReviewItem.objects.filter(status=ItemStatus.OPEN).count() == 1 + 4 + 34 + 4
