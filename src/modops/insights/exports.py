"""Tidy tables for analysts: items, reports, decisions, actions and events as Parquet or CSV.

One file per table, one row per record, one column per field, documented in docs/exports.md.
Reporter identities and free text (report text, notices) are left out: the files leave the
system and those are personal data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from django.db.models import QuerySet
from tqdm import tqdm

from modops.audit.models import Event
from modops.enforcement.models import Action
from modops.intake.models import Report
from modops.review.models import Decision, ReviewItem

BATCH_ROWS = 10_000
_TS = pa.timestamp("us", tz="UTC")


class ExportFormat(StrEnum):
    PARQUET = "parquet"
    CSV = "csv"


@dataclass(frozen=True)
class Column:
    name: str
    source: str  # a values_list() lookup
    type: pa.DataType
    convert: Callable[[Any], Any] | None = None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class Table:
    name: str
    model: type
    time_field: str
    columns: tuple[Column, ...]
    order: str

    def queryset(self, since: datetime) -> QuerySet[Any]:
        manager: Any = self.model.objects  # type: ignore[attr-defined]
        queryset: QuerySet[Any] = manager.filter(**{f"{self.time_field}__gte": since}).order_by(self.order)
        return queryset

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])

    def batches(self, since: datetime, progress: tqdm[Any] | None = None) -> Iterator[pa.RecordBatch]:
        rows = self.queryset(since).values_list(*(c.source for c in self.columns)).iterator(chunk_size=BATCH_ROWS)
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == BATCH_ROWS:
                yield self._batch(chunk)
                if progress is not None:
                    progress.update(len(chunk))
                chunk = []
        if chunk:
            yield self._batch(chunk)
            if progress is not None:
                progress.update(len(chunk))

    def _batch(self, chunk: list[tuple[Any, ...]]) -> pa.RecordBatch:
        arrays = []
        for i, column in enumerate(self.columns):
            values = [row[i] for row in chunk]
            if column.convert is not None:
                values = [column.convert(v) for v in values]
            elif column.type == pa.string():
                values = [_text(v) for v in values]
            arrays.append(pa.array(values, type=column.type))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)


S, I64, F64, B = pa.string(), pa.int64(), pa.float64(), pa.bool_()

TABLES: tuple[Table, ...] = (
    Table(
        "items",
        ReviewItem,
        "first_seen_at",
        (
            Column("item_id", "id", S),
            Column("subject_kind", "subject__kind", S),
            Column("subject_id", "subject__external_id", S),
            Column("account_id", "account_external_id", S),
            Column("policy", "policy__code", S),
            Column("severity", "policy__severity", I64),
            Column("queue", "queue__slug", S),
            Column("status", "status", S),
            Column("priority", "priority", F64),
            Column("tier", "tier", I64),
            Column("live", "live", B),
            Column("reach", "reach", I64),
            Column("language", "language", S),
            Column("report_count", "report_count", I64),
            Column("detection_count", "detection_count", I64),
            Column("first_seen_at", "first_seen_at", _TS),
            Column("sla_due_at", "sla_due_at", _TS),
            Column("sla_breached", "sla_breached", B),
            Column("closed_at", "closed_at", _TS),
        ),
        "first_seen_at",
    ),
    Table(
        "reports",
        Report,
        "received_at",
        (
            Column("report_id", "id", S),
            Column("item_id", "review_item_id", S),
            Column("subject_kind", "subject__kind", S),
            Column("subject_id", "subject__external_id", S),
            Column("policy", "policy__code", S),
            Column("source", "source", S),
            Column("reporter_trust", "reporter_trust", F64),
            Column("language", "language", S),
            Column("received_at", "received_at", _TS),
        ),
        "received_at",
    ),
    Table(
        "decisions",
        Decision,
        "created_at",
        (
            Column("decision_id", "id", S),
            Column("item_id", "review_item_id", S),
            Column("decided_by", "decided_by__username", S),
            Column("violation", "violation", B),
            Column("policy", "policy__code", S),
            Column("action_type", "action_type", S),
            Column("duration_seconds", "duration_seconds", I64),
            Column("decided_at", "created_at", _TS),
        ),
        "created_at",
    ),
    Table(
        "actions",
        Action,
        "created_at",
        (
            Column("action_id", "id", S),
            Column("decision_id", "decision_id", S),
            Column("item_id", "decision__review_item_id", S),
            Column("subject_kind", "subject__kind", S),
            Column("subject_id", "subject__external_id", S),
            Column("policy", "policy__code", S),
            Column("type", "type", S),
            Column("duration_seconds", "duration_seconds", I64),
            Column("status", "status", S),
            Column("automated", "automated", B),
            Column("starts_at", "starts_at", _TS),
            Column("ends_at", "ends_at", _TS),
            Column("ended_at", "ended_at", _TS),
            Column("created_at", "created_at", _TS),
        ),
        "created_at",
    ),
    Table(
        "events",
        Event,
        "at",
        (
            Column("seq", "seq", I64),
            Column("at", "at", _TS),
            Column("actor", "actor", S),
            Column("verb", "verb", S),
            Column("subject_kind", "subject_kind", S),
            Column("subject_id", "subject_external_id", S),
            Column("item_id", "review_item_id", S),
            Column("before", "before", S, _json),
            Column("after", "after", S, _json),
            Column("reason", "reason", S),
            Column("hash", "hash", S),
        ),
        "seq",
    ),
)


def export(since: datetime, directory: Path, fmt: ExportFormat, progress_to: TextIO | None = None) -> dict[str, int]:
    """Write every table to ``directory``; return rows written per table."""
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for table in TABLES:
        path = directory / f"{table.name}.{fmt.value}"
        total = table.queryset(since).count()
        bar: tqdm[Any] = tqdm(total=total, desc=table.name, unit="rows", file=progress_to, disable=progress_to is None)
        rows = 0
        with bar:
            if fmt is ExportFormat.PARQUET:
                with pq.ParquetWriter(path, table.schema) as writer:
                    for batch in table.batches(since, bar):
                        writer.write_batch(batch)
                        rows += batch.num_rows
            else:
                with pa_csv.CSVWriter(path, table.schema) as csv_writer:
                    for batch in table.batches(since, bar):
                        csv_writer.write_batch(batch)
                        rows += batch.num_rows
        written[table.name] = rows
    return written
