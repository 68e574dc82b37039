"""The outbox: retries with backoff, dead letters, the admin retry, and signed webhooks."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from modops.audit.models import Event
from modops.enforcement.adapters.webhook import verify
from modops.enforcement.models import Adapter, OutboxMessage, OutboxStatus
from modops.enforcement.services import deliver_due
from modops.enforcement.services.outbox import BACKOFF_BASE_SECONDS, backoff_seconds
from modops.enforcement.worker import run_once
from modops.testing.factories import StaffFactory, UserFactory, decide_item, open_item

SECRET = "outbox-test-secret"


@pytest.fixture
def webhook(receiver):
    Adapter.objects.create(name="platform", kind="webhook", config={"url": receiver.url, "secret": SECRET})
    return receiver


def _one_action(moderator, n: int = 1) -> OutboxMessage:
    decide_item(moderator.user, open_item(f"m{n}", account_id=f"acc_{n}"), action="warn", note="rude")
    return OutboxMessage.objects.get(action__subject__external_id=f"acc_{n}", topic="action.apply")


def test_the_outbox_row_is_written_with_the_decision_and_delivered_signed(moderator, webhook):
    row = _one_action(moderator)
    assert row.status == OutboxStatus.PENDING
    assert webhook.requests == [], "nothing is sent inside the deciding transaction"
    assert run_once()["outbox"] == 1
    [sent] = webhook.requests
    assert sent.method == "POST"
    assert verify(SECRET, sent.headers["X-Modops-Timestamp"], sent.body, sent.headers["X-Modops-Signature"])
    tampered = sent.body.replace(b"warn", b"none")
    assert not verify(SECRET, sent.headers["X-Modops-Timestamp"], tampered, sent.headers["X-Modops-Signature"])
    payload = json.loads(sent.body)
    assert payload["id"] == sent.headers["Idempotency-Key"] == row.idempotency_key
    assert sent.headers["X-Modops-Topic"] == "action.apply"
    assert payload["notice"]["facts"] == "rude"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.DELIVERED, 1)
    assert Event.objects.filter(verb="outbox.delivered").count() == 1
    assert run_once()["outbox"] == 0


def test_a_stale_signature_is_refused_by_verify():
    from modops.enforcement.adapters.webhook import sign

    signature = sign(SECRET, "1000", b"{}")
    assert verify(SECRET, "1000", b"{}", signature, now=1100)
    assert not verify(SECRET, "1000", b"{}", signature, now=2000)
    assert not verify(SECRET, "soon", b"{}", signature, now=1000)


def test_server_errors_are_retried_with_growing_backoff_then_dead_lettered(moderator, webhook, settings):
    settings.MODOPS_OUTBOX_MAX_ATTEMPTS = 4
    webhook.status = 500
    row = _one_action(moderator)
    start = timezone.now()
    waits = []
    with time_machine.travel(start, tick=False) as clock:
        for attempt in range(1, 4):
            assert deliver_due() == 1
            row.refresh_from_db()
            assert (row.status, row.attempts) == (OutboxStatus.PENDING, attempt)
            assert "500" in row.last_error
            wait = (row.next_attempt_at - timezone.now()).total_seconds()
            assert 0.5 * BACKOFF_BASE_SECONDS**attempt <= wait <= BACKOFF_BASE_SECONDS**attempt
            waits.append(wait)
            assert deliver_due() == 0, "not retried before its backoff is over"
            clock.shift(timedelta(seconds=wait + 0.01))
        assert deliver_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.DEAD, 4)
    assert len(webhook.requests) == 4
    assert len({r.headers["Idempotency-Key"] for r in webhook.requests}) == 1, "every retry carries the same key"
    dead = Event.objects.get(verb="outbox.dead_lettered")
    assert "500" in dead.reason
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert deliver_due() == 0, "a dead letter stays dead"


def test_backoff_grows_exponentially_and_is_capped():
    for attempts in range(1, 30):
        assert 0 < backoff_seconds(attempts) <= 3600
    assert min(backoff_seconds(10) for _ in range(50)) > max(backoff_seconds(2) for _ in range(50))


def test_a_client_error_is_dead_lettered_at_once(moderator, webhook):
    webhook.status = 400
    row = _one_action(moderator)
    assert deliver_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.DEAD, 1)


def test_an_unreachable_receiver_is_retried(moderator):
    Adapter.objects.create(name="gone", kind="webhook", config={"url": "http://127.0.0.1:9/hook", "secret": SECRET})
    row = _one_action(moderator)
    assert deliver_due() == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING
    assert row.last_error


def test_the_admin_retry_puts_a_dead_letter_back_in_line(moderator, webhook, settings):
    settings.MODOPS_OUTBOX_MAX_ATTEMPTS = 1
    webhook.status = 503
    row = _one_action(moderator)
    deliver_due()
    row.refresh_from_db()
    assert row.status == OutboxStatus.DEAD

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/admin/enforcement/outboxmessage/", {"action": "retry_dead", "_selected_action": [str(row.pk)]}
    )
    assert response.status_code == 302, response.content[:500]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.PENDING, 0, "")

    webhook.status = 200
    assert deliver_due() == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.DELIVERED


def test_a_delivery_whose_lock_ran_out_is_picked_up_again_with_the_same_key(moderator, webhook):
    row = _one_action(moderator)
    # A worker claimed it and died before recording the outcome.
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=OutboxStatus.DELIVERING, attempts=1, locked_until=timezone.now() + timedelta(seconds=60)
    )
    assert deliver_due() == 0
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert deliver_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.DELIVERED, 2)
    assert webhook.requests[0].headers["Idempotency-Key"] == row.idempotency_key


def test_a_disabled_adapter_gets_no_rows(moderator, receiver):
    Adapter.objects.create(name="off", kind="webhook", enabled=False, config={"url": receiver.url, "secret": "s"})
    Adapter.objects.create(name="log", kind="log")
    _one_action(moderator)
    assert list(OutboxMessage.objects.values_list("adapter__name", flat=True)) == ["log"]


MESSAGES = 24


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_at_once_never_deliver_a_message_twice(postgres_only, receiver):
    Adapter.objects.create(name="platform", kind="webhook", config={"url": receiver.url, "secret": SECRET})
    staff = StaffFactory(user__username="decider")
    for n in range(MESSAGES):
        decide_item(staff.user, open_item(f"m{n}", account_id=f"acc_{n}"), action="warn")
    assert OutboxMessage.objects.count() == MESSAGES
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            while deliver_due(batch=3) > 0:
                pass
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    hits = Counter(r.headers["Idempotency-Key"] for r in receiver.requests)
    assert len(hits) == MESSAGES
    assert max(hits.values()) == 1, [k for k, n in hits.items() if n > 1]
    assert OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == MESSAGES
