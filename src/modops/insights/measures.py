"""The exact definitions of the operations KPIs, computed from the source tables and projections.

``modops.insights.kpis`` serves them, reading whole hours from the rollups where it can.

Every KPI takes a ``Slice``: a window ``[since, until)`` and optional filters (region, site,
queue, policy, language, moderator; see ``modops.insights.slices``). Nothing is read from running
counters: figures come from review items, reports, detections, decisions, actions, strikes and
``audit.Event`` rows, so recomputing a past window gives the same answer.

Percentiles are nearest-rank: the p-th percentile of n sorted values is the value at rank
ceil(p/100 · n) (PostgreSQL's ``percentile_disc``). Durations are in seconds; rates are fractions 0..1.

Everything is an SQL aggregate, so a month of a million items costs what the database does, not
a walk in Python. Claim spans and per-item first moments come from the projections of the event
log in ``modops.insights.projection``, brought up to date before they are read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, DateTimeField, DurationField, Exists, ExpressionWrapper, F, Min, OuterRef, Q, Sum
from django.db.models import Value as V
from django.db.models.functions import Coalesce, Greatest, Least

from modops.enforcement.models import Action, Strike
from modops.insights import rollup
from modops.insights.models import ClaimSpan, ItemFacts
from modops.insights.projection import DECIDED
from modops.insights.projection import catch_up as _catch_up
from modops.insights.slices import Slice
from modops.intake.models import Detection, Report, ReportSource
from modops.ops.simulation.model import EXPOSURE_TIER
from modops.review.models import Decision, ReviewItem
from modops.workforce.services import shift_hours

AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("<1h", timedelta(hours=1)),
    ("1-4h", timedelta(hours=4)),
    ("4-24h", timedelta(hours=24)),
    ("1-3d", timedelta(days=3)),
    (">=3d", None),
)


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def as_dict(self) -> dict[str, Any]:
        return {"numerator": self.numerator, "denominator": self.denominator, "value": self.value}


@dataclass(frozen=True)
class Distribution:
    """Count, nearest-rank p50 and p90, and mean of durations in seconds."""

    count: int
    p50: float | None
    p90: float | None
    mean: float | None

    @classmethod
    def of(cls, values: Iterable[float]) -> Distribution:
        ordered = sorted(values)
        if not ordered:
            return cls(0, None, None, None)
        return cls(len(ordered), percentile(ordered, 50), percentile(ordered, 90), sum(ordered) / len(ordered))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Backlog:
    count: int
    oldest_age_seconds: float | None
    age_buckets: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Exposure:
    total_minutes: float
    max_minutes: float
    by_moderator: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Within ``compute_all``: the projections are brought up once, and rollup reads are shared.
_SHARED: ContextVar[dict[Any, Any] | None] = ContextVar("kpi_shared", default=None)


def catch_up() -> None:
    shared = _SHARED.get()
    if shared is None:
        _catch_up()
    elif "caught_up" not in shared:
        _catch_up()
        shared["caught_up"] = True


def plan(s: Slice) -> tuple[rollup.Totals | None, list[Slice]]:
    """Split a window into its whole hours, summed from the rollups, and the exact edges around them.

    The rollups serve slices cut by at most one of queue, policy or language on PostgreSQL; any
    other slice, or a window without a whole hour, is computed exactly from the source tables
    (the returned totals are then None and the only edge is the whole slice).
    """
    cuts = [
        (dim, value) for dim, value in (("queue", s.queue), ("policy", s.policy), ("language", s.language)) if value
    ]
    if not rollup.enabled() or s.by_staff or len(cuts) > 1:
        return None, [s]
    start, end = rollup.ceil_to(s.since, rollup.HOUR), rollup.floor_to(s.until, rollup.HOUR)
    if start >= end:
        return None, [s]
    dim, value = cuts[0] if cuts else ("", "")
    catch_up()
    key = ("rollup", dim, value, start, end)
    shared = _SHARED.get()
    totals = shared.get(key) if shared is not None else None
    if totals is None:
        totals = rollup.read(dim, value, start, end)
        if shared is not None:
            shared[key] = totals
    edges = []
    if s.since < start:
        edges.append(replace(s, until=start))
    if end < s.until:
        edges.append(replace(s, since=end))
    return totals, edges


def _items(s: Slice) -> Any:
    return ReviewItem.objects.filter(s.items())


# --- intake -------------------------------------------------------------------------------------


def _intake_volume(s: Slice) -> dict[str, int]:
    """Intake volume by source.

    Definition: reports received in the window, by source (``user``, ``trusted_flagger``), and
    detections received in the window (``automated``). Formula: count(report.received_at ∈ W)
    per source; count(detection.received_at ∈ W). Sliced through the review item each signal
    attached to. Unit: count.
    """
    window = Q(received_at__gte=s.since, received_at__lt=s.until)
    reports = Report.objects.filter(window)
    detections = Detection.objects.filter(window)
    if s.by_item:
        reports = reports.filter(s.items("review_item__"))
        detections = detections.filter(s.items("review_item__"))
    by_source = dict(reports.values_list("source").annotate(n=Count("id")).order_by())
    return {
        ReportSource.USER.value: by_source.get(ReportSource.USER.value, 0),
        ReportSource.TRUSTED_FLAGGER.value: by_source.get(ReportSource.TRUSTED_FLAGGER.value, 0),
        "automated": detections.count(),
    }


# --- backlog and service level ------------------------------------------------------------------


def backlog(s: Slice) -> Backlog:
    """Backlog and its age distribution at the end of the window.

    Definition: review items that existed and were not closed at ``until``. Formula: items with
    first_seen_at < until and (closed_at is null or closed_at ≥ until); age = until − first_seen_at,
    bucketed <1h, 1-4h, 4-24h, 1-3d, ≥3d. Unit: count; oldest age in seconds.
    """
    open_then = (
        _items(s).filter(first_seen_at__lt=s.until).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=s.until))
    )
    counts: dict[str, Any] = {}
    lower: timedelta | None = None
    for name, upper in AGE_BUCKETS:
        q = Q()
        if upper is not None:
            q &= Q(first_seen_at__gt=s.until - upper)
        if lower is not None:
            q &= Q(first_seen_at__lte=s.until - lower)
        counts[name] = Count("id", filter=q) if q else Count("id")
        lower = upper
    row = open_then.aggregate(total=Count("id"), oldest=Min("first_seen_at"), **counts)
    oldest = row.pop("oldest")
    total = row.pop("total")
    return Backlog(
        count=total,
        oldest_age_seconds=(s.until - oldest).total_seconds() if oldest else None,
        age_buckets={name: row[name] for name, _ in AGE_BUCKETS},
    )


def _sla_attainment(s: Slice) -> Ratio:
    """SLA attainment.

    Definition: share of review items closed in the window that were closed by their SLA due time.
    Formula: count(closed_at ∈ W and closed_at ≤ sla_due_at) / count(closed_at ∈ W). Unit: fraction.
    """
    closed = _items(s).filter(closed_at__gte=s.since, closed_at__lt=s.until)
    row = closed.aggregate(total=Count("id"), met=Count("id", filter=Q(closed_at__lte=F("sla_due_at"))))
    return Ratio(row["met"], row["total"])


def _dims(s: Slice, prefix: str = "") -> Q:
    """The item-level part of a slice (queue, policy, language), without the staff cut."""
    return Slice(since=s.since, until=s.until, queue=s.queue, policy=s.policy, language=s.language).items(prefix)


def _at(moment: object) -> V:
    return V(moment, output_field=DateTimeField())


def _distribution(rows: Any) -> Distribution:
    """Count, p50, p90 and mean of ``t1 - t0`` over a queryset of ``values(t0=..., t1=...)``."""
    if connection.vendor != "postgresql":
        return Distribution.of((t1 - t0).total_seconds() for t0, t1 in rows.values_list("t0", "t1"))
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY d), avg(d) "  # noqa: S608
            f"FROM (SELECT EXTRACT(EPOCH FROM (t1 - t0))::float8 AS d FROM ({sql}) AS pairs) AS durations",
            params,
        )
        count, percentiles, mean = cursor.fetchone()
    if not count:
        return Distribution(0, None, None, None)
    return Distribution(count, percentiles[0], percentiles[1], mean)


def _touch_rows(s: Slice) -> Any:
    """Time to first touch.

    Definition: for items first touched in the window, the time from the item's first signal to the
    first claim or decision on it. Formula: min(event.at | verb ∈ {claimed, decision.made}) −
    first_seen_at. Unit: seconds (p50, p90, mean).
    """
    catch_up()
    facts = ItemFacts.objects.filter(
        first_touched_at__gte=s.since, first_touched_at__lt=s.until, first_seen_at__lt=s.until
    )
    if s.by_item:
        facts = facts.filter(s.items("review_item__"))
    return facts.values(t0=F("first_seen_at"), t1=F("first_touched_at"))


def _first_actions(s: Slice) -> Any:
    catch_up()
    facts = ItemFacts.objects.filter(first_actioned_at__gte=s.since, first_actioned_at__lt=s.until)
    if s.by_item:
        facts = facts.filter(s.items("review_item__"))
    return facts.values(t0=Coalesce("first_reported_at", "first_seen_at"), t1=F("first_actioned_at"))


def _action_rows(s: Slice) -> Any:
    """Time to action (first report → enforcement).

    Definition: for items whose first enforcement action was taken in the window, the time from
    the first report on the item (or its first signal, for an item no person reported) to that
    action. Formula: min(action.created_at) − coalesce(min(report.received_at), first_seen_at).
    Unit: seconds (p50, p90, mean).
    """
    return _first_actions(s)


def time_to_action_values(s: Slice) -> list[float]:
    """The individual durations behind ``time_to_action``, in seconds (for histograms)."""
    return [(t1 - t0).total_seconds() for t0, t1 in _first_actions(s).values_list("t0", "t1")]


# --- productivity -------------------------------------------------------------------------------


def spans(s: Slice) -> Any:
    """Claim spans that overlap the window, cut by queue, policy, language and the staff's actors."""
    catch_up()
    rows = ClaimSpan.objects.filter(started_at__lt=s.until).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=s.since))
    if s.queue or s.policy or s.language:
        rows = rows.filter(_dims(s, "review_item__"))
    actors = s.actors()
    if actors is not None:
        rows = rows.filter(actor__in=actors)
    return rows


def _clipped(s: Slice) -> Sum:
    """Σ of each span's time inside the window (a span still held runs to ``until``)."""
    end = Least(Coalesce("ended_at", _at(s.until)), _at(s.until))
    return Sum(ExpressionWrapper(end - Greatest("started_at", _at(s.since)), output_field=DurationField()))


def seconds_of(value: timedelta | float | None) -> float:
    if value is None:
        return 0.0
    return value.total_seconds() if isinstance(value, timedelta) else float(value) / 1e6


def _handled(s: Slice) -> tuple[int, float]:
    """Average handle time (AHT).

    Definition: for decisions made in the window after a claim by the same person, the time from
    that claim to the decision. Formula: mean(decision.made.at − claimed.at), pairing each
    ``decision.made`` event with the open claim on the item by the same actor. Unit: seconds.
    """
    handled = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    row = (
        spans(s)
        .filter(ended_by=DECIDED, ended_at__gte=s.since, ended_at__lt=s.until)
        .aggregate(n=Count("id"), total=Sum(handled))
    )
    return row["n"], seconds_of(row["total"])


def decisions_in(s: Slice) -> Any:
    decisions = Decision.objects.filter(created_at__gte=s.since, created_at__lt=s.until)
    if s.queue or s.policy or s.language:
        decisions = decisions.filter(s.items("review_item__"))
    names = s.usernames()
    if names is not None:
        decisions = decisions.filter(decided_by__username__in=names)
    return decisions


def productive_hours(s: Slice) -> float:
    """Productive hours: rostered time on shift in the window less each shift's shrinkage, in hours."""
    return sum(shift_hours(s.since, s.until, s.usernames()).productive.values()) / 3600.0


def decisions_per_productive_hour(s: Slice, hours: float | None = None) -> float | None:
    """Decisions per productive hour (throughput).

    Definition: decisions made in the window per productive hour of the staff in the slice.
    Formula: count(decision.created_at ∈ W) / Σ rostered shift hours in W × (1 − shrinkage).
    Queue, policy and language cut the decisions only (rosters are not per queue). Unit: decisions/hour.
    """
    hours = productive_hours(s) if hours is None else hours
    if not hours:
        return None
    totals, edges = plan(s)
    count = sum(decisions_in(edge).count() for edge in edges) + (totals.n("decision") if totals else 0)
    return float(count) / hours


def occupancy(s: Slice, hours: float | None = None) -> float | None:
    """Occupancy.

    Definition: share of productive time spent holding claimed work. Formula: Σ claim spans
    clipped to W / Σ rostered shift time in W × (1 − shrinkage). Unit: fraction (can exceed 1 when
    people work off roster).
    """
    hours = productive_hours(s) if hours is None else hours
    if not hours:
        return None
    totals, edges = plan(s)
    busy = sum(seconds_of(spans(edge).aggregate(busy=_clipped(edge))["busy"]) for edge in edges)
    if totals is not None:
        # Closed claims come from the rollups; claims still held are clipped here.
        whole = replace(s, since=totals.start, until=totals.end)
        held = spans(whole).filter(ended_at__isnull=True)
        busy += totals.total("busy") + seconds_of(held.aggregate(busy=_clipped(whole))["busy"])
    return busy / (hours * 3600.0)


# --- outcomes -----------------------------------------------------------------------------------


def _action_rate(s: Slice) -> Ratio:
    """Action rate.

    Definition: share of reports received in the window whose review item led to an enforcement
    action. Formula: count(report ∈ W with an action on a decision of its item) / count(report ∈ W).
    Unit: fraction.
    """
    catch_up()
    reports = Report.objects.filter(received_at__gte=s.since, received_at__lt=s.until)
    if s.by_item:
        reports = reports.filter(s.items("review_item__"))
    actioned = ItemFacts.objects.filter(first_actioned_at__isnull=False).values("review_item_id")
    return Ratio(reports.filter(review_item_id__in=actioned).count(), reports.count())


def _actions(s: Slice) -> Any:
    actions = Action.objects.filter(created_at__gte=s.since, created_at__lt=s.until)
    if s.policy:
        actions = actions.filter(policy__code=s.policy)
    if s.queue or s.language or s.by_staff:
        actions = actions.filter(s.items("decision__review_item__", with_policy=False))
    return actions


def _proactive_rate(s: Slice) -> Ratio:
    """Proactive rate.

    Definition: share of actions taken in the window before any report by a person (user or
    trusted flagger) on the item decided, or on the subject actioned. Formula: count(action ∈ W
    with no report received at or before action.created_at) / count(action ∈ W). Unit: fraction.
    """
    on_item = Report.objects.filter(
        review_item_id=OuterRef("decision__review_item_id"), received_at__lte=OuterRef("created_at")
    )
    on_subject = Report.objects.filter(subject_id=OuterRef("subject_id"), received_at__lte=OuterRef("created_at"))
    row = _actions(s).aggregate(
        total=Count("id"), proactive=Count("id", filter=~Q(Exists(on_item)) & ~Q(Exists(on_subject)))
    )
    return Ratio(row["proactive"], row["total"])


def _automation_rate(s: Slice) -> Ratio:
    """Automation rate.

    Definition: share of actions taken in the window without a human decision. Formula:
    count(action ∈ W, automated) / count(action ∈ W). Unit: fraction.
    """
    row = _actions(s).aggregate(total=Count("id"), automated=Count("id", filter=Q(automated=True)))
    return Ratio(row["automated"], row["total"])


def _repeat_offender_rate(s: Slice) -> Ratio:
    """Repeat-offender rate.

    Definition: share of accounts struck in the window that already had a strike in force when
    struck. Formula: count(distinct account with a strike ∈ W such that another non-voided strike
    was created before it and expired after it) / count(distinct account with a strike ∈ W).
    Voided strikes count for neither. Unit: fraction.
    """
    strikes = Strike.objects.filter(created_at__gte=s.since, created_at__lt=s.until, voided=False)
    if s.policy:
        strikes = strikes.filter(policy__code=s.policy)
    if s.queue or s.language or s.by_staff:
        strikes = strikes.filter(s.items("action__decision__review_item__", with_policy=False))
    in_force = Strike.objects.filter(
        account_id=OuterRef("account_id"),
        voided=False,
        created_at__lt=OuterRef("created_at"),
        expires_at__gt=OuterRef("created_at"),
    )
    row = strikes.aggregate(
        accounts=Count("account_id", distinct=True),
        repeat=Count("account_id", distinct=True, filter=Q(Exists(in_force))),
    )
    return Ratio(row["repeat"], row["accounts"])


def _exposure_seconds(s: Slice) -> dict[str, float]:
    """Exposure minutes.

    Definition: time moderators spent holding claims on sensitive items (tier ≥ 2, the tier at
    which media is disturbing), within the window. Formula: Σ claim spans on items with tier ≥ 2,
    clipped to W, per moderator; total and maximum. Unit: minutes.
    """
    rows = (
        spans(s)
        .filter(review_item__tier__gte=EXPOSURE_TIER)
        .values("actor")
        .annotate(busy=_clipped(s))
        .values_list("actor", "busy")
        .order_by()
    )
    return {actor: seconds_of(busy) for actor, busy in rows}
