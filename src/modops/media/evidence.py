"""Encryption at rest for quarantined media and preserved evidence (AES-256-GCM).

A sealed blob is ``magic (4) | key fingerprint (8) | nonce (12) | ciphertext+tag``.
The fingerprint (a SHA-256 prefix of the key, which reveals nothing usable about it)
lets :meth:`EvidenceCipher.open` tell "sealed with another key" apart from "altered";
the associated data (e.g. the evidence id) binds a blob to the record it belongs to,
so a blob copied onto another record does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"MOE1"
KEY_BYTES = 32
_NONCE_BYTES = 12
_FINGERPRINT_BYTES = 8
_HEADER = len(MAGIC) + _FINGERPRINT_BYTES + _NONCE_BYTES
DEFAULT_KEY_ENV = "MODOPS_EVIDENCE_KEY"


class EvidenceError(Exception):
    """Base class for evidence encryption failures."""


class EvidenceKeyError(EvidenceError):
    """The key is missing, malformed, or not the one the blob was sealed with."""


class EvidenceIntegrityError(EvidenceError):
    """The blob is not a sealed blob, or was altered, or the associated data differs."""


def parse_key(value: str) -> bytes:
    """Decode a base64 (standard or URL-safe) AES-256 key."""
    text = value.strip()
    if not text:
        raise EvidenceKeyError("evidence key is empty")
    padded = text + "=" * (-len(text) % 4)
    try:
        key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise EvidenceKeyError("evidence key is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise EvidenceKeyError(f"evidence key must be {KEY_BYTES} bytes, got {len(key)}")
    return key


def generate_key() -> str:
    """A new random key, base64-encoded for an environment variable."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _fingerprint(key: bytes) -> bytes:
    return hashlib.sha256(b"modops-evidence-key\x00" + key).digest()[:_FINGERPRINT_BYTES]


class EvidenceCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise EvidenceKeyError(f"evidence key must be {KEY_BYTES} bytes, got {len(key)}")
        self._aead = AESGCM(key)
        self._fingerprint = _fingerprint(key)

    @classmethod
    def from_env(cls, name: str = DEFAULT_KEY_ENV, environ: Mapping[str, str] | None = None) -> EvidenceCipher:
        env = os.environ if environ is None else environ
        value = env.get(name)
        if value is None:
            raise EvidenceKeyError(f"environment variable {name} is not set")
        return cls(parse_key(value))

    def __repr__(self) -> str:
        return f"EvidenceCipher(fingerprint={self._fingerprint.hex()})"

    def seal(self, data: bytes, aad: bytes = b"") -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return MAGIC + self._fingerprint + nonce + self._aead.encrypt(nonce, data, aad)

    def open(self, blob: bytes, aad: bytes = b"") -> bytes:
        if len(blob) < _HEADER + 16 or not blob.startswith(MAGIC):
            raise EvidenceIntegrityError("not a sealed evidence blob")
        fingerprint = blob[len(MAGIC) : len(MAGIC) + _FINGERPRINT_BYTES]
        if fingerprint != self._fingerprint:
            raise EvidenceKeyError("blob was sealed with a different key")
        nonce = blob[len(MAGIC) + _FINGERPRINT_BYTES : _HEADER]
        try:
            return self._aead.decrypt(nonce, blob[_HEADER:], aad)
        except InvalidTag:
            raise EvidenceIntegrityError(
                "blob failed authentication: altered, or opened with the wrong associated data"
            ) from None
