"""Idempotency-Key: a repeat returns the first response and creates nothing new."""

from __future__ import annotations

import pytest

from modops.audit.models import Event
from modops.conftest import Api
from modops.intake.models import Detection, Report
from modops.review.models import ReviewItem
from modops.testing.factories import detection_body, report_body, token_for


def _counts() -> tuple[int, int, int, int]:
    return Report.objects.count(), Detection.objects.count(), ReviewItem.objects.count(), Event.objects.count()


@pytest.mark.parametrize(("path", "body"), [("/reports", report_body()), ("/detections", detection_body())])
def test_a_repeat_returns_the_first_response_and_creates_nothing(intake_api, path, body):
    first = intake_api.post(path, body, headers={"HTTP_IDEMPOTENCY_KEY": "k-1"})
    assert first.status_code == 202, first.content
    before = _counts()
    for _ in range(3):
        again = intake_api.post(path, body, headers={"HTTP_IDEMPOTENCY_KEY": "k-1"})
        assert again.status_code == 202
        assert again.json() == first.json()
    assert _counts() == before


def test_the_same_body_with_keys_reordered_is_still_a_repeat(intake_api):
    body = report_body()
    first = intake_api.post("/reports", body, headers={"HTTP_IDEMPOTENCY_KEY": "k-order"})
    reordered = dict(reversed(list(body.items())))
    again = intake_api.post("/reports", reordered, headers={"HTTP_IDEMPOTENCY_KEY": "k-order"})
    assert again.json() == first.json()
    assert Report.objects.count() == 1


def test_same_key_with_a_different_body_is_422(intake_api):
    assert intake_api.post("/reports", report_body(), headers={"HTTP_IDEMPOTENCY_KEY": "k-2"}).status_code == 202
    before = _counts()
    other = intake_api.post("/reports", report_body(reporter="acc_66"), headers={"HTTP_IDEMPOTENCY_KEY": "k-2"})
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]
    assert _counts() == before


def test_without_a_key_every_request_counts(intake_api):
    ids = {intake_api.post("/reports", report_body()).json()["report_id"] for _ in range(3)}
    assert len(ids) == 3


def test_different_tokens_have_separate_key_spaces(intake_api):
    other = Api(token_for(["intake"], name="other-platform"))
    first = intake_api.post("/reports", report_body(), headers={"HTTP_IDEMPOTENCY_KEY": "shared"})
    second = other.post("/reports", report_body(reporter="acc_77"), headers={"HTTP_IDEMPOTENCY_KEY": "shared"})
    assert second.status_code == 202, second.content
    assert second.json()["report_id"] != first.json()["report_id"]
    assert Report.objects.count() == 2


def test_reports_and_detections_have_separate_key_spaces(intake_api):
    r = intake_api.post("/reports", report_body(), headers={"HTTP_IDEMPOTENCY_KEY": "both"})
    d = intake_api.post("/detections", detection_body(), headers={"HTTP_IDEMPOTENCY_KEY": "both"})
    assert r.status_code == d.status_code == 202
    assert Report.objects.count() == Detection.objects.count() == 1


def test_a_refused_request_does_not_burn_the_key(intake_api):
    bad = report_body(policy="jaywalking")
    assert intake_api.post("/reports", bad, headers={"HTTP_IDEMPOTENCY_KEY": "k-3"}).status_code == 422
    good = intake_api.post("/reports", report_body(), headers={"HTTP_IDEMPOTENCY_KEY": "k-3"})
    assert good.status_code == 202, good.content
    assert Report.objects.filter(pk=good.json()["report_id"]).exists()


def test_an_overlong_key_is_422_naming_the_header(intake_api):
    response = intake_api.post("/reports", report_body(), headers={"HTTP_IDEMPOTENCY_KEY": "k" * 201})
    assert response.status_code == 422
    assert Report.objects.count() == 0
