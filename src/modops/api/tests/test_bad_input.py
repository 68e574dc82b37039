"""Every outside input is hostile: bad input gets a 4xx naming the field, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modops.accounts.models import ApiToken
from modops.accounts.services import revoke_token
from modops.intake.models import Detection, Report
from modops.review.models import ReviewItem
from modops.testing.factories import detection_body, report_body, token_for


def _fields(response: Any) -> list[str]:
    """The dotted field names a 422 response blames."""
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    return [".".join(str(part) for part in entry["loc"][1:]) for entry in detail]


def _assert_nothing_stored() -> None:
    assert Report.objects.count() == 0
    assert Detection.objects.count() == 0
    assert ReviewItem.objects.count() == 0


@pytest.mark.parametrize("path", ["/reports", "/detections"])
@pytest.mark.parametrize("raw", [b"{", b"not json", b'{"subject": ', b"\xff\xfe", b'{"a": 1}}'])
def test_malformed_json_is_400(intake_api, path, raw):
    response = intake_api.post(path, raw=raw)
    assert response.status_code == 400, response.content
    assert "detail" in response.json()
    _assert_nothing_stored()


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    node = body
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return body


def _with(body: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


REPORT_SCHEMA_ERRORS = [
    (_without(report_body(), "subject", "kind"), "subject.kind"),
    (_without(report_body(), "subject", "id"), "subject.id"),
    (_without(report_body(), "subject"), "subject"),
    (_without(report_body(), "policy"), "policy"),
    (_without(report_body(), "reporter_id"), "reporter_id"),
    (_with(report_body(), -1, "subject", "viewers"), "subject.viewers"),
    (_with(report_body(), "many", "subject", "viewers"), "subject.viewers"),
    (_with(report_body(), "", "subject", "id"), "subject.id"),
    (_with(report_body(), "   ", "subject", "id"), "subject.id"),
    (_with(report_body(), "planet", "subject", "kind"), "subject.kind"),
    (_with(report_body(), 1.5, "reporter_trust"), "reporter_trust"),
    (_with(report_body(), "english please", "language"), "language"),
    (_with(report_body(), "yesterday", "subject", "started_at"), "subject.started_at"),
    (_with(report_body(), 3_000_000_000, "subject", "followers"), "subject.followers"),
    (_with(report_body(), "x" * 10_001, "text"), "text"),
    (_with(report_body(), ["stream"], "subject"), "subject.kind"),
]


@pytest.mark.parametrize(("body", "field"), REPORT_SCHEMA_ERRORS, ids=[f for _, f in REPORT_SCHEMA_ERRORS])
def test_report_schema_errors_are_422_naming_the_field(intake_api, body, field):
    response = intake_api.post("/reports", body)
    assert response.status_code == 422, response.content
    assert field in _fields(response)
    _assert_nothing_stored()


DETECTION_SCHEMA_ERRORS = [
    (_with(detection_body(), 1.5, "score"), "score"),
    (_with(detection_body(), -0.1, "score"), "score"),
    (_without(detection_body(), "score"), "score"),
    (_with(detection_body(), "Robot Overlord!", "source"), "source"),
    (_without(detection_body(), "subject", "kind"), "subject.kind"),
    (_with(detection_body(), -1, "subject", "viewers"), "subject.viewers"),
]


@pytest.mark.parametrize(("body", "field"), DETECTION_SCHEMA_ERRORS, ids=[f for _, f in DETECTION_SCHEMA_ERRORS])
def test_detection_schema_errors_are_422_naming_the_field(intake_api, body, field):
    response = intake_api.post("/detections", body)
    assert response.status_code == 422, response.content
    assert field in _fields(response)
    _assert_nothing_stored()


@pytest.mark.parametrize("path", ["/reports", "/detections"])
def test_unknown_policy_is_422_naming_policy(intake_api, path):
    body = report_body(policy="jaywalking") if path == "/reports" else detection_body(policy="jaywalking")
    response = intake_api.post(path, body)
    assert response.status_code == 422, response.content
    assert _fields(response) == ["policy"]
    _assert_nothing_stored()


def test_nul_characters_are_refused_not_crashed_on(intake_api):
    # PostgreSQL cannot store NUL in text or JSON; it must be a 422, not a database error.
    response = intake_api.post("/reports", _with(report_body(), "slurs\x00", "text"))
    assert response.status_code == 422, response.content
    assert "text" in _fields(response)
    response = intake_api.post("/reports", _with(report_body(), "acc\x0055", "reporter_id"))
    assert response.status_code == 422, response.content
    _assert_nothing_stored()


@pytest.mark.parametrize("path", ["/reports", "/detections"])
def test_body_over_256_kb_is_413(intake_api, path, settings):
    body = report_body() if path == "/reports" else detection_body()
    body["padding"] = "x" * (256 * 1024)
    response = intake_api.post(path, body)
    assert response.status_code == 413, response.content
    _assert_nothing_stored()


def test_body_just_under_the_limit_is_read(intake_api):
    body = report_body()
    body["padding"] = "x" * (200 * 1024)  # an unknown key is ignored, the size is fine
    assert intake_api.post("/reports", body).status_code == 202


def _post(headers: dict[str, str], path: str = "/api/v1/reports", body: Any = None) -> Any:
    return Client().post(path, data=json.dumps(body or report_body()), content_type="application/json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer"},
        {"HTTP_AUTHORIZATION": "Bearer mo_not-a-real-token"},
        {"HTTP_AUTHORIZATION": "Bearer " + "x" * 5000},
        {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"},
        {"HTTP_AUTHORIZATION": "mo_token-without-scheme"},
    ],
    ids=["none", "empty", "unknown", "huge", "basic", "no-scheme"],
)
def test_no_or_bad_token_is_401(headers):
    assert _post(headers).status_code == 401
    _assert_nothing_stored()


@pytest.mark.django_db
def test_revoked_token_is_401():
    secret = token_for(["intake"])
    revoke_token(ApiToken.objects.get())
    assert _post({"HTTP_AUTHORIZATION": f"Bearer {secret}"}).status_code == 401


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/reports", "post"),
        ("/api/v1/detections", "post"),
    ],
)
def test_wrong_scope_is_403(moderator_api, path, method):
    response = moderator_api.client.post(
        path, data=json.dumps(report_body()), content_type="application/json", **moderator_api._headers(None)
    )
    assert response.status_code == 403
    assert "intake" in response.json()["detail"]
    _assert_nothing_stored()


def test_intake_token_cannot_claim_or_decide(intake_api):
    assert intake_api.post("/queues/live/claim").status_code == 403
    assert intake_api.get("/review-items/00000000-0000-0000-0000-000000000000").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/review-items/not-a-uuid",
        "/review-items/00000000-0000-0000-0000-000000000000",
    ],
)
def test_bad_or_unknown_item_ids_are_4xx(moderator_api, path):
    response = moderator_api.get(path)
    assert response.status_code in {404, 422}, response.content


def test_standing_of_unknown_kind_is_422(intake_api):
    assert intake_api.get("/subjects/planet/p1").status_code == 422
    assert intake_api.get("/subjects/account/nobody").status_code == 404


@pytest.mark.django_db
def test_healthz_answers_200_without_a_token():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# Junk bodies: whatever arrives, the answer is a 4xx or a 202, and every 202 is on record.

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
_subject = st.fixed_dictionaries(
    {"kind": st.sampled_from(["stream", "chat_message", "account", "clip", "x"]) | _scalars},
    optional={
        "id": st.text(max_size=20) | _scalars,
        "live": _scalars,
        "viewers": st.integers() | _scalars,
        "followers": st.integers() | _scalars,
        "account_id": st.text(max_size=20) | _scalars,
        "stream_id": st.text(max_size=20) | _scalars,
        "channel_id": st.text(max_size=20) | _scalars,
        "text": st.text(max_size=40),
        "language": st.text(max_size=8),
        "started_at": st.text(max_size=30) | st.datetimes().map(str),
    },
)
_near_valid = st.fixed_dictionaries(
    {"subject": _subject | _json},
    optional={
        "policy": st.sampled_from(["hateful_conduct", "harassment", "nope", ""]) | _scalars,
        "reporter_id": st.text(max_size=20) | _scalars,
        "text": st.text(max_size=40) | _scalars,
        "language": st.text(max_size=8) | _scalars,
        "source": st.sampled_from(["automod", "classifier:x", "user", "trusted_flagger"]) | _scalars,
        "score": st.floats() | _scalars,
        "reporter_trust": st.floats() | _scalars,
        "label": _scalars,
    },
)


def _accepted_are_stored(path: str, response: Any) -> None:
    if response.status_code != 202:
        return
    body = response.json()
    if path == "/reports":
        assert Report.objects.filter(pk=body["report_id"]).exists()
        assert ReviewItem.objects.filter(pk=body["review_item_id"]).exists()
    else:
        assert Detection.objects.filter(pk=body["detection_id"]).exists()


@pytest.mark.parametrize("path", ["/reports", "/detections"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_near_valid | _json)
def test_junk_bodies_never_500(intake_api, path, body):
    response = intake_api.post(path, body)
    assert response.status_code < 500, (body, response.content)
    assert response.status_code in {202, 400, 413, 422}, (body, response.content)
    _accepted_are_stored(path, response)


@pytest.mark.parametrize("path", ["/reports", "/detections"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_junk_bytes_never_500(intake_api, path, raw):
    response = intake_api.post(path, raw=raw)
    assert response.status_code < 500, (raw, response.content)
