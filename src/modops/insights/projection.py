"""Projections of the event log that the time-based KPIs read: claim spans and per-item facts.

The log is append-only and ``seq`` grows by one per event, and an event is numbered under the
chain head's lock held to commit, so "every event after the cursor" never skips a later commit of
an earlier number. ``catch_up`` reads the events after the projection cursor in batches and, in the
same transaction as moving the cursor:

- opens a ``ClaimSpan`` per ``review_item.claimed`` and closes each open span with the next
  claim-ending event on its item (a second claim on an item with an open span replaces it, as the
  pairing of events always did);
- refreshes ``ItemFacts`` of every item an event names (reports, detections, claims, decisions and
  actions all record one) from the source tables, so the facts equal what the tables say;
- on PostgreSQL, recomputes the hourly and daily rollups (``modops.insights.rollup``) of every hour
  the batch touches, before or after the change.

The worker calls it every tick; KPI functions call it first, so they never read a stale view.
Set-based SQL keeps a backfill of millions of events to seconds.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Subquery

from modops.audit.models import Event
from modops.enforcement.models import Action
from modops.insights import rollup
from modops.insights.models import ClaimSpan, ItemFacts, ProjectionCursor, Rollup
from modops.intake.models import Report
from modops.review.models import Decision, ReviewItem

CURSOR = "insights"
CLAIMED = "review_item.claimed"
DECIDED = "decision.made"
# Verbs that end a claim: the holder decided, let go, was moved on, or the lease ran out.
CLAIM_ENDS = (
    DECIDED,
    "review_item.released",
    "review_item.skipped",
    "review_item.escalated",
    "review_item.lease_expired",
)
BATCH = 250_000
# The items that the events of a batch name.
_NAMED = "SELECT review_item_id FROM {event} WHERE seq > %s AND seq <= %s AND review_item_id IS NOT NULL"


def _sql(template: str, params: list[Any]) -> None:
    """Run ``template`` with ``{event}``, ``{span}``... replaced by the models' table names (never input)."""
    with connection.cursor() as cursor:
        cursor.execute(template.replace("{named}", _NAMED).format(**_tables()), params)


def _tables() -> dict[str, str]:
    return {
        "event": Event._meta.db_table,
        "span": ClaimSpan._meta.db_table,
        "facts": ItemFacts._meta.db_table,
        "item": ReviewItem._meta.db_table,
        "report": Report._meta.db_table,
        "action": Action._meta.db_table,
        "decision": Decision._meta.db_table,
    }


def _open_spans(lo: int, hi: int) -> None:
    _sql(
        "INSERT INTO {span} (review_item_id, actor, started_at, ended_at, ended_by, claim_seq) "
        "SELECT review_item_id, actor, at, NULL, '', seq FROM {event} "
        "WHERE seq > %s AND seq <= %s AND verb = %s AND review_item_id IS NOT NULL",
        [lo, hi, CLAIMED],
    )


def _close_spans(lo: int, hi: int) -> None:
    following = Event.objects.filter(
        review_item_id=OuterRef("review_item_id"),
        seq__gt=OuterRef("claim_seq"),
        verb__in=(CLAIMED, *CLAIM_ENDS),
    ).filter(seq__gt=lo, seq__lte=hi)
    first = following.order_by("seq")
    ended = ClaimSpan.objects.filter(ended_at__isnull=True).filter(Exists(following))
    ended.update(ended_at=Subquery(first.values("at")[:1]), ended_by=Subquery(first.values("verb")[:1]))
    # A claim followed by another claim with nothing in between is replaced by the later one.
    named = Event.objects.filter(seq__gt=lo, seq__lte=hi, verb=CLAIMED).values("review_item_id")
    ClaimSpan.objects.filter(review_item_id__in=named, ended_by=CLAIMED).delete()


def _refresh_facts(lo: int, hi: int) -> None:
    _sql("DELETE FROM {facts} WHERE review_item_id IN ({named})", [lo, hi])
    _sql(
        "INSERT INTO {facts} (review_item_id, first_seen_at, first_touched_at, first_reported_at, first_actioned_at, "
        "closed_at) SELECT i.id, i.first_seen_at, "
        "(SELECT MIN(e.at) FROM {event} e WHERE e.review_item_id = i.id AND e.verb IN (%s, %s)), "
        "(SELECT MIN(r.received_at) FROM {report} r WHERE r.review_item_id = i.id), "
        "(SELECT MIN(a.created_at) FROM {action} a JOIN {decision} d ON d.id = a.decision_id "
        "WHERE d.review_item_id = i.id), i.closed_at "
        "FROM {item} i WHERE i.id IN ({named})",
        [CLAIMED, DECIDED, lo, hi],
    )


def last_seq() -> int:
    return Event.objects.aggregate(top=Max("seq"))["top"] or 0


def catch_up(batch: int = BATCH) -> int:
    """Bring the projections up to the end of the log; return how many events were read."""
    top = last_seq()
    done = ProjectionCursor.objects.filter(name=CURSOR).values_list("seq", flat=True).first() or 0
    if done >= top:
        return 0
    read = 0
    while True:
        with transaction.atomic():
            cursor, _ = ProjectionCursor.objects.select_for_update().get_or_create(name=CURSOR)
            lo = cursor.seq
            hi = min(lo + batch, top)
            if lo >= hi:
                return read
            touched = rollup.touched_hours(lo, hi) if rollup.enabled() else set()
            _open_spans(lo, hi)
            _close_spans(lo, hi)
            _refresh_facts(lo, hi)
            if rollup.enabled():
                rollup.rebuild_hours(touched | rollup.touched_hours(lo, hi))
            cursor.seq = hi
            cursor.save(update_fields=["seq"])
            read += hi - lo


def rebuild() -> int:
    """Forget the projections and read the whole log again."""
    with transaction.atomic():
        ClaimSpan.objects.all().delete()
        ItemFacts.objects.all().delete()
        Rollup.objects.all().delete()
        ProjectionCursor.objects.filter(name=CURSOR).delete()
    return catch_up()
