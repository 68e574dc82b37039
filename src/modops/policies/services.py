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


_by_id: TtlCache[int, Policy | None] = TtlCache("policies-by-id", 10.0, invalidate_on=(Policy,))


def policy_by_id(pk: int) -> Policy:
    """A policy by its key, active or not (items keep the policy they were opened under)."""
    policy = _by_id.get(pk, lambda: Policy.objects.filter(pk=pk).first())
    if policy is None:
        raise UnknownPolicy(str(pk))
    return policy
