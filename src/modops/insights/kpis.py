"""Operations KPIs: the definitions in ``modops.insights.measures``, served fast.

On PostgreSQL a slice cut by at most one of queue, policy or language reads the whole hours of its
window from the hourly and daily rollups (``modops.insights.rollup``) and computes only the minutes
before the first and after the last whole hour from the source tables, so sums and ratios equal
the exact definitions. Percentiles of large windows come from merged log-spaced histograms (see
``_percentiles`` for the error bound). Other slices, and SQLite, use the exact definitions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection, transaction

from modops.enforcement.models import Action, Strike
from modops.insights import rollup
from modops.insights.measures import (
    _SHARED,
    AGE_BUCKETS,
    Backlog,
    Distribution,
    Exposure,
    Ratio,
    _action_rate,
    _action_rows,
    _automation_rate,
    _clipped,
    _distribution,
    _exposure_seconds,
    _handled,
    _intake_volume,
    _proactive_rate,
    _repeat_offender_rate,
    _sla_attainment,
    _touch_rows,
    backlog,
    catch_up,
    decisions_in,
    decisions_per_productive_hour,
    occupancy,
    percentile,
    plan,
    productive_hours,
    seconds_of,
    spans,
    time_to_action_values,
)
from modops.insights.projection import CLAIM_ENDS, CLAIMED, DECIDED
from modops.insights.slices import Slice
from modops.intake.models import ReportSource
from modops.ops.simulation.model import EXPOSURE_TIER
from modops.policies.models import Policy
from modops.review.models import Decision, Queue, ReviewItem

__all__ = [
    "AGE_BUCKETS",
    "CLAIMED",
    "CLAIM_ENDS",
    "DECIDED",
    "Backlog",
    "Distribution",
    "Exposure",
    "Ratio",
    "_action_rate",
    "_automation_rate",
    "_clipped",
    "_exposure_seconds",
    "_handled",
    "_intake_volume",
    "_proactive_rate",
    "_repeat_offender_rate",
    "_sla_attainment",
    "backlog",
    "catch_up",
    "decisions_in",
    "percentile",
    "plan",
    "productive_hours",
    "seconds_of",
    "spans",
    "time_to_action_values",
]


# --- the KPIs: whole hours from the rollups, the rest exactly ------------------------------------

# Percentiles come from the exact durations while the window holds at most this many of them.
EXACT_PERCENTILES_UP_TO = 20_000


def intake_volume(s: Slice) -> dict[str, int]:
    """Intake volume by source (definition: ``_intake_volume``). Unit: count."""
    totals, edges = plan(s)
    out = {ReportSource.USER.value: 0, ReportSource.TRUSTED_FLAGGER.value: 0, "automated": 0}
    if totals is not None:
        for source in (ReportSource.USER.value, ReportSource.TRUSTED_FLAGGER.value):
            out[source] += totals.n(f"report:{source}")
        out["automated"] += totals.n("detection")
    for edge in edges:
        for k, v in _intake_volume(edge).items():
            out[k] += v
    return out


def _sum_ratios(base: Ratio, edges: list[Slice], exact: Callable[[Slice], Ratio]) -> Ratio:
    num, den = base.numerator, base.denominator
    for edge in edges:
        r = exact(edge)
        num, den = num + r.numerator, den + r.denominator
    return Ratio(num, den)


def sla_attainment(s: Slice) -> Ratio:
    """SLA attainment (definition: ``_sla_attainment``). Unit: fraction."""
    totals, edges = plan(s)
    base = Ratio(round(totals.total("closed")), totals.n("closed")) if totals else Ratio(0, 0)
    return _sum_ratios(base, edges, _sla_attainment)


def action_rate(s: Slice) -> Ratio:
    """Action rate (definition: ``_action_rate``). Unit: fraction."""
    totals, edges = plan(s)
    base = Ratio(0, 0)
    if totals is not None:
        base = Ratio(totals.n("report_actioned"), sum(n for n, _ in totals.with_prefix("report:").values()))
    return _sum_ratios(base, edges, _action_rate)


def proactive_rate(s: Slice) -> Ratio:
    """Proactive rate (definition: ``_proactive_rate``). Unit: fraction."""
    totals, edges = plan(s)
    base = Ratio(totals.n("action_proactive"), totals.n("action")) if totals else Ratio(0, 0)
    return _sum_ratios(base, edges, _proactive_rate)


def automation_rate(s: Slice) -> Ratio:
    """Automation rate (definition: ``_automation_rate``). Unit: fraction."""
    totals, edges = plan(s)
    base = Ratio(round(totals.total("action")), totals.n("action")) if totals else Ratio(0, 0)
    return _sum_ratios(base, edges, _automation_rate)


def average_handle_time(s: Slice) -> float | None:
    """Average handle time (definition: ``_handled``). Unit: seconds."""
    totals, edges = plan(s)
    n, total = (totals.n("handled"), totals.total("handled")) if totals else (0, 0.0)
    for edge in edges:
        en, et = _handled(edge)
        n, total = n + en, total + et
    return total / n if n else None


def _percentiles(s: Slice, metric: str, rows: Callable[[Slice], Any]) -> Distribution:
    """Count, p50, p90 and mean; exact for small windows, else from the merged histograms.

    From the histograms a percentile is the geometric middle of the bucket holding the
    nearest-rank value, so it is within √R − 1 ≈ 3.8% of the exact value (R ≈ 1.0767, 200
    log-spaced buckets from 1 s to 30 days; below 1 s it reads 0.5 s, above 30 days 30 days).
    Count and mean stay exact.
    """
    totals, edges = plan(s)
    if totals is None or totals.n(metric) <= EXACT_PERCENTILES_UP_TO:
        return _distribution(rows(s))
    histogram = dict(totals.histograms.get(metric, {}))
    count, total = totals.n(metric), totals.total(metric)
    for edge in edges:
        for t0, t1 in rows(edge).values_list("t0", "t1"):
            seconds = (t1 - t0).total_seconds()
            bucket = rollup.bucket_of(seconds)
            histogram[bucket] = histogram.get(bucket, 0) + 1
            count, total = count + 1, total + seconds
    ordered = sorted(histogram.items())

    def at_rank(p: float) -> float:
        rank, seen = max(1, math.ceil(p / 100.0 * count)), 0
        for bucket, n in ordered:
            seen += n
            if seen >= rank:
                return rollup.bucket_value(bucket)
        return rollup.bucket_value(ordered[-1][0])

    return Distribution(count, at_rank(50), at_rank(90), total / count)


def time_to_first_touch(s: Slice) -> Distribution:
    """Time to first touch (definition: ``_touch_rows``; percentiles as in ``_percentiles``)."""
    return _percentiles(s, "ttft", _touch_rows)


def time_to_action(s: Slice) -> Distribution:
    """Time to action (definition: ``_action_rows``; percentiles as in ``_percentiles``)."""
    return _percentiles(s, "tta", _action_rows)


def exposure_minutes(s: Slice) -> Exposure:
    """Exposure minutes (definition: ``_exposure_seconds``). Unit: minutes."""
    totals, edges = plan(s)
    per: dict[str, float] = {}

    def add(seconds: dict[str, float]) -> None:
        for actor, value in seconds.items():
            per[actor.removeprefix("staff:")] = per.get(actor.removeprefix("staff:"), 0.0) + value / 60.0

    for edge in edges:
        add(_exposure_seconds(edge))
    if totals is not None:
        add({actor: total for actor, (_, total) in totals.with_prefix("exposure:").items()})
        whole = replace(s, since=totals.start, until=totals.end)
        held = (
            spans(whole)
            .filter(ended_at__isnull=True, review_item__tier__gte=EXPOSURE_TIER)
            .values("actor")
            .annotate(busy=_clipped(whole))
            .values_list("actor", "busy")
            .order_by()
        )
        add({actor: seconds_of(busy) for actor, busy in held})
    return Exposure(sum(per.values()), max(per.values(), default=0.0), dict(sorted(per.items())))


_REPEAT_SQL = """
WITH struck AS (
    SELECT st.account_id, st.created_at, st.policy_id, st.action_id,
           max(st.expires_at) OVER (PARTITION BY st.account_id ORDER BY st.created_at
               RANGE BETWEEN UNBOUNDED PRECEDING AND interval '1 microsecond' PRECEDING) AS prior_until
    FROM {strike} st WHERE NOT st.voided AND st.created_at < %(until)s AND st.expires_at > %(since)s
)
SELECT count(DISTINCT c.account_id), count(DISTINCT c.account_id) FILTER (WHERE c.prior_until > c.created_at)
FROM struck c {joins} WHERE c.created_at >= %(since)s {where}
"""


def repeat_offender_rate(s: Slice) -> Ratio:
    """Repeat-offender rate (definition: ``_repeat_offender_rate``). Unit: fraction.

    On PostgreSQL one pass over the strikes in force during the window: each strike's
    "strike in force before it" is the latest expiry among the account's earlier strikes.
    """
    if not rollup.enabled() or s.by_staff:
        return _repeat_offender_rate(s)
    joins, where = "", ""
    params: dict[str, Any] = {"since": s.since, "until": s.until}
    if s.policy:
        joins += f" JOIN {Policy._meta.db_table} p ON p.id = c.policy_id"
        where += " AND p.code = %(policy)s"
        params["policy"] = s.policy
    if s.queue or s.language:
        joins += (
            f" JOIN {Action._meta.db_table} a ON a.id = c.action_id JOIN {Decision._meta.db_table} d"
            f" ON d.id = a.decision_id JOIN {ReviewItem._meta.db_table} i ON i.id = d.review_item_id"
        )
    if s.queue:
        joins += f" JOIN {Queue._meta.db_table} q ON q.id = i.queue_id"
        where += " AND q.slug = %(queue)s"
        params["queue"] = s.queue
    if s.language:
        where += " AND i.language = %(language)s"
        params["language"] = s.language
    sql = _REPEAT_SQL.format(strike=Strike._meta.db_table, joins=joins, where=where)
    with transaction.atomic(), connection.cursor() as cursor:
        # A month of strikes sorts in memory with this much; the default spills to disk.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        accounts, repeat = cursor.fetchone()
    return Ratio(repeat, accounts)


# --- registry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiSpec:
    name: str
    label: str
    unit: str
    compute: Callable[[Slice], Any]
    scalar: Callable[[Any], float | None]
    higher_is_better: bool


def _ratio(r: Ratio) -> float | None:
    return r.value


KPIS: dict[str, KpiSpec] = {
    spec.name: spec
    for spec in (
        KpiSpec("intake_volume", "Intake volume", "count", intake_volume, lambda v: float(sum(v.values())), True),
        KpiSpec("backlog", "Backlog", "items", backlog, lambda v: float(v.count), False),
        KpiSpec(
            "backlog_oldest_age",
            "Oldest item in backlog",
            "seconds",
            backlog,
            lambda v: v.oldest_age_seconds,
            False,
        ),
        KpiSpec("sla_attainment", "SLA attainment", "fraction", sla_attainment, _ratio, True),
        KpiSpec(
            "time_to_first_touch_p50", "Time to first touch p50", "seconds", time_to_first_touch, lambda v: v.p50, False
        ),
        KpiSpec("time_to_action_p50", "Time to action p50", "seconds", time_to_action, lambda v: v.p50, False),
        KpiSpec("time_to_action_p90", "Time to action p90", "seconds", time_to_action, lambda v: v.p90, False),
        KpiSpec("average_handle_time", "Average handle time", "seconds", average_handle_time, lambda v: v, False),
        KpiSpec(
            "decisions_per_productive_hour",
            "Decisions per productive hour",
            "decisions/hour",
            decisions_per_productive_hour,
            lambda v: v,
            True,
        ),
        KpiSpec("occupancy", "Occupancy", "fraction", occupancy, lambda v: v, True),
        KpiSpec("action_rate", "Action rate", "fraction", action_rate, _ratio, True),
        KpiSpec("proactive_rate", "Proactive rate", "fraction", proactive_rate, _ratio, True),
        KpiSpec("automation_rate", "Automation rate", "fraction", automation_rate, _ratio, True),
        KpiSpec("repeat_offender_rate", "Repeat-offender rate", "fraction", repeat_offender_rate, _ratio, False),
        KpiSpec(
            "exposure_minutes_max",
            "Max exposure per moderator",
            "minutes",
            exposure_minutes,
            lambda v: v.max_minutes,
            False,
        ),
    )
}
SCALAR_KPIS = tuple(KPIS)


COMPUTE_ORDER = (
    "intake_volume",
    "backlog",
    "sla_attainment",
    "time_to_first_touch",
    "time_to_action",
    "average_handle_time",
    "decisions_per_productive_hour",
    "occupancy",
    "action_rate",
    "proactive_rate",
    "automation_rate",
    "repeat_offender_rate",
    "exposure_minutes",
)


def compute_all(s: Slice) -> dict[str, Any]:
    """Every KPI for one slice, as plain data (the API and the dashboard use this).

    The projections are brought up once, the rollups read once, and productive hours worked out
    once for all of them.
    """
    token = _SHARED.set({})
    try:
        catch_up()
        hours = productive_hours(s)
        out: dict[str, Any] = {}
        for name in COMPUTE_ORDER:
            fn = globals()[name]
            value: Any = fn(s, hours) if name in ("decisions_per_productive_hour", "occupancy") else fn(s)
            out[name] = value.as_dict() if hasattr(value, "as_dict") else value
        return out
    finally:
        _SHARED.reset(token)
