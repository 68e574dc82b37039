"""Statements of reasons: what the user is told about an action taken against them."""

from __future__ import annotations

from django.conf import settings

from modops.enforcement.models import Action
from modops.policies.models import Policy


def statement_of_reasons(action: Action, policy: Policy | None, facts: str) -> dict[str, object]:
    return {
        "policy": policy.code if policy else None,
        "policy_name": policy.name if policy else None,
        "facts": facts[:5000],
        "action": action.type,
        "duration_seconds": action.duration_seconds,
        "ends_at": action.ends_at.isoformat() if action.ends_at else None,
        "automated_detection": action.automated,
        "automated_decision": action.automated,
        "dsa_category": policy.dsa_category if policy else None,
        "how_to_appeal": f"You can appeal this decision within 60 days at {settings.MODOPS_PUBLIC_APPEAL_URL}.",
    }
