"""Several statements sent to the database together, for the hot paths of the core loop.

A claim or a decision is a handful of small writes followed by the event log's append. Each
statement sent on its own costs a network round trip and a trip through the ORM's compiler; on
PostgreSQL, client-side binding lets one ``execute`` carry several statements separated by
semicolons, and their results come back in order. SQLite runs in the process, so the statements
simply run one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model

Rows = list[tuple[Any, ...]]


class Statements:
    """An ordered batch of statements; ``run`` returns each one's rows (empty for plain writes)."""

    def __init__(self) -> None:
        self._parts: list[tuple[str, Sequence[Any]]] = []

    def __len__(self) -> int:
        return len(self._parts)

    def add(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Queue a statement; returns its index in ``run``'s result."""
        self._parts.append((sql, params))
        return len(self._parts) - 1

    def insert(self, objs: Sequence[Model], returning: Sequence[str] = ()) -> int:
        """Queue one INSERT of ``objs`` (all of one model, plain field values only).

        Values are prepared by each field as a save would (``pre_save`` fills ``auto_now_add``,
        ``get_db_prep_save`` adapts JSON, UUIDs and dates); ``returning`` names columns to read
        back (an auto-increment id, say). The statement's text is built once per model.
        """
        db = connections[DEFAULT_DB_ALIAS]
        model = type(objs[0])
        auto_pk = objs[0].pk is None
        head, row, fields = _insert_shape(db.vendor, model, auto_pk)
        params: list[Any] = []
        for obj in objs:
            params += [f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields]
            obj._state.adding = False
            obj._state.db = db.alias
        sql = head + ", ".join([row] * len(objs))
        if returning:
            sql += " RETURNING " + ", ".join(db.ops.quote_name(c) for c in returning)
        return self.add(sql, params)

    def run(self) -> list[Rows]:
        if not self._parts:
            return []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and len(self._parts) > 1:
                params = [p for _, part in self._parts for p in part]
                cursor.execute("; ".join(sql for sql, _ in self._parts), params)
                results: list[Rows] = []
                while True:
                    results.append(cursor.fetchall() if cursor.description else [])
                    if not cursor.nextset():
                        break
                return results
            out: list[Rows] = []
            for sql, part in self._parts:
                cursor.execute(sql, part)
                out.append(cursor.fetchall() if cursor.description else [])
            return out


@cache
def _insert_shape(vendor: str, model: type[Model], auto_pk: bool) -> tuple[str, str, list[Field[Any, Any]]]:
    """``INSERT INTO table (columns) VALUES ``, one row's placeholders, and the fields in order."""
    db = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not (auto_pk and f.primary_key and f.db_returning)]
    columns = ", ".join(db.ops.quote_name(f.column) for f in fields if f.column)
    head = f"INSERT INTO {db.ops.quote_name(meta.db_table)} ({columns}) VALUES "  # noqa: S608 - model metadata only
    return head, "(" + ", ".join(["%s"] * len(fields)) + ")", fields
