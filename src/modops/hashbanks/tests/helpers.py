"""Helpers for hash bank tests: images, uploads, and a bank of random PDQ hashes."""

from __future__ import annotations

import json
import random
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from modops.media.tests.imaging import encode, structured_image


def image_bytes(seed: int, fmt: str = "PNG", **options: Any) -> bytes:
    return encode(structured_image(seed), fmt, **options)


def random_pdq(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def upload(token: str, data: bytes, subject: dict[str, Any] | str | None = None, name: str = "upload.png") -> Any:
    subject = subject if subject is not None else {"kind": "image", "id": "img_1", "account_id": "acc_1"}
    body = {
        "file": SimpleUploadedFile(name, data, content_type="application/octet-stream"),
        "subject": subject if isinstance(subject, str) else json.dumps(subject),
    }
    return Client().post("/api/v1/media", body, HTTP_AUTHORIZATION=f"Bearer {token}")
