"""The evidence key: from ``MODOPS_EVIDENCE_KEY``; refused missing in production."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from modops.media.evidence import EvidenceCipher, EvidenceKeyError, parse_key

log = logging.getLogger(__name__)
_warned = False


def _development_key() -> bytes:
    # Derived from SECRET_KEY so a development database stays readable across restarts.
    return hashlib.sha256(b"modops-development-evidence-key\x00" + settings.SECRET_KEY.encode()).digest()


def check_configured() -> None:
    """Raise ``ImproperlyConfigured`` when the key is malformed, or missing outside DEBUG."""
    value = settings.MODOPS_EVIDENCE_KEY
    if value:
        try:
            parse_key(value)
        except EvidenceKeyError as exc:
            raise ImproperlyConfigured(f"MODOPS_EVIDENCE_KEY: {exc}") from None
    elif not settings.DEBUG:
        raise ImproperlyConfigured("MODOPS_EVIDENCE_KEY must be set when MODOPS_DEBUG is off")


def evidence_cipher() -> EvidenceCipher:
    global _warned
    check_configured()
    value = settings.MODOPS_EVIDENCE_KEY
    if value:
        return EvidenceCipher(parse_key(value))
    if not _warned:
        log.warning("MODOPS_EVIDENCE_KEY is not set: evidence is sealed with a development key (DEBUG only)")
        _warned = True
    return EvidenceCipher(_development_key())
