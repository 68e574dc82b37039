"""Routing policies compared by the simulator: modops priority routing and a plain FIFO queue.

Both respect hard eligibility (a moderator only takes items in a language they read and at a
sensitivity tier their clearance allows), because no real team lets anyone review what they
cannot read or are not cleared to see. They differ in order and in the wellness cap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from modops.ops.priority import PriorityInputs
from modops.ops.priority import priority as ops_priority
from modops.ops.simulation.model import Arrival

__all__ = ["FIFO", "MODOPS", "RoutingPolicy", "priority"]


def priority(item: Arrival) -> float:
    """The modops priority of the item (severity x reach x live-ness x confidence x velocity).

    Delegates to ``modops.ops.priority`` so the simulator ranks work exactly as the live queues do.
    """
    return ops_priority(
        PriorityInputs(
            severity=item.severity,
            reach=item.reach,
            live=item.live,
            confidence=item.confidence,
            velocity=item.velocity,
        )
    )


SortKey = tuple[float, float, str]


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """Order in which waiting items are offered, and whether the exposure cap is enforced."""

    name: str
    order: Callable[[Arrival], SortKey]
    exposure_cap: bool


def _priority_order(item: Arrival) -> SortKey:
    return (-priority(item), item.at_seconds, item.item_id)


def _arrival_order(item: Arrival) -> SortKey:
    return (item.at_seconds, 0.0, item.item_id)


MODOPS = RoutingPolicy(name="modops", order=_priority_order, exposure_cap=True)
FIFO = RoutingPolicy(name="fifo", order=_arrival_order, exposure_cap=False)
