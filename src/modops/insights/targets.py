"""Targets per KPI and slice: tile status (green/amber/red) and breach alerts.

A target turning red records ``kpi_target.breached`` in the event log and, when the target names
an adapter, writes an outbox message (topic ``kpi.breach``) in the same transaction; the worker
delivers it like any other side effect. Turning back records ``kpi_target.recovered``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from modops.audit.services import NewEvent, record
from modops.enforcement.models import OutboxMessage
from modops.insights.kpis import KPIS
from modops.insights.models import Comparator, KpiTarget, TileStatus
from modops.insights.slices import DIMENSIONS, Slice
from modops.review.services.errors import Invalid

BREACH_TOPIC = "kpi.breach"


def status_of(value: float | None, comparator: str, target: float, amber_margin: float) -> TileStatus:
    if value is None:
        return TileStatus.UNKNOWN
    if comparator == Comparator.AT_LEAST:
        shortfall = target - value
    else:
        shortfall = value - target
    if shortfall <= 0:
        return TileStatus.GREEN
    if shortfall <= amber_margin:
        return TileStatus.AMBER
    return TileStatus.RED


def validate(target: KpiTarget) -> None:
    """Refuse a target that cannot be computed, naming the field."""
    if target.kpi not in KPIS:
        raise Invalid("kpi", f"unknown KPI {target.kpi!r}; known: {', '.join(KPIS)}")
    if not isinstance(target.slice, dict) or not set(target.slice) <= set(DIMENSIONS):
        raise Invalid("slice", f"slice keys must be among {', '.join(DIMENSIONS)}")
    if target.comparator not in {c.value for c in Comparator}:
        raise Invalid("comparator", "must be gte or lte")
    if target.amber_margin < 0:
        raise Invalid("amber_margin", "must be >= 0")
    if not 1 <= target.window_hours <= 24 * 90:
        raise Invalid("window_hours", "must be 1 to 2160")


@dataclass(frozen=True)
class Tile:
    target_id: int
    name: str
    kpi: str
    label: str
    unit: str
    value: float | None
    target: float
    comparator: str
    status: TileStatus
    slice: dict[str, str]

    def as_dict(self) -> dict[str, object]:
        return {
            "target_id": self.target_id,
            "name": self.name,
            "kpi": self.kpi,
            "label": self.label,
            "unit": self.unit,
            "value": self.value,
            "target": self.target,
            "comparator": self.comparator,
            "status": self.status.value,
            "slice": self.slice,
        }


def measure(target: KpiTarget, now: datetime | None = None) -> Tile:
    validate(target)
    spec = KPIS[target.kpi]
    s = Slice.trailing(target.window_hours, now, **{k: str(v) for k, v in target.slice.items()})
    value = spec.scalar(spec.compute(s))
    return Tile(
        target_id=target.pk,
        name=target.name,
        kpi=target.kpi,
        label=spec.label,
        unit=spec.unit,
        value=value,
        target=target.target,
        comparator=target.comparator,
        status=status_of(value, target.comparator, target.target, target.amber_margin),
        slice=dict(target.slice),
    )


def tiles(now: datetime | None = None) -> list[Tile]:
    return [measure(t, now) for t in KpiTarget.objects.filter(active=True)]


def evaluate_targets(now: datetime | None = None) -> list[Tile]:
    """Measure every active target, store its status, and alert on a change to or from red."""
    now = now or timezone.now()
    measured = []
    for target in KpiTarget.objects.filter(active=True).select_related("adapter"):
        tile = measure(target, now)
        measured.append(tile)
        with transaction.atomic():
            locked = KpiTarget.objects.select_for_update().get(pk=target.pk)
            previous = locked.last_status
            locked.last_status, locked.last_value, locked.evaluated_at = tile.status.value, tile.value, now
            locked.save(update_fields=["last_status", "last_value", "evaluated_at"])
            facts = {
                "target_id": target.pk,
                "name": target.name,
                "kpi": target.kpi,
                "slice": dict(target.slice),
                "value": tile.value,
                "goal": target.target,
                "comparator": target.comparator,
                "window_hours": target.window_hours,
                "at": now.isoformat(),
            }
            if tile.status == TileStatus.RED and previous != TileStatus.RED:
                if target.adapter is not None and target.adapter.enabled:
                    OutboxMessage.objects.create(
                        adapter=target.adapter,
                        topic=BREACH_TOPIC,
                        payload={"topic": BREACH_TOPIC, "kpi_target": facts},
                        idempotency_key=f"kpi-target:{target.pk}:{now.isoformat()}",
                        next_attempt_at=now,
                    )
                record(
                    [
                        NewEvent(
                            actor="system:insights",
                            verb="kpi_target.breached",
                            before={"status": previous},
                            after=facts,
                        )
                    ],
                    at=now,
                )
            elif previous == TileStatus.RED and tile.status in (TileStatus.GREEN, TileStatus.AMBER):
                record(
                    [
                        NewEvent(
                            actor="system:insights",
                            verb="kpi_target.recovered",
                            before={"status": previous},
                            after=facts,
                        )
                    ],
                    at=now,
                )
    return measured
