"""Review services: items (intake side), claims with leases, and decisions.

Each module is one aggregate; callers import the function they need from here.
"""

from modops.review.services.claims import (
    ClaimResult,
    claim,
    claim_next,
    eligible_queues,
    escalate,
    expire_leases,
    release,
    renew,
    skip,
)
from modops.review.services.decisions import DecisionInput, DecisionResult, decide
from modops.review.services.errors import Conflict, NotFound
from modops.review.services.items import Signal, attach_signal, mark_sla_breaches, recompute_for_subject

__all__ = [
    "ClaimResult",
    "Conflict",
    "DecisionInput",
    "DecisionResult",
    "NotFound",
    "Signal",
    "attach_signal",
    "claim",
    "claim_next",
    "decide",
    "eligible_queues",
    "escalate",
    "expire_leases",
    "mark_sla_breaches",
    "recompute_for_subject",
    "release",
    "renew",
    "skip",
]
