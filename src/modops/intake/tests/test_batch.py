"""The set-based batch path leaves the same items, reports and events as taking reports one by one."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from modops.audit.models import Event
from modops.caching import clear_all
from modops.intake.models import Report
from modops.intake.services import ReportInput, submit_reports
from modops.review.models import ItemStatus, ReviewItem
from modops.review.services import DecisionInput, decide
from modops.subjects.kinds import SubjectKind
from modops.subjects.models import Subject
from modops.subjects.services import SubjectRef

START = datetime(2025, 3, 1, 20, 0, tzinfo=UTC)
POLICIES = ["hateful_conduct", "harassment", "spam_scams", "violence_threats"]


def _ref(rng: random.Random, step: int) -> SubjectRef:
    n = rng.randint(1, 6)
    roll = rng.random()
    if roll < 0.4:
        # A stream whose live state and audience move as reports come in.
        return SubjectRef(
            kind=SubjectKind.STREAM,
            id=f"st_{n}",
            channel_id=f"ch_{n}",
            account_id=f"acc_{n}",
            live=rng.choice([True, True, True, False]),
            viewers=rng.choice([None, 10 * step + n]),
        )
    if roll < 0.75:
        # A chat message carrying its stream's live state (which can flip the stream).
        return SubjectRef(
            kind=SubjectKind.CHAT_MESSAGE,
            id=f"msg_{rng.randint(1, 8)}",
            account_id=f"acc_{n + 10}",
            channel_id=f"ch_{n}",
            stream_id=f"st_{n}",
            live=rng.choice([None, None, True, False]),
            text="hello",
            language=rng.choice(["en", "de", None]),
        )
    if roll < 0.9:
        return SubjectRef(kind=SubjectKind.ACCOUNT, id=f"acc_{n}", followers=rng.choice([None, 5 * step]))
    return SubjectRef(kind=SubjectKind.CLIP, id=f"clip_{n}", account_id=f"acc_{n}")


def _batches(seed: int) -> list[list[ReportInput]]:
    rng = random.Random(seed)
    batches = []
    for b in range(4):
        size = rng.randint(20, 60)
        batches.append(
            [
                ReportInput(
                    subject=_ref(rng, b * 100 + k),
                    policy_code=rng.choice(POLICIES),
                    reporter_id=f"r{b}_{k}",
                    reporter_trust=rng.choice([0.2, 0.5, 0.9]),
                    language=rng.choice(["", "en", "es"]),
                )
                for k in range(size)
            ]
        )
    return batches


def _state(ids: dict[Any, tuple[str, str]]) -> dict[str, Any]:
    items = {}
    for item in ReviewItem.objects.select_related("subject", "policy", "queue"):
        key = (item.subject.ref, item.policy.code, item.status, item.first_seen_at)
        items[key] = (
            round(item.priority, 9),
            item.sla_due_at,
            item.queue.slug,
            item.report_count,
            round(item.velocity, 9),
            item.confidence,
            item.live,
            item.reach,
            item.language,
            item.account_external_id,
            item.last_signal_at,
        )
        ids[item.pk] = key[:2]
    subjects = {
        s.ref: (s.live, s.viewers, s.followers, s.language, s.text, s.account_id is not None, s.stream_id is not None)
        for s in Subject.objects.all()
    }
    reports = Counter(
        (r.subject.ref, r.policy.code, ids[r.review_item_id])
        for r in Report.objects.select_related("subject", "policy")
    )
    events = list(
        Event.objects.order_by("seq").values_list("verb", "subject_kind", "subject_external_id", "review_item_id")
    )
    return {
        "items": items,
        "subjects": subjects,
        "reports": reports,
        "verbs": Counter(e[0] for e in events),
        "events": Counter((v, k, x, ids.get(i)) for v, k, x, i in events),
    }


def _run(batches: list[list[ReportInput]], set_based: bool, moderator: Any) -> dict[str, Any]:
    """Feed every batch through one path inside a transaction that is rolled back after the snapshot."""
    clear_all()
    with transaction.atomic(), time_machine.travel(START, tick=False) as clock:
        for n, batch in enumerate(batches):
            submit_reports(batch, "api:test", set_based=set_based)
            clock.shift(timedelta(seconds=37))
            if n == 1:
                # Close one item between batches: later reports on it open a new one.
                first = ReviewItem.objects.filter(tier=0).order_by(
                    "first_seen_at", "subject__external_id", "policy__code"
                )[0]
                decide(moderator.user, first.pk, DecisionInput(violation=False, version=first.version))
        state = _state({})
        transaction.set_rollback(True)
    clear_all()
    return state


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_set_based_batches_match_one_report_at_a_time(db, moderator, seed):
    batches = _batches(seed)
    one_by_one = _run(batches, set_based=False, moderator=moderator)
    set_based = _run(batches, set_based=True, moderator=moderator)
    assert one_by_one["verbs"]["review_item.reprioritised"] > 0
    assert one_by_one["verbs"]["review_item.opened"] > 0
    assert set_based["subjects"] == one_by_one["subjects"]
    assert set_based["items"] == one_by_one["items"]
    assert set_based["reports"] == one_by_one["reports"]
    assert set_based["verbs"] == one_by_one["verbs"]
    assert set_based["events"] == one_by_one["events"]


def test_a_live_flip_inside_a_batch_recomputes_the_stream_items(db):
    stream = {"channel_id": "ch_1", "account_id": "acc_1", "viewers": 900}
    live = SubjectRef(kind=SubjectKind.STREAM, id="st_1", live=True, **stream)
    offline = SubjectRef(kind=SubjectKind.STREAM, id="st_1", live=False, **stream)
    # acc_0 sorts before acc_1: the message is taken first, and opens its item while the stream is live.
    message = SubjectRef(kind=SubjectKind.CHAT_MESSAGE, id="m1", stream_id="st_1", account_id="acc_0")
    submit_reports([ReportInput(live, "hateful_conduct", "r0")], "api:test")
    batch = [
        ReportInput(message, "harassment", "r1"),
        ReportInput(offline, "hateful_conduct", "r2"),
    ]
    submit_reports(batch, "api:test")
    items = {i.subject.external_id: i for i in ReviewItem.objects.select_related("subject")}
    assert not items["st_1"].live
    assert not items["m1"].live, "the message's item follows its stream offline"
    recomputed = Event.objects.filter(verb="review_item.reprioritised").values_list("review_item_id", flat=True)
    assert items["m1"].pk in set(recomputed)


def test_a_batch_takes_the_same_number_of_statements_whatever_its_size(db):
    def statements(size: int, offset: int) -> int:
        batch = [
            ReportInput(
                SubjectRef(kind=SubjectKind.STREAM, id=f"st_{offset + k}", account_id=f"acc_{offset + k}", live=True),
                "hateful_conduct",
                f"r{k}",
            )
            for k in range(size)
        ]
        with CaptureQueriesContext(connection) as queries:
            submit_reports(batch, "api:test")
        return len(queries)

    statements(1, 9000)  # fills the process caches (policies, routing)
    # SQLite caps the parameters of one statement, so Django splits the larger bulk inserts there.
    chunking = 0 if connection.vendor == "postgresql" else 4
    assert statements(50, 1000) <= statements(5, 0) + chunking
    # Again on the same subjects: no subject or item is created, the items are updated in bulk.
    assert statements(50, 1000) <= statements(5, 2000)
    assert ReviewItem.objects.filter(status=ItemStatus.OPEN).count() == 61
