"""Review API: claims with leases, item state, decisions."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field

from modops.api.auth import moderation_auth, staff_of
from modops.api.schemas import ErrorOut
from modops.review import services
from modops.review.models import ReviewItem
from modops.review.queries import get_item

router = Router(tags=["review"], auth=moderation_auth)


class ItemOut(Schema):
    id: str
    status: str
    queue: str
    policy: str
    priority: float
    sla_due_at: datetime
    sla_breached: bool
    report_count: int
    detection_count: int
    live: bool
    reach: int
    language: str
    tier: int
    subject: dict[str, object]
    version: int
    claimed_by: str | None
    lease_expires_at: datetime | None


def item_out(item: ReviewItem) -> dict[str, object]:
    return {
        "id": str(item.id),
        "status": item.status,
        "queue": item.queue.slug,
        "policy": item.policy.code,
        "priority": item.priority,
        "sla_due_at": item.sla_due_at,
        "sla_breached": item.sla_breached,
        "report_count": item.report_count,
        "detection_count": item.detection_count,
        "live": item.live,
        "reach": item.reach,
        "language": item.language,
        "tier": item.tier,
        "subject": {"kind": item.subject.kind, "id": item.subject.external_id},
        "version": item.version,
        "claimed_by": item.claimed_by.get_username() if item.claimed_by else None,
        "lease_expires_at": item.lease_expires_at,
    }


class ClaimOut(Schema):
    review_item: ItemOut
    lease_expires_at: datetime


class ActionIn(Schema):
    type: str = Field(min_length=1, max_length=30)
    duration_seconds: int | None = Field(default=None, gt=0, le=10 * 365 * 86400)


class DecisionIn(Schema):
    violation: bool
    version: int = Field(ge=1)
    policy: str | None = Field(default=None, max_length=50)
    action: ActionIn | None = None
    note: str = Field(default="", max_length=5000)


class ActionOut(Schema):
    id: str
    type: str
    status: str
    duration_seconds: int | None
    ends_at: datetime | None
    target: dict[str, str]


class DecisionOut(Schema):
    decision_id: str
    actions: list[ActionOut]


class EscalateIn(Schema):
    queue: str = Field(min_length=1, max_length=50)
    reason: str = Field(default="", max_length=2000)


class NoteIn(Schema):
    reason: str = Field(default="", max_length=2000)


def _claim_out(result: services.ClaimResult) -> dict[str, object]:
    return {"review_item": item_out(result.item), "lease_expires_at": result.lease_expires_at}


@router.post("/queues/{queue}/claim", response={200: ClaimOut, 204: None, 403: ErrorOut, 404: ErrorOut})
def claim(request: HttpRequest, queue: str):  # type: ignore[no-untyped-def]
    """The highest-priority item in the queue that the token's user is eligible for, with a lease; 204 if none."""
    result = services.claim(staff_of(request), queue)
    if result is None:
        empty = HttpResponse(status=204)
        del empty["Content-Type"]  # no body, so no type
        return empty
    return _claim_out(result)


@router.get("/review-items/{item_id}", response={200: ItemOut, 404: ErrorOut})
def read_item(request: HttpRequest, item_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return item_out(get_item(staff_of(request), item_id))


@router.post("/review-items/{item_id}/lease", response={200: ClaimOut, 409: ErrorOut})
def renew_lease(request: HttpRequest, item_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Renew the lease on an item you hold."""
    return _claim_out(services.renew(staff_of(request), item_id))


@router.post("/review-items/{item_id}/release", response={200: ItemOut, 409: ErrorOut})
def release(request: HttpRequest, item_id: uuid.UUID, payload: NoteIn | None = None):  # type: ignore[no-untyped-def]
    return item_out(services.release(staff_of(request), item_id, payload.reason if payload else ""))


@router.post("/review-items/{item_id}/skip", response={200: ItemOut, 409: ErrorOut})
def skip(request: HttpRequest, item_id: uuid.UUID, payload: NoteIn | None = None):  # type: ignore[no-untyped-def]
    """Release the item and never be offered it again."""
    return item_out(services.skip(staff_of(request), item_id, payload.reason if payload else ""))


@router.post("/review-items/{item_id}/escalate", response={200: ItemOut, 409: ErrorOut, 422: ErrorOut})
def escalate(request: HttpRequest, item_id: uuid.UUID, payload: EscalateIn):  # type: ignore[no-untyped-def]
    """Move the item to another queue (child safety, legal, policy, partnerships, ...)."""
    return item_out(services.escalate(staff_of(request), item_id, payload.queue, payload.reason))


@router.post(
    "/review-items/{item_id}/decision", response={200: DecisionOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut}
)
def decide(request: HttpRequest, item_id: uuid.UUID, payload: DecisionIn):  # type: ignore[no-untyped-def]
    """Decide the item. A stale ``version`` is refused with 409. Without ``action``, the ladder suggests one."""
    data = services.DecisionInput(
        violation=payload.violation,
        version=payload.version,
        policy_code=payload.policy,
        action_type=payload.action.type if payload.action else None,
        duration_seconds=payload.action.duration_seconds if payload.action else None,
        note=payload.note,
    )
    result = services.decide(staff_of(request), item_id, data)
    return {
        "decision_id": str(result.decision.id),
        "actions": [
            {
                "id": str(a.id),
                "type": a.type,
                "status": a.status,
                "duration_seconds": a.duration_seconds,
                "ends_at": a.ends_at,
                "target": {"kind": a.subject.kind, "id": a.subject.external_id},
            }
            for a in result.actions
        ],
    }
