"""Matching uploads: routing per bank kind, suppression, ratios, quality floors, bad input, the CLI."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

from modops.audit.models import Event
from modops.hashbanks.models import BankKind
from modops.hashbanks.services import BankSettings, add_hash, configure_bank, create_bank
from modops.hashbanks.tests.helpers import image_bytes, upload
from modops.intake.models import Detection
from modops.media import nudity
from modops.media.tests.imaging import animated_gif, encode
from modops.review.models import ReviewItem
from modops.subjects.models import Subject
from modops.testing.factories import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def token():
    return token_for(["intake"], name="platform")


def _bank(name: str, kind: BankKind = BankKind.LOCAL, seed: int = 7, **settings) -> bytes:
    create_bank(name, BankSettings(kind=kind, **settings), "test")
    data = image_bytes(seed)
    add_hash(name, "pdq", pdq_from_bytes(data)[0], "test")
    return data


def test_a_tvec_match_goes_to_the_violent_extremism_queue(token):
    data = _bank("TVEC", BankKind.TVEC)
    [detection] = upload(token, data).json()["detections"]
    assert ReviewItem.objects.get(pk=detection["review_item_id"]).queue.slug == "violent-extremism"


def test_a_local_bank_match_goes_to_the_banks_own_queue(token):
    data = _bank("local known-bad", policy_code="hateful_conduct", queue_slug="legal")
    [detection] = upload(token, data).json()["detections"]
    item = ReviewItem.objects.get(pk=detection["review_item_id"])
    assert (item.queue.slug, item.policy.code) == ("legal", "hateful_conduct")
    assert Event.objects.filter(verb="review_item.routed", review_item_id=item.id).exists()


def test_exact_md5_matches_count_too(token):
    create_bank("md5 list", BankSettings(), "test")
    data = image_bytes(9)
    add_hash("md5 list", "md5", __import__("hashlib").md5(data).hexdigest(), "test")
    matches = upload(token, data).json()["matches"]
    assert [(m["bank"], m["signal_type"], m["distance"]) for m in matches] == [("md5 list", "md5", 0)]


def test_a_suppression_bank_hit_cancels_the_match(token):
    data = _bank("local known-bad")
    create_bank("false-positive suppression", BankSettings(kind=BankKind.SUPPRESSION), "test")
    add_hash("false-positive suppression", "pdq", pdq_from_bytes(data)[0], "test")
    body = upload(token, data).json()
    assert body["matches"] == [] and body["detections"] == []
    assert [m["bank"] for m in body["suppressed"]] == ["local known-bad"]
    assert not Detection.objects.exists()


def test_a_bank_at_ratio_zero_or_disabled_matches_nothing(token):
    data = _bank("trial")
    configure_bank("trial", "test", enabled_ratio=0.0)
    assert upload(token, data).json()["matches"] == []
    configure_bank("trial", "test", enabled_ratio=1.0)
    assert len(upload(token, data).json()["matches"]) == 1
    configure_bank("trial", "test", enabled=False)
    assert upload(token, data).json()["matches"] == []


def test_low_quality_hashes_are_ignored_by_the_banks_floor(token):
    flat = encode(Image.fromarray(np.full((200, 200, 3), 128, np.uint8)))
    pdq, quality = pdq_from_bytes(flat)
    assert quality <= 49
    create_bank("flat", BankSettings(), "test")
    add_hash("flat", "pdq", pdq, "test")
    assert upload(token, flat).json()["matches"] == []
    configure_bank("flat", "test", quality_floor=-1)
    assert len(upload(token, flat).json()["matches"]) == 1


def test_an_animated_gif_is_hashed_as_video(token):
    body = upload(token, animated_gif(3), name="clip.gif").json()
    assert body["kind"] == "video" and body["hashes"]["vpdq_frames"] > 0


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        (b"", 400, "empty"),
        (b"this is plain text, not a picture", 415, "not a recognised"),
        (image_bytes(3)[:400], 422, "truncated"),
    ],
)
def test_bad_uploads_get_a_4xx_naming_the_reason_and_leave_nothing(token, data, status, reason):
    response = upload(token, data)
    assert response.status_code == status, response.content
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "file"] and reason in error["msg"]
    assert not Subject.objects.exists() and not Detection.objects.exists()


def test_a_decompression_bomb_is_refused(token, settings):
    settings.MODOPS_MEDIA_MAX_PIXELS = 10_000
    response = upload(token, image_bytes(3))
    assert response.status_code == 422 and "pixels" in response.json()["detail"][0]["msg"]


def test_a_file_over_the_configured_size_is_refused(token, settings):
    settings.MODOPS_MEDIA_MAX_IMAGE_BYTES = 1000
    response = upload(token, image_bytes(3))
    assert response.status_code == 413 and "limit is 1000" in response.json()["detail"][0]["msg"]


def test_a_bad_subject_is_a_422_naming_the_field(token):
    response = upload(token, image_bytes(3), {"kind": "planet", "id": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:3] == ["body", "subject", "kind"]
    assert upload(token, image_bytes(3), "{not json").status_code == 422


def test_an_upload_needs_an_intake_token(moderator_api):
    assert upload("mo_nonsense", image_bytes(3)).status_code == 401


def test_the_match_command_prints_one_json_line_per_file(tmp_path):
    data = _bank("local known-bad")
    banked, other, junk = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.txt"
    banked.write_bytes(encode(Image.open(io.BytesIO(data)), "JPEG", quality=80))
    other.write_bytes(image_bytes(300))
    junk.write_bytes(b"nope")
    out = io.StringIO()
    with pytest.raises(SystemExit):  # one file was refused
        call_command("match", str(banked), str(other), str(junk), stdout=out)
    first, second, third = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["file"] == str(banked) and {"pdq", "pdq_quality", "md5", "sha256"} <= set(first["hashes"])
    assert [(m["bank"], m["signal_type"]) for m in first["matches"]] == [("local known-bad", "pdq")]
    assert second["matches"] == [] and "not a recognised" in third["error"]


@pytest.mark.skipif(not nudity.available(), reason="the nudity extra (nudenet) is not installed")
def test_the_nudity_detector_scores_images_as_an_optional_source(token, settings):
    settings.MODOPS_NUDITY_DETECTION = True
    body = upload(token, image_bytes(11)).json()
    assert body["nudity"] is not None and 0.0 <= body["nudity"]["score"] <= 1.0
    detection = Detection.objects.get(pk=body["nudity"]["detection_id"])
    assert (detection.source, detection.policy.code) == ("classifier:nudenet", "sexual_content")


def test_nudity_scores_count_only_exposed_classes():
    score = nudity.score_detections(
        [{"class": "FACE_FEMALE", "score": 0.99}, {"class": "BUTTOCKS_EXPOSED", "score": 0.7}]
    )
    assert (score.score, score.labels) == (0.7, ("BUTTOCKS_EXPOSED",))
    assert nudity.score_detections([{"class": "FEET_COVERED", "score": 0.9}]).score == 0.0
