"""Routing: which queue a new item goes to; cached look-ups of queue configuration."""

from __future__ import annotations

from modops.caching import TtlCache
from modops.review.models import Queue, RoutingRule

DEFAULT_QUEUE = "general"

_queues: TtlCache[str, Queue | None] = TtlCache("queues", 10.0, invalidate_on=(Queue,))
_rules: TtlCache[str, list[RoutingRule]] = TtlCache("routing-rules", 10.0, invalidate_on=(RoutingRule, Queue))


def queue_by_slug(slug: str) -> Queue | None:
    return _queues.get(slug, lambda: Queue.objects.filter(slug=slug).first())


_queues_by_id: TtlCache[int, Queue] = TtlCache("queues-by-id", 10.0, invalidate_on=(Queue,))


def queue_by_id(pk: int) -> Queue:
    return _queues_by_id.get(pk, lambda: Queue.objects.get(pk=pk))


def route(policy_id: int, language: str, tier: int, live: bool) -> Queue:
    """The first rule (by ``order``) whose conditions all hold; the default queue otherwise."""
    rules = _rules.get("all", lambda: list(RoutingRule.objects.select_related("queue").order_by("order", "id")))
    for rule in rules:
        if rule.policy_id is not None and rule.policy_id != policy_id:
            continue
        if rule.language and rule.language != language:
            continue
        if rule.min_tier is not None and tier < rule.min_tier:
            continue
        if rule.live is not None and rule.live != live:
            continue
        return rule.queue
    queue = queue_by_slug(DEFAULT_QUEUE)
    if queue is None:
        queue, _ = Queue.objects.get_or_create(slug=DEFAULT_QUEUE, defaults={"name": "General"})
    return queue
