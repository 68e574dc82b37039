"""Concurrent claimers on PostgreSQL never get the same item (``FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
from django.db import connection

from modops.intake.services import ReportInput, submit_report
from modops.review.models import ItemStatus, ReviewItem
from modops.review.services import claim
from modops.subjects.kinds import SubjectKind
from modops.subjects.services import SubjectRef
from modops.testing.factories import StaffFactory

ITEMS = 30
CLAIMERS = 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_claimers_never_get_the_same_item(postgres_only):
    for n in range(ITEMS):
        ref = SubjectRef(kind=SubjectKind.CHAT_MESSAGE, id=f"m{n}", account_id=f"acc_{n}")
        submit_report(ReportInput(subject=ref, policy_code="harassment", reporter_id="r"), "api:test")
    users = [StaffFactory(user__username=f"claimer{i}").user for i in range(CLAIMERS)]
    start = threading.Barrier(CLAIMERS)
    got: list[list[str]] = [[] for _ in users]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            start.wait()
            while (result := claim(users[i], "general")) is not None:
                got[i].append(str(result.item.pk))
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(CLAIMERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    claimed = [pk for ids in got for pk in ids]
    duplicates = [pk for pk, n in Counter(claimed).items() if n > 1]
    assert duplicates == []
    assert len(claimed) == ITEMS
    assert ReviewItem.objects.filter(status=ItemStatus.CLAIMED).count() == ITEMS
    holders = dict(ReviewItem.objects.values_list("id", "claimed_by__username"))
    for i, ids in enumerate(got):
        assert all(holders[uuid.UUID(pk)] == f"claimer{i}" for pk in ids)
