"""Replaying a recorded day from the database through the what-if simulator (``modops.ops.simulation``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from modops.audit.models import Event
from modops.insights.kpis import CLAIMED, DECIDED
from modops.ops.simulation import REFERENCE_SEED, Arrival, Comparison, Day, reference_day, run_comparison
from modops.ops.simulation.reference import HANDLE_MEAN_SECONDS, LIVE_HANDLE_FACTOR
from modops.review.models import ReviewItem
from modops.review.services.errors import Invalid


def _handle_seconds(day_start: datetime, day_end: datetime) -> dict[str, float]:
    """Observed handle time per item: claim to decision by the same person (last claim wins)."""
    claims: dict[str, tuple[str, datetime]] = {}
    handled: dict[str, float] = {}
    rows = (
        Event.objects.filter(verb__in=(CLAIMED, DECIDED), at__gte=day_start, at__lt=day_end + timedelta(days=2))
        .exclude(review_item_id=None)
        .order_by("seq")
        .values_list("review_item_id", "verb", "actor", "at")
    )
    for item_id, verb, actor, at in rows:
        key = str(item_id)
        if verb == CLAIMED:
            claims[key] = (actor, at)
        elif key in claims and claims[key][0] == actor:
            handled[key] = max(1.0, (at - claims.pop(key)[1]).total_seconds())
    return handled


def recorded_day(day: date) -> Day:
    """The review items first seen on ``day`` (UTC) as simulator arrivals.

    Items never handled get the reference handle time for their severity (halved when live).
    """
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1)
    handled = _handle_seconds(start, end)
    arrivals = []
    items = ReviewItem.objects.filter(first_seen_at__gte=start, first_seen_at__lt=end).select_related("policy")
    for item in items.iterator():
        severity = item.policy.severity
        default = HANDLE_MEAN_SECONDS[severity] * (LIVE_HANDLE_FACTOR if item.live else 1.0)
        arrivals.append(
            Arrival(
                item_id=str(item.id),
                at_seconds=(item.first_seen_at - start).total_seconds(),
                policy=item.policy.code,
                severity=severity,
                live=item.live,
                reach=item.reach,
                confidence=min(1.0, max(0.01, item.confidence)),
                velocity=max(0.0, item.velocity),
                sla_seconds=max(1.0, (item.sla_due_at - item.first_seen_at).total_seconds()),
                handle_seconds=handled.get(str(item.id), default),
                language=item.language or "en",
                sensitivity_tier=item.tier,
            )
        )
    if not arrivals:
        raise Invalid("day", f"no review items were first seen on {day.isoformat()}")
    from modops.ops.simulation import REFERENCE_STAFF

    return Day.of(arrivals, REFERENCE_STAFF, label=f"recorded {day.isoformat()}")


def load_day(spec: str, seed: int = REFERENCE_SEED) -> Day:
    """``reference`` for the generated reference day, or ``YYYY-MM-DD`` for a recorded one."""
    if spec == "reference":
        return reference_day(seed)
    try:
        day = date.fromisoformat(spec)
    except ValueError:
        raise Invalid("day", f"expected 'reference' or a date YYYY-MM-DD, got {spec[:40]!r}") from None
    return recorded_day(day)


def compare(
    spec: str, roster_changes: Sequence[str] = (), exposure_cap_minutes: float = 60.0, seed: int = REFERENCE_SEED
) -> Comparison:
    if exposure_cap_minutes <= 0:
        raise Invalid("exposure_cap", "must be > 0 minutes")
    return run_comparison(load_day(spec, seed), roster_changes, exposure_cap_minutes)
