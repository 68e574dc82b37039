"""Read-side look-ups of review items, with the same permission rules as the services."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import User

from modops.accounts.permissions import PermissionDenied
from modops.accounts.services import clearance_of
from modops.review.models import ReviewItem
from modops.review.services.errors import NotFound


def get_item(user: User, item_id: uuid.UUID) -> ReviewItem:
    item = ReviewItem.objects.select_related("queue", "policy", "subject", "claimed_by").filter(pk=item_id).first()
    if item is None:
        raise NotFound(f"review item {item_id}")
    if item.tier > clearance_of(user):
        raise PermissionDenied(f"item needs clearance {item.tier}")
    return item
