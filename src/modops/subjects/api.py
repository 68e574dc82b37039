"""Subject API: a subject's standing."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from modops.api.auth import read_auth
from modops.api.schemas import ErrorOut
from modops.enforcement.models import Action
from modops.enforcement.services import standing
from modops.review.services.errors import NotFound
from modops.subjects.kinds import SubjectKind
from modops.subjects.services import find

router = Router(tags=["subjects"], auth=read_auth)


class ActionBrief(Schema):
    id: str
    type: str
    status: str
    policy: str | None
    duration_seconds: int | None
    starts_at: datetime
    ends_at: datetime | None
    automated: bool


class StrikeBrief(Schema):
    policy: str
    created_at: datetime
    expires_at: datetime


class StandingOut(Schema):
    kind: str
    id: str
    standing: str
    active_actions: list[ActionBrief]
    strikes: list[StrikeBrief]
    history: list[ActionBrief]


def _action(a: Action) -> dict[str, object]:
    return {
        "id": str(a.id),
        "type": a.type,
        "status": a.status,
        "policy": a.policy.code if a.policy else None,
        "duration_seconds": a.duration_seconds,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "automated": a.automated,
    }


@router.get("/subjects/{kind}/{external_id}", response={200: StandingOut, 404: ErrorOut, 422: ErrorOut})
def read_standing(request: HttpRequest, kind: SubjectKind, external_id: str):  # type: ignore[no-untyped-def]
    """The subject's standing: active actions, unexpired strikes and its action history."""
    subject = find(kind.value, external_id)
    if subject is None:
        raise NotFound(f"{kind.value}:{external_id}")
    s = standing(subject)
    return {
        "kind": subject.kind,
        "id": subject.external_id,
        "standing": s.label,
        "active_actions": [_action(a) for a in s.active_actions],
        "strikes": [
            {"policy": k.policy.code, "created_at": k.created_at, "expires_at": k.expires_at} for k in s.strikes
        ],
        "history": [_action(a) for a in s.history],
    }
