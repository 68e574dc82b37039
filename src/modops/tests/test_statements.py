"""Batches of statements: results in order, prepared statements on PostgreSQL, recovery after errors."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from modops import statements
from modops.policies.models import Policy
from modops.statements import Statements


def _codes_like(pattern: str, tag: str = "") -> Statements:
    """``tag`` makes the statements' text new to the connection, which outlives a test."""
    batch = Statements()
    codes = f"SELECT code AS code{tag} FROM policies_policy WHERE code LIKE %s ORDER BY code"  # noqa: S608
    batch.add(codes, [pattern], prepare=True)
    batch.add(f"SELECT count(*) AS n{tag} FROM policies_policy WHERE code LIKE 'h%%'", prepare=True)  # noqa: S608
    return batch


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def test_a_batch_returns_each_statements_rows_in_order_on_either_database(db):
    results = _codes_like("ha%").run()
    assert results == [
        [("harassment",), ("hateful_conduct",)],
        [(Policy.objects.filter(code__startswith="h").count(),)],
    ]


def test_a_prepared_statement_is_parsed_once_per_connection(db, postgres_only):
    tag = uuid.uuid4().hex
    with CaptureQueriesContext(connection) as first:
        assert _codes_like("har%", tag).run()[0] == [("harassment",)]
    with CaptureQueriesContext(connection) as second:
        assert _codes_like("vi%", tag).run()[0] == [("violence_threats",), ("violent_extremism",)]
    assert "PREPARE " in first.captured_queries[-1]["sql"]
    assert "PREPARE " not in second.captured_queries[-1]["sql"]
    assert second.captured_queries[-1]["sql"].count("EXECUTE modops_") == 2
    assert {name for name in _prepared_names() if name.startswith("modops_")}


def test_a_failed_batch_that_prepared_leaves_the_connection_usable(db, postgres_only):
    policy = Policy.objects.get(code="harassment")
    doomed = Statements()
    doomed.add(f"SELECT code AS code{uuid.uuid4().hex} FROM policies_policy WHERE id = %s", [policy.pk], prepare=True)  # noqa: S608
    doomed.add("UPDATE policies_policy SET code = %s WHERE code = %s", ["harassment", "hateful_conduct"], prepare=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        doomed.run()
    again = Statements()
    again.add("SELECT code FROM policies_policy WHERE id = %s", [policy.pk], prepare=True)
    with CaptureQueriesContext(connection) as sent:
        assert again.run() == [[("harassment",)]]
    # Which of the failed batch's statements had been prepared is unknown: they are all dropped first.
    assert sent.captured_queries[-1]["sql"].startswith("DEALLOCATE ALL; PREPARE ")


def test_with_preparing_off_statements_travel_as_text(db, postgres_only, settings):
    settings.MODOPS_DB_PREPARE = False
    with CaptureQueriesContext(connection) as sent:
        assert _codes_like("har%", uuid.uuid4().hex).run()[0] == [("harassment",)]
    assert "PREPARE" not in sent.captured_queries[-1]["sql"]
    assert "EXECUTE" not in sent.captured_queries[-1]["sql"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_first_batch_of_a_transaction_carries_its_begin_and_still_rolls_back(postgres_only):
    batch = Statements()
    batch.add("UPDATE policies_policy SET name = %s WHERE code = %s", ["Renamed", "harassment"], prepare=True)
    with CaptureQueriesContext(connection) as sent, pytest.raises(RuntimeError), transaction.atomic():
        batch.run()
        assert Policy.objects.get(code="harassment").name == "Renamed"
        raise RuntimeError("undo")
    first = next(q["sql"] for q in sent.captured_queries if "modops_" in q["sql"])
    assert first.startswith("BEGIN; ")
    assert Policy.objects.get(code="harassment").name != "Renamed"
    # The atomic block's end gave the driver back its own transactions.
    assert connection.connection.autocommit
    with transaction.atomic():
        Policy.objects.filter(code="harassment").update(name="Harassment again")
        assert not connection.connection.autocommit


def test_past_the_cap_a_connections_statements_are_dropped_and_prepared_again(db, postgres_only, monkeypatch):
    monkeypatch.setattr(statements, "MAX_PREPARED", 1)
    tag = uuid.uuid4().hex
    _codes_like("har%", tag).run()  # two statements prepared: past the cap of one
    with CaptureQueriesContext(connection) as sent:
        assert _codes_like("vi%", tag).run()[0] == [("violence_threats",), ("violent_extremism",)]
    assert sent.captured_queries[-1]["sql"].startswith("DEALLOCATE ALL; PREPARE ")
