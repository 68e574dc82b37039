"""Hourly and daily rollups of the KPI ingredients, so a month of a million items reads a few
thousand rows (PostgreSQL only; SQLite computes every KPI from the source tables).

Each row holds, for one hour (grain ``h``) or UTC day (grain ``d``) and one slice value (``dim``
``""`` for everything, or ``queue``/``policy``/``language``), the count ``n`` and the sum ``total``
of one ingredient: reports by source, detections, closed items (total = met SLA), decisions,
actions (total = automated), proactive actions, reports whose item was actioned, handle seconds,
claim seconds per hour (``busy``), claim seconds on sensitive items per actor
(``exposure:<actor>``), and log-spaced histograms of time to first touch and time to action.

``catch_up`` calls ``touched_hours`` before and after it moves the projections over a batch of
events and then ``rebuild_hours``: every hour that an event of the batch falls in, or that a row
of an item the batch names falls in (its reports, detections, decisions, actions, claims and first
moments), is recomputed from the source tables, then the days holding those hours are summed
again from their hours. Recomputing whole hours keeps it idempotent: running it twice, or over an
hour nothing changed in, gives the same rows.

Only whole hours are read from here; the KPI functions compute the part of a window before its
first and after its last whole hour exactly, from the source tables.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection

from modops.audit.models import Event
from modops.enforcement.models import Action
from modops.insights.models import ClaimSpan, Grain, ItemFacts, Rollup
from modops.intake.models import Detection, Report
from modops.ops.simulation.model import EXPOSURE_TIER
from modops.policies.models import Policy
from modops.review.models import Decision, Queue, ReviewItem

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
DECIDED = "decision.made"
HISTOGRAMS = ("ttft", "tta")
# Durations 1 s .. 30 days in 200 log-spaced buckets: bucket k ≥ 1 holds [R^(k-1), R^k) with
# R = 2,592,000^(1/200) ≈ 1.0767; bucket 0 holds [0, 1 s); the last bucket everything from 30 days.
BUCKETS = 200
TOP_SECONDS = 30 * 86400.0
LOG_RATIO = math.log(TOP_SECONDS) / BUCKETS


def bucket_of(seconds: float) -> int:
    if seconds < 1.0:
        return 0
    return min(BUCKETS + 1, 1 + math.floor(math.log(seconds) / LOG_RATIO))


def bucket_value(bucket: int) -> float:
    """The value a bucket stands for: its geometric middle, so the relative error is at most √R − 1 ≈ 3.8%."""
    if bucket <= 0:
        return 0.5
    if bucket > BUCKETS:
        return TOP_SECONDS
    return math.exp((bucket - 0.5) * LOG_RATIO)


def enabled() -> bool:
    return connection.vendor == "postgresql"


def _tables() -> dict[str, str]:
    return {
        "event": Event._meta.db_table,
        "span": ClaimSpan._meta.db_table,
        "facts": ItemFacts._meta.db_table,
        "item": ReviewItem._meta.db_table,
        "report": Report._meta.db_table,
        "detection": Detection._meta.db_table,
        "action": Action._meta.db_table,
        "decision": Decision._meta.db_table,
        "queue": Queue._meta.db_table,
        "policy": Policy._meta.db_table,
        "rollup": Rollup._meta.db_table,
    }


def _run(template: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(template.format(**_tables()), params)
        return cursor.fetchall() if cursor.description else []


# --- which hours a batch of events touches -------------------------------------------------------

_TOUCHED = """
WITH named AS (
    SELECT DISTINCT review_item_id AS id FROM {event}
    WHERE seq > %(lo)s AND seq <= %(hi)s AND review_item_id IS NOT NULL
), acted AS (
    SELECT (after->>'action_id')::uuid AS id FROM {event}
    WHERE seq > %(lo)s AND seq <= %(hi)s AND verb LIKE 'action.%%' AND after ? 'action_id'
)
SELECT DISTINCT date_trunc('hour', x, 'UTC') FROM (
    SELECT at AS x FROM {event} WHERE seq > %(lo)s AND seq <= %(hi)s
    UNION ALL SELECT received_at FROM {report} WHERE review_item_id IN (SELECT id FROM named)
    UNION ALL SELECT received_at FROM {detection} WHERE review_item_id IN (SELECT id FROM named)
    UNION ALL SELECT created_at FROM {decision} WHERE review_item_id IN (SELECT id FROM named)
    UNION ALL SELECT a.created_at FROM {action} a JOIN {decision} d ON d.id = a.decision_id
        WHERE d.review_item_id IN (SELECT id FROM named)
    UNION ALL SELECT created_at FROM {action} WHERE id IN (SELECT id FROM acted)
    UNION ALL SELECT unnest(ARRAY[first_seen_at, first_touched_at, first_actioned_at, closed_at]) FROM {facts}
        WHERE review_item_id IN (SELECT id FROM named)
    UNION ALL SELECT generate_series(date_trunc('hour', started_at, 'UTC'), ended_at, interval '1 hour') FROM {span}
        WHERE review_item_id IN (SELECT id FROM named) AND ended_at IS NOT NULL
) AS moments WHERE x IS NOT NULL
"""


def touched_hours(lo: int, hi: int) -> set[datetime]:
    """Hours whose rollup rows the events ``(lo, hi]`` can change (call before and after projecting)."""
    return {row[0] for row in _run(_TOUCHED, {"lo": lo, "hi": hi})}


# --- recomputing hours ---------------------------------------------------------------------------

_ITEM_DIMS = "LEFT JOIN {queue} q ON q.id = i.queue_id LEFT JOIN {policy} p ON p.id = i.policy_id"


def _in(column: str) -> str:
    return f"{column} >= %(lo)s AND {column} < %(hi)s AND date_trunc('hour', {column}, 'UTC') = ANY(%(hours)s::timestamptz[])"


def _h(column: str) -> str:
    return f"date_trunc('hour', {column}, 'UTC')"


def _epoch(expression: str) -> str:
    return f"EXTRACT(EPOCH FROM ({expression}))::float8"


# Every branch yields (hour, queue, policy, language, metric, seconds) for one source row.
_SOURCES = f"""
SELECT {_h("r.received_at")} AS h, q.slug AS queue, p.code AS policy, i.language AS language,
       'report:' || r.source AS metric, NULL::float8 AS secs
FROM {{report}} r LEFT JOIN {{item}} i ON i.id = r.review_item_id {_ITEM_DIMS} WHERE {_in("r.received_at")}
UNION ALL
SELECT {_h("r.received_at")}, q.slug, p.code, i.language, 'report_actioned', NULL
FROM {{report}} r JOIN {{facts}} f ON f.review_item_id = r.review_item_id AND f.first_actioned_at IS NOT NULL
JOIN {{item}} i ON i.id = r.review_item_id {_ITEM_DIMS} WHERE {_in("r.received_at")}
UNION ALL
SELECT {_h("x.received_at")}, q.slug, p.code, i.language, 'detection', NULL
FROM {{detection}} x LEFT JOIN {{item}} i ON i.id = x.review_item_id {_ITEM_DIMS} WHERE {_in("x.received_at")}
UNION ALL
SELECT {_h("f.closed_at")}, q.slug, p.code, i.language, 'closed',
       CASE WHEN f.closed_at <= i.sla_due_at THEN 1.0 ELSE 0.0 END
FROM {{facts}} f JOIN {{item}} i ON i.id = f.review_item_id {_ITEM_DIMS} WHERE {_in("f.closed_at")}
UNION ALL
SELECT {_h("f.first_touched_at")}, q.slug, p.code, i.language, 'ttft', {_epoch("f.first_touched_at - f.first_seen_at")}
FROM {{facts}} f JOIN {{item}} i ON i.id = f.review_item_id {_ITEM_DIMS}
WHERE {_in("f.first_touched_at")} AND f.first_seen_at < {_h("f.first_touched_at")} + interval '1 hour'
UNION ALL
SELECT {_h("f.first_actioned_at")}, q.slug, p.code, i.language, 'tta',
       {_epoch("f.first_actioned_at - coalesce(f.first_reported_at, f.first_seen_at)")}
FROM {{facts}} f JOIN {{item}} i ON i.id = f.review_item_id {_ITEM_DIMS} WHERE {_in("f.first_actioned_at")}
UNION ALL
SELECT {_h("s.ended_at")}, q.slug, p.code, i.language, 'handled', {_epoch("s.ended_at - s.started_at")}
FROM {{span}} s JOIN {{item}} i ON i.id = s.review_item_id {_ITEM_DIMS}
WHERE s.ended_by = %(decided)s AND {_in("s.ended_at")}
UNION ALL
SELECT {_h("d.created_at")}, q.slug, p.code, i.language, 'decision', NULL
FROM {{decision}} d JOIN {{item}} i ON i.id = d.review_item_id {_ITEM_DIMS} WHERE {_in("d.created_at")}
UNION ALL
SELECT {_h("a.created_at")}, q.slug, ap.code, i.language, m.metric, CASE WHEN a.automated THEN 1.0 ELSE 0.0 END
FROM {{action}} a LEFT JOIN {{policy}} ap ON ap.id = a.policy_id
LEFT JOIN {{decision}} d ON d.id = a.decision_id LEFT JOIN {{item}} i ON i.id = d.review_item_id
LEFT JOIN {{queue}} q ON q.id = i.queue_id
CROSS JOIN LATERAL (
    SELECT 'action' AS metric
    UNION ALL
    SELECT 'action_proactive'
    WHERE NOT EXISTS (SELECT 1 FROM {{report}} r WHERE r.review_item_id = d.review_item_id AND r.received_at <= a.created_at)
      AND NOT EXISTS (SELECT 1 FROM {{report}} r WHERE r.subject_id = a.subject_id AND r.received_at <= a.created_at)
) m
WHERE {_in("a.created_at")}
UNION ALL
SELECT g.h, q.slug, p.code, i.language, m.metric,
       {_epoch("least(s.ended_at, g.h + interval '1 hour') - greatest(s.started_at, g.h)")}
FROM {{span}} s JOIN {{item}} i ON i.id = s.review_item_id {_ITEM_DIMS}
CROSS JOIN LATERAL generate_series({_h("s.started_at")}, s.ended_at, interval '1 hour') AS g(h)
CROSS JOIN LATERAL (
    SELECT 'busy' AS metric UNION ALL SELECT 'exposure:' || s.actor WHERE i.tier >= %(tier)s
) m
WHERE s.ended_at IS NOT NULL AND s.ended_at > %(lo)s AND s.started_at < %(hi)s AND s.ended_at > g.h
  AND g.h = ANY(%(hours)s::timestamptz[])
"""  # noqa: S608 (table names come from the models, never from input)

_INSERT_HOURS = f"""
WITH src AS ({_SOURCES})
INSERT INTO {{rollup}} (grain, start, dim, value, metric, bucket, n, total)
SELECT 'h', s.h, d.dim, d.value, s.metric,
       CASE WHEN s.metric IN ('ttft', 'tta') THEN
           CASE WHEN s.secs < 1 THEN 0 ELSE least({BUCKETS + 1}, 1 + floor(ln(s.secs) / {LOG_RATIO!r})::int) END
       ELSE -1 END,
       count(*), coalesce(sum(s.secs), 0)
FROM src s CROSS JOIN LATERAL (
    VALUES ('', ''), ('queue', s.queue), ('policy', s.policy), ('language', s.language)
) AS d(dim, value)
WHERE d.value IS NOT NULL
GROUP BY 2, 3, 4, 5, 6
"""  # noqa: S608

_INSERT_DAYS = """
INSERT INTO {rollup} (grain, start, dim, value, metric, bucket, n, total)
SELECT 'd', date_trunc('day', start, 'UTC'), dim, value, metric, bucket, sum(n), sum(total) FROM {rollup}
WHERE grain = 'h' AND start >= %(lo)s AND start < %(hi)s AND date_trunc('day', start, 'UTC') = ANY(%(days)s::timestamptz[])
GROUP BY 2, 3, 4, 5, 6
"""


def rebuild_hours(hours: Iterable[datetime]) -> None:
    """Recompute the rollup rows of these hours, then of the days that hold them."""
    hours = sorted(set(hours))
    if not hours:
        return
    params: dict[str, Any] = {
        "hours": hours,
        "lo": hours[0],
        "hi": hours[-1] + HOUR,
        "decided": DECIDED,
        "tier": EXPOSURE_TIER,
    }
    _run("DELETE FROM {rollup} WHERE grain = 'h' AND start = ANY(%(hours)s::timestamptz[])", params)
    _run(_INSERT_HOURS, params)
    days = sorted({h.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) for h in hours})
    span = {"days": days, "lo": days[0], "hi": days[-1] + DAY}
    _run("DELETE FROM {rollup} WHERE grain = 'd' AND start = ANY(%(days)s::timestamptz[])", span)
    _run(_INSERT_DAYS, span)


# --- reading -------------------------------------------------------------------------------------


@dataclass
class Totals:
    """Counts and sums of every ingredient over the whole hours ``[start, end)`` of a window."""

    start: datetime
    end: datetime
    sums: dict[str, tuple[int, float]] = field(default_factory=dict)
    histograms: dict[str, dict[int, int]] = field(default_factory=dict)

    def n(self, metric: str) -> int:
        return self.sums.get(metric, (0, 0.0))[0]

    def total(self, metric: str) -> float:
        return self.sums.get(metric, (0, 0.0))[1]

    def with_prefix(self, prefix: str) -> dict[str, tuple[int, float]]:
        return {k.removeprefix(prefix): v for k, v in self.sums.items() if k.startswith(prefix)}


def ceil_to(moment: datetime, step: timedelta) -> datetime:
    floor = floor_to(moment, step)
    return floor if floor == moment else floor + step


def floor_to(moment: datetime, step: timedelta) -> datetime:
    utc = moment.astimezone(UTC)
    if step == DAY:
        return utc.replace(hour=0, minute=0, second=0, microsecond=0)
    return utc.replace(minute=0, second=0, microsecond=0)


_READ_PART = (
    "SELECT metric, bucket, n, total FROM {rollup} WHERE dim = %(dim)s AND value = %(value)s "
    "AND grain = %(g{k})s AND start >= %(lo{k})s AND start < %(hi{k})s"
)
_READ = "SELECT metric, bucket, sum(n), sum(total) FROM ({parts}) AS r GROUP BY metric, bucket"


def read(dim: str, value: str, start: datetime, end: datetime) -> Totals:
    """Every ingredient summed over the whole hours ``[start, end)`` (both on the hour).

    Whole days come from the day rows and the hours around them from the hour rows: a month is
    about thirty rows per ingredient.
    """
    d0, d1 = ceil_to(start, DAY), floor_to(end, DAY)
    ranges = [(Grain.DAY, d0, d1), (Grain.HOUR, start, d0), (Grain.HOUR, d1, end)] if d0 < d1 else []
    ranges = [r for r in ranges if r[1] < r[2]] or [(Grain.HOUR, start, end)]
    parts: list[str] = []
    params: dict[str, Any] = {"dim": dim, "value": value}
    for k, (grain, lo, hi) in enumerate(ranges):
        parts.append(_READ_PART.replace("{k}", str(k)))
        params.update({f"g{k}": grain.value, f"lo{k}": lo, f"hi{k}": hi})
    rows = _run(_READ.replace("{parts}", " UNION ALL ".join(parts)), params)
    totals = Totals(start, end)
    for metric, bucket, n, total in rows:
        if bucket >= 0:
            totals.histograms.setdefault(metric, {})[bucket] = int(n)
        n0, t0 = totals.sums.get(metric, (0, 0.0))
        totals.sums[metric] = (n0 + int(n), t0 + float(total))
    return totals


__all__ = ["Grain", "Totals", "bucket_of", "bucket_value", "enabled", "read", "rebuild_hours", "touched_hours"]
