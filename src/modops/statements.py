"""Several statements sent to the database together, for the hot paths of the core loop.

A claim or a decision is a handful of small writes followed by the event log's append. Each
statement sent on its own costs a network round trip and a trip through the ORM's compiler; on
PostgreSQL, client-side binding lets one ``execute`` carry several statements separated by
semicolons, and their results come back in order. SQLite runs in the process, so the statements
simply run one after the other.

A statement added with ``prepare=True`` (the claim's and the decision's) is parsed and planned once per
connection: the first batch that needs it carries ``PREPARE``, later ones only ``EXECUTE`` it with
their values. Parsing, analysis and planning were the larger part of the server's work for these
small statements. Behind a pooler that hands one session's statements to several server
connections (PgBouncer in transaction mode), set ``MODOPS_DB_PREPARE=0``.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import uuid
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Field, Model
from psycopg.pq import ExecStatus, TransactionStatus
from psycopg.types.json import Jsonb

Rows = list[tuple[Any, ...]]


class Statements:
    """An ordered batch of statements; ``run`` returns each one's rows (empty for plain writes)."""

    def __init__(self) -> None:
        self._parts: list[tuple[str, Sequence[Any], bool]] = []

    def __len__(self) -> int:
        return len(self._parts)

    def add(self, sql: str, params: Sequence[Any] = (), *, prepare: bool = False) -> int:
        """Queue a statement; returns its index in ``run``'s result.

        ``prepare``: on PostgreSQL, a prepared statement of this connection runs it. Only for a
        SELECT, INSERT, UPDATE or DELETE whose parameters' types the server can infer from their
        places (a column, a cast).
        """
        self._parts.append((sql, params, prepare))
        return len(self._parts) - 1

    def insert(
        self,
        objs: Sequence[Model],
        returning: Sequence[str] = (),
        ignore_conflicts: bool = False,
        *,
        prepare: bool = False,
    ) -> int:
        """Queue one INSERT of ``objs`` (all of one model, plain field values only).

        Values are prepared by each field as a save would (``pre_save`` fills ``auto_now_add``,
        ``get_db_prep_save`` adapts JSON, UUIDs and dates), except plain fields' on PostgreSQL, read
        as they are (``_readers``); ``returning`` names columns to read
        back (an auto-increment id, say; with ``ignore_conflicts``, only the rows inserted come
        back). The statement's text is built once per model. ``prepare``: as for ``add``; for the
        statements a hot path sends over and over in the same shape (not for batches whose row
        count varies, each count of which would be prepared on every connection).
        """
        db = connections[DEFAULT_DB_ALIAS]
        model = type(objs[0])
        auto_pk = objs[0].pk is None
        readers = _readers(model, auto_pk, db.vendor)
        rows = [[read(obj, db) for read in readers] for obj in objs]
        for obj in objs:
            obj._state.adding = False
            obj._state.db = db.alias
        return self.insert_values(model, rows, returning, ignore_conflicts, auto_pk=auto_pk, prepare=prepare)

    def insert_values(
        self,
        model: type[Model],
        rows: Sequence[Sequence[Any]],
        returning: Sequence[str] = (),
        ignore_conflicts: bool = False,
        *,
        auto_pk: bool = True,
        prepare: bool = False,
    ) -> int:
        """Queue one INSERT of ``rows`` already in the database's form, one value per field of
        ``insert_fields(model, auto_pk)`` in that order: for the hot paths, which skip building
        model instances."""
        db = connections[DEFAULT_DB_ALIAS]
        # Many rows on PostgreSQL: one array per column, so the statement's text is the same for any
        # number of rows and the driver parses it once, not once per batch size. A few rows: a
        # VALUES list, whose short text the driver caches and whose values quote more cheaply.
        arrays = db.vendor == "postgresql" and len(rows) > FEW_ROWS
        head, row, _ = _insert_shape(model, auto_pk, arrays)
        if arrays:
            sql, params = head + row, [list(column) for column in zip(*rows, strict=True)]
        else:
            sql, params = head + ", ".join([row] * len(rows)), [value for values in rows for value in values]
        if ignore_conflicts:
            sql += " ON CONFLICT DO NOTHING"
        if returning:
            sql += " RETURNING " + ", ".join(db.ops.quote_name(c) for c in returning)
        return self.add(sql, params, prepare=prepare)

    def run(self) -> list[Rows]:
        if not self._parts:
            return []
        if connection.vendor == "postgresql":
            return _run_postgresql(self._parts)
        out: list[Rows] = []
        with connection.cursor() as cursor:
            for sql, part, _ in self._parts:
                cursor.execute(sql, part)
                out.append(cursor.fetchall() if cursor.description else [])
        return out


@dataclass
class _Prepared:
    """The statements prepared on one server connection, as far as this process knows."""

    names: set[str] = field(default_factory=set)
    #: A batch that prepared or deallocated failed: which of its statements ran is unknown.
    unsure: bool = False


#: Per driver connection (a new one after a reconnect starts with nothing prepared).
_PREPARED: weakref.WeakKeyDictionary[Any, _Prepared] = weakref.WeakKeyDictionary()
#: Past this many, a connection's statements are dropped and prepared again as they come.
MAX_PREPARED = 500


@cache
def _prepared_shape(sql: str) -> tuple[str, str, str, str]:
    """The statement's name (from its text), its ``PREPARE`` and the ``EXECUTE`` that runs it, and
    the ``PREPARE`` as the server reads it (for a batch the driver does not format)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) == "%%":
            return "%%"  # the batch's text goes through the driver's formatting too
        count += 1
        return f"${count}"

    body = re.sub(r"%%|%s", number, sql)
    name = "modops_" + hashlib.sha256(sql.encode()).hexdigest()[:24]
    execute = f"EXECUTE {name}({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}"
    prepare = f"PREPARE {name} AS {body}"
    return name, prepare, execute, prepare.replace("%%", "%")


#: Values of prepared statements go into the batch's text as literals written here (see
#: ``_arguments``); off, the driver formats them all, which the tests compare against.
_LITERAL = True


class _NotLiteral(Exception):
    """A value ``_literal`` leaves to the driver."""


def _quoted(text: str) -> str:
    if "\x00" in text:
        raise _NotLiteral  # the driver refuses it with its own error
    if "\\" in text:
        # The escape-string form reads the same whatever standard_conforming_strings says.
        return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + text.replace("'", "''") + "'"


def _json(value: Jsonb) -> str:
    text = (value.dumps or json.dumps)(value.obj)
    return _quoted(text.decode() if isinstance(text, bytes) else text)


#: How each type of value is written. A literal is untyped: the prepared statement's parameter
#: gives it its type, as it would a bound value.
_WRITERS: dict[type, Callable[[Any], str]] = {
    type(None): lambda _: "NULL",
    str: _quoted,
    bool: lambda value: "'t'" if value else "'f'",
    int: lambda value: f"'{int(value)}'",
    float: lambda value: f"'{float(value)!r}'",
    Decimal: lambda value: f"'{value}'",
    datetime: lambda value: f"'{value.isoformat()}'",
    date: lambda value: f"'{value.isoformat()}'",
    time: lambda value: f"'{value.isoformat()}'",
    uuid.UUID: lambda value: f"'{value}'",
    Jsonb: _json,
}


def _literal(value: Any) -> str:
    writer = _WRITERS.get(type(value))
    if writer is None:
        # A subclass (an enum of strings or of ints, the driver's Int4) is written as its base.
        base = next((klass for klass in type(value).__mro__ if klass in _WRITERS), None)
        if base is None:
            raise _NotLiteral
        writer = _WRITERS[type(value)] = _WRITERS[base]
    return writer(value)


def _arguments(parts: list[tuple[str, Sequence[Any], bool]]) -> list[str] | None:
    """Each prepared statement's values as the ``EXECUTE``'s argument list, or None when the
    driver must format the batch (a statement that is not prepared has values, or a value has
    no literal form here).

    The driver's formatting of a hundred values cost more than the rest of a decision's batch;
    the prepared statement already knows every parameter's type, so a plain quoted literal is all
    each value needs.
    """
    out: list[str] = []
    for _, values, prepare in parts:
        if not values:
            out.append("")
        elif not prepare:
            return None
        else:
            try:
                out.append("(" + ", ".join([_literal(value) for value in values]) + ")")
            except _NotLiteral:
                return None
    return out


def _run_postgresql(parts: list[tuple[str, Sequence[Any], bool]]) -> list[Rows]:
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    driver_connection = db.connection
    state: _Prepared | None = None
    if settings.MODOPS_DB_PREPARE:
        state = _PREPARED.get(driver_connection)
        if state is None:
            state = _PREPARED[driver_connection] = _Prepared()
    arguments = _arguments(parts) if state is not None and _LITERAL else None
    texts: list[str] = []
    quiet: set[int] = set()  # PREPARE and DEALLOCATE answer with no result of their own
    fresh: list[str] = []
    if state is not None and (state.unsure or len(state.names) > MAX_PREPARED):
        quiet.add(len(texts))
        texts.append("DEALLOCATE ALL")
        state.names.clear()
    for index, (sql, _, prepare) in enumerate(parts):
        if not (prepare and state is not None):
            # With no values to format, the driver leaves the text alone: its ``%%`` is the server's ``%``.
            texts.append(sql if arguments is None else sql.replace("%%", "%"))
            continue
        name, prepare_text, execute_text, server_prepare = _prepared_shape(sql)
        if name not in state.names and name not in fresh:
            quiet.add(len(texts))
            texts.append(prepare_text if arguments is None else server_prepare)
            fresh.append(name)
        texts.append(execute_text if arguments is None else f"EXECUTE {name}{arguments[index]}")
    params = None if arguments is not None else [p for _, part, _ in parts for p in part]
    if state is not None and quiet:
        state.unsure = True
    if (
        db.in_atomic_block
        and not driver_connection.autocommit
        and driver_connection.pgconn.transaction_status == TransactionStatus.IDLE
        # A transaction with settings of its own keeps the driver's own BEGIN, which carries them.
        and driver_connection.isolation_level is None
        and driver_connection.read_only is None
        and driver_connection.deferrable is None
    ):
        # The transaction has not begun on the server yet: its BEGIN travels with this batch instead
        # of on its own round trip. The driver, told to stop beginning transactions, takes the
        # server's word for the rest of this one; COMMIT and ROLLBACK work as before, and the atomic
        # block's end resets the setting.
        driver_connection.autocommit = True
        quiet = {0} | {position + 1 for position in quiet}
        texts.insert(0, "BEGIN")
    with db.cursor() as cursor:
        cursor.execute("; ".join(texts), params)
        if state is not None:
            state.names.update(fresh)
            state.unsure = False
        driver = cursor.cursor
        results: list[Rows] = []
        position = 0
        while True:
            if position not in quiet:
                tuples = driver.pgresult is not None and driver.pgresult.status == ExecStatus.TUPLES_OK
                results.append(driver.fetchall() if tuples else [])
            position += 1
            if not driver.nextset():
                break
        return results


#: Up to this many rows, an INSERT lists their values; past it (on PostgreSQL) it sends column arrays.
FEW_ROWS = 8


@cache
def insert_fields(model: type[Model], auto_pk: bool = True) -> list[Field[Any, Any]]:
    """The fields an INSERT of ``model`` writes, in order (``auto_pk``: the database numbers the rows)."""
    return [f for f in model._meta.concrete_fields if not (auto_pk and f.primary_key and f.db_returning)]


@cache
def _insert_shape(model: type[Model], auto_pk: bool, arrays: bool) -> tuple[str, str, list[Field[Any, Any]]]:
    """The statement's head, the placeholders of one row (or of the column arrays), the fields."""
    db = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    fields = insert_fields(model, auto_pk)
    columns = ", ".join(db.ops.quote_name(f.column) for f in fields if f.column)
    table = db.ops.quote_name(meta.db_table)
    if arrays:
        casts = ", ".join(f"%s::{array_type(f, db)}" for f in fields)
        return f"INSERT INTO {table} ({columns}) SELECT * FROM unnest(", casts + ")", fields  # noqa: S608
    return f"INSERT INTO {table} ({columns}) VALUES ", "(" + ", ".join(["%s"] * len(fields)) + ")", fields  # noqa: S608


#: Fields whose values PostgreSQL's driver (and ``_literal``) take as a model holds them: for these, a
#: save's preparation only reads the attribute (and converts a value of the wrong type, which the
#: server's own input functions do too). Exact types: a subclass may prepare its values its own way.
_PLAIN_FIELDS: frozenset[type[Field[Any, Any]]] = frozenset(
    {
        models.AutoField,
        models.BigAutoField,
        models.CharField,
        models.SlugField,
        models.TextField,
        models.BooleanField,
        models.IntegerField,
        models.SmallIntegerField,
        models.BigIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.PositiveBigIntegerField,
        models.FloatField,
        models.UUIDField,
    }
)


def _plain(field: Field[Any, Any]) -> bool:
    if isinstance(field, models.ForeignKey):
        return type(field.target_field) in _PLAIN_FIELDS
    if type(field) is models.DateTimeField:
        return not (field.auto_now or field.auto_now_add)
    return type(field) in _PLAIN_FIELDS


@cache
def _readers(model: type[Model], auto_pk: bool, vendor: str) -> list[Callable[[Model, Any], Any]]:
    """For each field an INSERT writes, how to take its value from an instance, in the database's form.

    A save's preparation per field (``pre_save`` then ``get_db_prep_save``) was a good part of a
    decision's time in Python; on PostgreSQL, plain fields skip it.
    """

    def prepared(field: Field[Any, Any]) -> Callable[[Model, Any], Any]:
        return lambda obj, db: field.get_db_prep_save(field.pre_save(obj, True), db)

    def plain(name: str) -> Callable[[Model, Any], Any]:
        return lambda obj, _: getattr(obj, name)

    fields = insert_fields(model, auto_pk)
    return [plain(f.attname) if vendor == "postgresql" and _plain(f) else prepared(f) for f in fields]


def array_type(field: Field[Any, Any], db: Any) -> str:
    """The array type a column's values travel in to ``unnest``.

    Lengths are left off: a cast to ``varchar(n)`` would silently cut a value that is too long,
    where the column itself refuses it.
    """
    kind = str(field.db_type(db))
    return ("text" if kind.startswith(("varchar", "char")) else kind) + "[]"


def as_uuid(value: object) -> uuid.UUID:
    """A UUID read back by hand-written SQL (SQLite hands back its 32-digit hex text)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


#: SQLite learnt ``UPDATE … FROM`` in 3.33.
_SQLITE_UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33, 0)


def bulk_set(model: type[Model], rows: Sequence[Model], names: list[str]) -> None:
    """Write ``names`` of ``rows`` in one UPDATE.

    On PostgreSQL an ``UPDATE … FROM unnest(…)`` with one array per column, on SQLite an ``UPDATE …
    FROM (VALUES …)``: Django's ``bulk_update`` builds a CASE per column and row, which costs more
    Python time than the round trips it saves; arrays keep the statement's text the same for any
    number of rows.
    """
    if not rows:
        return
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite") or (vendor == "sqlite" and not _SQLITE_UPDATE_FROM):
        model._default_manager.bulk_update(rows, names)
        return
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields: list[Any] = [pk, *(meta.get_field(name) for name in names)]
    columns: list[str] = [f.column for f in fields]
    q = connection.ops.quote_name
    table = q(meta.db_table)
    if vendor == "sqlite":
        # SQLite names a VALUES list's columns column1, column2, …; parameters are capped per statement.
        assignments = ", ".join(f"{q(c)} = v.column{n}" for n, c in enumerate(columns[1:], start=2))
        row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
        per = max(1, (connection.features.max_query_params or 999) // len(fields))
        with connection.cursor() as cursor:
            for start in range(0, len(rows), per):
                chunk = rows[start : start + per]
                values = ", ".join([row_marks] * len(chunk))
                sql = (
                    f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v "  # noqa: S608 - names from the model, values bound
                    f"WHERE {table}.{q(columns[0])} = v.column1"
                )
                flat = [f.get_db_prep_save(getattr(row, f.attname), connection) for row in chunk for f in fields]
                cursor.execute(sql, flat)
        return
    arrays = ", ".join(f"%s::{array_type(f, connection)}" for f in fields)
    params: list[Any] = [[f.get_db_prep_save(getattr(row, f.attname), connection) for row in rows] for f in fields]
    assignments = ", ".join(f"{q(c)} = v.{q(c)}" for c in columns[1:])
    sql = (
        f"UPDATE {table} AS t SET {assignments} "  # noqa: S608 - names from the model, values bound
        f"FROM unnest({arrays}) AS v({', '.join(q(c) for c in columns)}) "
        f"WHERE t.{q(columns[0])} = v.{q(columns[0])}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
