from __future__ import annotations

import base64
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modops.media.evidence import (
    EvidenceCipher,
    EvidenceIntegrityError,
    EvidenceKeyError,
    generate_key,
    parse_key,
)

KEY = bytes(range(32))


@given(data=st.binary(max_size=2048), aad=st.binary(max_size=64))
def test_sealed_data_opens_to_the_original(data: bytes, aad: bytes) -> None:
    cipher = EvidenceCipher(KEY)
    blob = cipher.seal(data, aad)
    assert len(data) < 16 or data not in blob
    assert cipher.open(blob, aad) == data


def test_wrong_key_is_named_as_such() -> None:
    blob = EvidenceCipher(KEY).seal(b"evidence", b"item-1")
    with pytest.raises(EvidenceKeyError, match="different key"):
        EvidenceCipher(os.urandom(32)).open(blob, b"item-1")


def test_tampering_or_other_aad_fails_authentication() -> None:
    cipher = EvidenceCipher(KEY)
    blob = bytearray(cipher.seal(b"evidence", b"item-1"))
    with pytest.raises(EvidenceIntegrityError, match="associated data"):
        cipher.open(bytes(blob), b"item-2")
    blob[-1] ^= 1
    with pytest.raises(EvidenceIntegrityError, match="altered"):
        cipher.open(bytes(blob), b"item-1")
    with pytest.raises(EvidenceIntegrityError, match="not a sealed"):
        cipher.open(b"plain bytes", b"")


def test_key_from_environment() -> None:
    value = generate_key()
    cipher = EvidenceCipher.from_env("EVIDENCE_KEY", {"EVIDENCE_KEY": value})
    assert cipher.open(cipher.seal(b"x")) == b"x"
    urlsafe = base64.urlsafe_b64encode(KEY).decode().rstrip("=")
    assert parse_key(urlsafe) == KEY
    with pytest.raises(EvidenceKeyError, match="not set"):
        EvidenceCipher.from_env("EVIDENCE_KEY", {})
    with pytest.raises(EvidenceKeyError, match="32 bytes, got 16"):
        parse_key(base64.b64encode(b"k" * 16).decode())
    with pytest.raises(EvidenceKeyError, match="base64"):
        parse_key("not base64 at all!")
    assert "fingerprint" in repr(cipher) and value not in repr(cipher)
