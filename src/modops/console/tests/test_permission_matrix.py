"""Every console page and API endpoint × every role: allowed works, not allowed is 403 with nothing changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from modops.accounts.permissions import ROLE_PERMISSIONS, Perm, Role
from modops.audit.models import Event
from modops.console.tests.helpers import ROLES, image_on, report, staff
from modops.review.models import Decision, ReviewItem
from modops.review.services import claim
from modops.testing.factories import token_for

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # {item}, {media}, {account} are filled in
    needs: frozenset[Perm]  # any one of them; empty: every signed-in staff member
    api: bool = False
    hold: bool = False  # the caller must hold a claim on the item first (when allowed to claim)
    body: dict[str, object] | None = None


ANY = frozenset[Perm]()
CLAIM_OR_VIEW = frozenset({Perm.REVIEW_CLAIM, Perm.REVIEW_VIEW_ALL})

CASES = [
    Case("my queues", "GET", "/console/", CLAIM_OR_VIEW),
    Case("queue table", "GET", "/console/queues/table/", CLAIM_OR_VIEW),
    Case("claim next", "POST", "/console/claim/", frozenset({Perm.REVIEW_CLAIM})),
    Case("review page", "GET", "/console/review/{item}/", CLAIM_OR_VIEW),
    Case(
        "decide",
        "POST",
        "/console/review/{item}/decide/",
        frozenset({Perm.REVIEW_DECIDE}),
        hold=True,
        body={"version": "{version}", "violation": "no", "policy": "harassment"},
    ),
    Case("skip", "POST", "/console/review/{item}/skip/", frozenset({Perm.REVIEW_CLAIM}), hold=True),
    Case(
        "escalate",
        "POST",
        "/console/review/{item}/escalate/",
        frozenset({Perm.REVIEW_ESCALATE}),
        hold=True,
        body={"queue": "policy", "reason": "r"},
    ),
    Case("note", "POST", "/console/review/{item}/note/", frozenset({Perm.REVIEW_DECIDE}), body={"note": "n"}),
    Case("renew lease", "POST", "/console/review/{item}/lease/", frozenset({Perm.REVIEW_CLAIM}), hold=True),
    Case("lookup", "GET", "/console/lookup/?q={account}", frozenset({Perm.SUBJECTS_VIEW})),
    Case("subject page", "GET", "/console/subjects/account/{account}/", frozenset({Perm.SUBJECTS_VIEW})),
    Case("media", "GET", "/console/media/{media}/", frozenset({Perm.MEDIA_REVEAL})),
    Case("reveal media", "POST", "/console/media/{media}/reveal/", frozenset({Perm.MEDIA_REVEAL})),
    Case("team exposure", "GET", "/console/team/", frozenset({Perm.TEAM_VIEW})),
    Case("preferences", "GET", "/console/preferences/", ANY),
    Case("api claim", "POST", "/api/v1/queues/general/claim", frozenset({Perm.REVIEW_CLAIM}), api=True),
    Case("api read item", "GET", "/api/v1/review-items/{item}", CLAIM_OR_VIEW, api=True),
    Case("api lease", "POST", "/api/v1/review-items/{item}/lease", frozenset({Perm.REVIEW_CLAIM}), api=True, hold=True),
    Case(
        "api release",
        "POST",
        "/api/v1/review-items/{item}/release",
        frozenset({Perm.REVIEW_CLAIM}),
        api=True,
        hold=True,
    ),
    Case("api skip", "POST", "/api/v1/review-items/{item}/skip", frozenset({Perm.REVIEW_CLAIM}), api=True, hold=True),
    Case(
        "api escalate",
        "POST",
        "/api/v1/review-items/{item}/escalate",
        frozenset({Perm.REVIEW_ESCALATE}),
        api=True,
        hold=True,
        body={"queue": "policy", "reason": "r"},
    ),
    Case(
        "api decide",
        "POST",
        "/api/v1/review-items/{item}/decision",
        frozenset({Perm.REVIEW_DECIDE}),
        api=True,
        hold=True,
        body={"violation": False, "version": "{version}"},
    ),
    Case("api standing", "GET", "/api/v1/subjects/account/{account}", frozenset({Perm.SUBJECTS_VIEW}), api=True),
    Case("api events", "GET", "/api/v1/events?subject=account:{account}", frozenset({Perm.EVENTS_VIEW}), api=True),
]


def _allowed(case: Case, role: Role) -> bool:
    return not case.needs or bool(case.needs & ROLE_PERMISSIONS[role])


def _fill(value: object, names: dict[str, str]) -> object:
    if isinstance(value, str):
        out = value.format(**names)
        return int(out) if value == "{version}" else out
    return value


def _caller(case: Case, username: str) -> Callable[[str, dict[str, object] | None], object]:
    user = staff(username).user
    client = Client()
    if case.api:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(['moderation'], user)}"}

        def call(path: str, body: dict[str, object] | None) -> object:
            if case.method == "GET":
                return client.get(path, **headers)
            return client.post(path, json.dumps(body or {}), content_type="application/json", **headers)

        return call
    client.force_login(user)

    def send(path: str, body: dict[str, object] | None) -> object:
        return client.get(path) if case.method == "GET" else client.post(path, body or {})

    return send


def _state() -> tuple[int, int, list[tuple[str, str, int]]]:
    items = [(str(i.pk), i.status, i.version) for i in ReviewItem.objects.order_by("pk")]
    # Refusals are audited (access_denied events); they change nothing else.
    changes = Event.objects.exclude(verb__endswith=".access_denied").count()
    return changes, Decision.objects.count(), items


@pytest.mark.parametrize("username", list(ROLES))
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_permission_matrix(case: Case, username: str) -> None:
    role = ROLES[username][0]
    item = report("m_matrix", account_id="acc_matrix")
    media = image_on(item, tier=1)
    call = _caller(case, username)
    allowed = _allowed(case, role)
    if case.hold and allowed and Perm.REVIEW_CLAIM in ROLE_PERMISSIONS[role]:
        from django.contrib.auth.models import User

        assert claim(User.objects.get(username=username), "general") is not None
        item.refresh_from_db()
    names = {"item": str(item.id), "media": str(media.id), "account": "acc_matrix", "version": str(item.version)}
    path = str(_fill(case.path, names))
    body = {k: _fill(v, names) for k, v in (case.body or {}).items()} if case.body else None
    before = _state()
    response = call(path, body)
    status = response.status_code  # type: ignore[attr-defined]
    if allowed:
        assert status in {200, 204, 302}, (status, getattr(response, "content", b"")[:300])
        if status == 302:
            assert "sign-in" not in response["Location"]  # type: ignore[index]
    else:
        assert status == 403, (status, getattr(response, "content", b"")[:300])
        assert _state() == before


def test_a_tier1_moderator_is_refused_a_tier3_item_everywhere() -> None:
    item = report("img_3", policy="youth_safety", kind="image")
    media = image_on(item)
    user = staff("moderator").user
    client = Client()
    client.force_login(user)
    before = _state()
    assert client.get(f"/console/review/{item.id}/").status_code == 403
    assert client.get(f"/console/media/{media.id}/").status_code == 403
    assert client.post(f"/console/media/{media.id}/reveal/").status_code == 403
    api = {"HTTP_AUTHORIZATION": f"Bearer {token_for(['moderation'], user)}"}
    assert client.get(f"/api/v1/review-items/{item.id}", **api).status_code == 403
    assert client.post("/api/v1/queues/child-safety/claim", **api).status_code == 403
    assert _state() == before
    refusals = Event.objects.filter(verb="review_item.access_denied", review_item_id=item.id)
    assert refusals.count() == 2  # the console page and the API read
