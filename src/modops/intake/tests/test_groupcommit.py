"""Group commit: concurrent single reports share a transaction, and each gets its own answer."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from modops.intake import groupcommit
from modops.intake.groupcommit import GroupCommitter
from modops.intake.models import Report
from modops.intake.services import ReportInput
from modops.subjects.kinds import SubjectKind
from modops.subjects.services import SubjectRef
from modops.testing.factories import report_body, token_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

THREADS = 16
PER_THREAD = 6


@pytest.fixture
def group_commit(settings: Any, postgres_only: None) -> Iterator[None]:
    # The committer thread has its own connection: an in-memory SQLite test database is not shared.
    settings.MODOPS_INTAKE_GROUP_COMMIT = True
    groupcommit.reset()
    yield
    groupcommit.reset()


def _post(url: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 - the live server, http on loopback
        url + "/api/v1/reports",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_concurrent_posts_each_get_their_own_committed_report(group_commit, live_server):
    token = token_for(["intake"])
    start = threading.Barrier(THREADS)
    answers: list[tuple[dict[str, Any], int, dict[str, Any]]] = []
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            start.wait()
            for n in range(PER_THREAD):
                # Few subjects, so the reports of one group land on shared items.
                body = report_body(
                    f"st_{n % 3}", policy="harassment" if t % 2 else "hateful_conduct", reporter=f"r{t}_{n}"
                )
                if t == 0 and n == 0:
                    body["policy"] = "no_such_policy"
                status, answer = _post(live_server.url, token, body)
                answers.append((body, status, answer))
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(answers) == THREADS * PER_THREAD
    refused = [(body, status, answer) for body, status, answer in answers if status != 202]
    assert [(body["policy"], status) for body, status, _ in refused] == [("no_such_policy", 422)]
    accepted = [(body, answer) for body, status, answer in answers if status == 202]
    ids = [answer["report_id"] for _, answer in accepted]
    assert len(set(ids)) == len(ids) == THREADS * PER_THREAD - 1
    stored = {str(r.pk): r for r in Report.objects.select_related("subject", "policy")}
    assert set(stored) == set(ids), "every 202 is in the database, and nothing else"
    for body, answer in accepted:
        report = stored[answer["report_id"]]
        assert report.reporter_id == body["reporter_id"]
        assert report.policy.code == body["policy"]
        assert report.subject.external_id == body["subject"]["id"]
        assert str(report.review_item_id) == answer["review_item_id"]
    assert sum(groupcommit.committer().group_sizes) == len(ids)


def _input(n: int, reporter: str | None = None) -> ReportInput:
    ref = SubjectRef(kind=SubjectKind.CHAT_MESSAGE, id=f"m{n % 4}", account_id=f"acc_{n}")
    return ReportInput(subject=ref, policy_code="harassment", reporter_id=reporter or f"r{n}")


def test_waiting_reports_are_committed_in_one_group_and_a_bad_one_fails_alone(postgres_only):
    committer = GroupCommitter(max_group=50, max_wait=0, autostart=False)
    results: dict[int, Any] = {}

    def work(n: int) -> None:
        # Too long for the column: the database refuses it, inside the shared transaction.
        reporter = "x" * 300 if n == 3 else None
        try:
            results[n] = committer.submit(_input(n, reporter), "api:test")
        except Exception as exc:
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    while committer.pending() < 10:
        threading.Event().wait(0.01)
    committer.start()
    for thread in threads:
        thread.join()
    committer.stop()
    assert committer.group_sizes == [10]
    assert isinstance(results.pop(3), Exception)
    stored = {str(r.pk): r.reporter_id for r in Report.objects.all()}
    assert stored == {body["report_id"]: f"r{n}" for n, body in results.items()}
    assert all(uuid.UUID(body["review_item_id"]) for body in results.values())
