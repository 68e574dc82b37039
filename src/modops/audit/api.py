"""Event API: a subject's moderation events."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from modops.api.auth import read_auth
from modops.api.schemas import ErrorOut
from modops.audit.services import events_for_subject
from modops.review.services.errors import Invalid
from modops.subjects.kinds import SUBJECT_KINDS

router = Router(tags=["events"], auth=read_auth)


class EventOut(Schema):
    seq: int
    at: datetime
    actor: str
    verb: str
    subject: str
    review_item_id: str | None
    before: dict[str, object]
    after: dict[str, object]
    reason: str
    hash: str


class EventFilter(Schema):
    subject: str = Field(min_length=3, max_length=220, description="kind:external_id, e.g. stream:st_123")
    limit: int = Field(default=200, ge=1, le=1000)


@router.get("/events", response={200: list[EventOut], 422: ErrorOut})
def list_events(request: HttpRequest, filters: Query[EventFilter]):  # type: ignore[no-untyped-def]
    """The moderation events about one subject, oldest first."""
    kind, sep, external_id = filters.subject.partition(":")
    if not sep or kind not in SUBJECT_KINDS or not external_id:
        raise Invalid("query.subject", "expected kind:external_id with kind one of " + ", ".join(SUBJECT_KINDS))
    return [
        {
            "seq": e.seq,
            "at": e.at,
            "actor": e.actor,
            "verb": e.verb,
            "subject": f"{e.subject_kind}:{e.subject_external_id}",
            "review_item_id": str(e.review_item_id) if e.review_item_id else None,
            "before": e.before,
            "after": e.after,
            "reason": e.reason,
            "hash": e.hash,
        }
        for e in events_for_subject(kind, external_id, filters.limit)
    ]
