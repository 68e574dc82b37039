"""What-if simulation of routing and staffing changes over one day of review items."""

from modops.ops.simulation.compare import Comparison, render_comparison, run_comparison
from modops.ops.simulation.metrics import PolicyResult, SegmentResult
from modops.ops.simulation.model import SITES, Arrival, Day, Site, StaffGroup
from modops.ops.simulation.reference import (
    REFERENCE_SEED,
    REFERENCE_STAFF,
    reference_day,
)
from modops.ops.simulation.roster import (
    RosterChange,
    RosterChangeError,
    apply_roster_changes,
    parse_roster_change,
)
from modops.ops.simulation.routing import FIFO, MODOPS, RoutingPolicy, priority

__all__ = [
    "FIFO",
    "MODOPS",
    "REFERENCE_SEED",
    "REFERENCE_STAFF",
    "SITES",
    "Arrival",
    "Comparison",
    "Day",
    "PolicyResult",
    "RosterChange",
    "RosterChangeError",
    "RoutingPolicy",
    "SegmentResult",
    "Site",
    "StaffGroup",
    "apply_roster_changes",
    "parse_roster_change",
    "priority",
    "reference_day",
    "render_comparison",
    "run_comparison",
]
