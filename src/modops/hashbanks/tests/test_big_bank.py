"""Altered copies of banked images are found through the API among 100k random hashes.

The bank is built once for the module (committed, removed at the end) so the per-process index is
built once too; each test runs in its own rolled-back transaction on top of it.
"""

from __future__ import annotations

import io
import random

import pytest
from django.db import transaction
from PIL import Image
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

from modops.hashbanks.models import Bank, BankEntry, BankKind, EntrySource
from modops.hashbanks.services.banks import NewEntry, bump_generation, insert_entries, signal_key
from modops.hashbanks.tests.helpers import image_bytes, random_pdq, upload
from modops.intake.models import Detection
from modops.media.tests.imaging import structured_image
from modops.policies.models import Policy
from modops.review.models import Queue, ReviewItem
from modops.testing.factories import token_for

RANDOM_HASHES = 100_000
BANKED_SEEDS = range(1, 6)
UNRELATED_SEEDS = range(101, 106)
BANK = "local known-bad"


def _encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _alterations(seed: int) -> dict[str, bytes]:
    image = structured_image(seed)
    width, height = image.size
    dx, dy = width // 100, height // 100  # 1% off each side
    return {
        "resized": _encode(image.resize((width // 2, height // 2), Image.Resampling.BILINEAR)),
        "jpeg": _encode(image, "JPEG", quality=70),
        "cropped": _encode(image.crop((dx, dy, width - dx, height - dy))),
    }


@pytest.fixture(scope="module")
def big_bank(django_db_setup, django_db_blocker):
    rng = random.Random(6)
    with django_db_blocker.unblock():
        with transaction.atomic():
            bank = Bank.objects.create(
                name=BANK,
                kind=BankKind.LOCAL,
                policy=Policy.objects.get(code="illegal_activity"),
                queue=Queue.objects.get(slug="general"),
            )
            signals = [pdq_from_bytes(image_bytes(seed))[0] for seed in BANKED_SEEDS]
            signals += [random_pdq(rng) for _ in range(RANDOM_HASHES)]
            insert_entries(bank, [NewEntry("pdq", s, signal_key(s), {}) for s in signals], EntrySource.IMPORT)
            bump_generation()
        yield bank
        with transaction.atomic():
            BankEntry.objects.filter(bank=bank).delete()
            bank.delete()
            bump_generation()


@pytest.fixture
def token(big_bank, db):
    return token_for(["intake"], name="platform")


@pytest.mark.parametrize("seed", BANKED_SEEDS)
def test_resized_reencoded_and_cropped_copies_are_found(token, seed):
    for alteration, data in _alterations(seed).items():
        response = upload(token, data, {"kind": "image", "id": f"img_{seed}_{alteration}", "account_id": "acc_7"})
        assert response.status_code == 200, response.content
        body = response.json()
        banks = {(m["bank"], m["signal_type"]) for m in body["matches"]}
        assert (BANK, "pdq") in banks, (alteration, body)
        assert all(m["distance"] <= 31 for m in body["matches"])
        assert body["hashes"]["pdq"] == pdq_from_bytes(data)[0]  # threatexchange's own hash


def test_unrelated_images_are_not_found(token):
    for seed in UNRELATED_SEEDS:
        for alteration, data in _alterations(seed).items():
            body = upload(token, data, {"kind": "image", "id": f"other_{seed}_{alteration}"}).json()
            assert body["matches"] == [], (seed, alteration, body["matches"])
    assert not Detection.objects.exists()


def test_a_match_is_a_proactive_hash_match_detection_in_the_banks_queue(token):
    body = upload(
        token, image_bytes(2, "JPEG", quality=80), {"kind": "image", "id": "img_x", "account_id": "acc_7"}
    ).json()
    [detection] = body["detections"]
    stored = Detection.objects.get(pk=detection["detection_id"])
    assert (stored.source, stored.policy.code, stored.label) == ("hash_match", "illegal_activity", f"{BANK}:pdq")
    item = ReviewItem.objects.get(pk=detection["review_item_id"])
    assert item.queue.slug == "general" and item.report_count == 0
