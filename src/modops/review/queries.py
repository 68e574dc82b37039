"""Read-side look-ups of review items, with the same permission rules as the services."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import User
from django.db import transaction

from modops.accounts.permissions import Perm, PermissionDenied
from modops.accounts.services import clearance_of, has_perm
from modops.audit.services import NewEvent, record
from modops.review.models import ReviewItem
from modops.review.services.errors import NotFound


def get_item(user: User, item_id: uuid.UUID) -> ReviewItem:
    if not (has_perm(user, Perm.REVIEW_CLAIM) or has_perm(user, Perm.REVIEW_VIEW_ALL)):
        raise PermissionDenied(Perm.REVIEW_VIEW_ALL.value)
    item = ReviewItem.objects.select_related("queue", "policy", "subject", "claimed_by").filter(pk=item_id).first()
    if item is None:
        raise NotFound(f"review item {item_id}")
    clearance = clearance_of(user)
    if item.tier > clearance:
        # Refusals of restricted items are audited. The request fails, so the event is
        # committed here, before the error is raised, not left to the caller's transaction.
        with transaction.atomic():
            record(
                [
                    NewEvent.about_item(
                        item,
                        f"staff:{user.get_username()}",
                        "review_item.access_denied",
                        after={"user_id": user.pk, "item_tier": item.tier, "clearance": clearance},
                    )
                ]
            )
        raise PermissionDenied(f"item needs clearance {item.tier}")
    return item
