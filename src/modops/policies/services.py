"""Policy look-ups used by intake and review."""

from __future__ import annotations

from modops.policies.models import Policy


class UnknownPolicy(LookupError):
    pass


def get_policy(code: str) -> Policy:
    try:
        return Policy.objects.get(code=code, active=True)
    except Policy.DoesNotExist:
        raise UnknownPolicy(code) from None
