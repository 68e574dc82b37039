"""Routing: which queue a new item goes to."""

from __future__ import annotations

from modops.review.models import Queue, RoutingRule

DEFAULT_QUEUE = "general"


def route(policy_id: int, language: str, tier: int, live: bool) -> Queue:
    """The first rule (by ``order``) whose conditions all hold; the default queue otherwise."""
    for rule in RoutingRule.objects.select_related("queue").order_by("order", "id"):
        if rule.policy_id is not None and rule.policy_id != policy_id:
            continue
        if rule.language and rule.language != language:
            continue
        if rule.min_tier is not None and tier < rule.min_tier:
            continue
        if rule.live is not None and rule.live != live:
            continue
        return rule.queue
    queue, _ = Queue.objects.get_or_create(slug=DEFAULT_QUEUE, defaults={"name": "General"})
    return queue
