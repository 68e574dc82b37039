"""Concurrent claimers on PostgreSQL never get the same item (``FOR UPDATE SKIP LOCKED``), and concurrent
deciders each close their own, with the event log still one chain."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from modops.audit.models import Event
from modops.audit.services import verify
from modops.enforcement.models import Strike
from modops.intake.services import ReportInput, submit_report
from modops.review.models import Decision, ItemStatus, ReviewItem
from modops.review.services import DecisionInput, claim, decide
from modops.subjects.kinds import SubjectKind
from modops.subjects.services import SubjectRef
from modops.testing.factories import StaffFactory

ITEMS = 30
CLAIMERS = 4


def _together(work: Callable[[int], None]) -> None:
    """Run ``work(i)`` for each of ``CLAIMERS`` threads at once; a failure in any fails the test."""
    start = threading.Barrier(CLAIMERS)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait()
            work(i)
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLAIMERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_claimers_never_get_the_same_item(postgres_only):
    for n in range(ITEMS):
        ref = SubjectRef(kind=SubjectKind.CHAT_MESSAGE, id=f"m{n}", account_id=f"acc_{n}")
        submit_report(ReportInput(subject=ref, policy_code="harassment", reporter_id="r"), "api:test")
    users = [StaffFactory(user__username=f"claimer{i}").user for i in range(CLAIMERS)]
    got: list[list[str]] = [[] for _ in users]

    def work(i: int) -> None:
        while (result := claim(users[i], "general")) is not None:
            got[i].append(str(result.item.pk))

    _together(work)
    claimed = [pk for ids in got for pk in ids]
    duplicates = [pk for pk, n in Counter(claimed).items() if n > 1]
    assert duplicates == []
    assert len(claimed) == ITEMS
    assert ReviewItem.objects.filter(status=ItemStatus.CLAIMED).count() == ITEMS
    holders = dict(ReviewItem.objects.values_list("id", "claimed_by__username"))
    for i, ids in enumerate(got):
        assert all(holders[uuid.UUID(pk)] == f"claimer{i}" for pk in ids)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_moderators_decide_every_item_once_and_the_log_still_verifies(postgres_only):
    for n in range(ITEMS):
        # Three accounts, so that decisions on one account's items run side by side.
        ref = SubjectRef(kind=SubjectKind.CHAT_MESSAGE, id=f"m{n}", account_id=f"acc_{n % 3}")
        submit_report(ReportInput(subject=ref, policy_code="harassment", reporter_id="r"), "api:test")
    users = [StaffFactory(user__username=f"decider{i}", clearance=1).user for i in range(CLAIMERS)]

    def work(i: int) -> None:
        while (result := claim(users[i], "general")) is not None:
            decide(users[i], result.item_id, DecisionInput(violation=True, version=result.version, action_type="warn"))

    _together(work)
    assert ReviewItem.objects.filter(status=ItemStatus.CLOSED).count() == ITEMS
    assert Decision.objects.count() == ITEMS
    strikes = set(Strike.objects.values_list("id", flat=True))
    assert len(strikes) == ITEMS
    recorded = {e.after["strike_id"] for e in Event.objects.filter(verb="strike.recorded")}
    assert recorded == strikes
    assert verify().ok
