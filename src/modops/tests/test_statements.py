"""Batches of statements: results in order, prepared statements on PostgreSQL, recovery after errors."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

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


class _Mood(StrEnum):
    CALM = "calm"


class _Level(IntEnum):
    HIGH = 3


_TYPED_VALUES = [
    ("text", "it's a \\path\\ and 'quotes' — ünïcode ✓ 𝔘"),
    ("text", ""),
    ("text", None),
    ("boolean", True),
    ("boolean", False),
    ("bigint", -(2**62)),
    ("double precision", 0.1),
    ("double precision", float("inf")),
    ("numeric", Decimal("12345.678901234567890")),
    ("timestamptz", datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)),
    ("timestamptz", datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
    ("date", date(1999, 12, 31)),
    ("time", time(23, 59, 59, 999999)),
    ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ("jsonb", Jsonb({"a": ["b", 1, None, True], "q": 'it\'s \\ \u2028 "x"'})),
    ("text", _Mood.CALM),
    ("integer", _Level.HIGH),
]


def _echo(values: list[tuple[str, object]]) -> tuple[object, ...]:
    batch = Statements()
    select = ", ".join(f"%s::{kind}" for kind, _ in values)
    batch.add(f"SELECT {select}", [value for _, value in values], prepare=True)
    return batch.run()[0][0]


def test_values_of_prepared_statements_reach_the_server_as_they_would_bound(db, postgres_only, monkeypatch):
    with CaptureQueriesContext(connection) as sent:
        written = _echo(_TYPED_VALUES)
    assert "EXECUTE modops_" in sent.captured_queries[-1]["sql"]
    assert "it''s a \\\\path" in sent.captured_queries[-1]["sql"]  # written here, in the escape-string form
    monkeypatch.setattr(statements, "_LITERAL", False)
    assert written == _echo(_TYPED_VALUES)
    expected = [
        value.obj if isinstance(value, Jsonb) else value.value if isinstance(value, Enum) else value
        for _, value in _TYPED_VALUES
    ]
    # Django reads JSON back as text, for the field to decode.
    assert [
        json.loads(got) if isinstance(value, Jsonb) else got
        for got, (_, value) in zip(written, _TYPED_VALUES, strict=True)
    ] == expected


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))))
def test_any_text_reaches_the_server_unchanged(db, postgres_only, text):
    written, as_json = _echo([("text", text), ("jsonb", Jsonb({"text": text}))])
    assert (written, json.loads(as_json)) == (text, {"text": text})


def test_values_without_a_literal_form_here_go_through_the_driver(db, postgres_only):
    assert _echo([("int[]", [1, 2]), ("text", "x")]) == ([1, 2], "x")
    with pytest.raises(DataError):
        _echo([("text", "nul \x00 inside")])
