"""Policy look-ups used by intake and review."""

from __future__ import annotations

from modops.caching import TtlCache
from modops.policies.models import Policy


class UnknownPolicy(LookupError):
    pass


_policies: TtlCache[str, Policy | None] = TtlCache("policies", 10.0, invalidate_on=(Policy,))


def get_policy(code: str) -> Policy:
    policy = _policies.get(code, lambda: Policy.objects.filter(code=code, active=True).first())
    if policy is None:
        raise UnknownPolicy(code)
    return policy
