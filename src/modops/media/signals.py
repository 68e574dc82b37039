"""The hash signal types modops matches on, named as threatexchange names them."""

from __future__ import annotations

import enum
import re

from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.sha256 import VideoSHA256Signal

_MD5 = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class SignalType(enum.StrEnum):
    """Stored values are threatexchange's ``SignalType.get_name()`` strings."""

    PDQ = "pdq"
    MD5 = "md5"
    SHA256 = "sha256"
    VIDEO_MD5 = "video_md5"
    VIDEO_SHA256 = "video_sha256"
    VPDQ = "vpdq"

    @property
    def is_exact(self) -> bool:
        return self not in (SignalType.PDQ, SignalType.VPDQ)


def validate_signal(signal_type: SignalType, value: str) -> str:
    """Return the normalised signal string, or raise ``ValueError`` saying why not."""
    text = value.strip().lower() if signal_type is not SignalType.VPDQ else value.strip()
    if signal_type is SignalType.PDQ:
        return PdqSignal.validate_signal_str(text)
    if signal_type is SignalType.VIDEO_MD5:
        return VideoMD5Signal.validate_signal_str(text)
    if signal_type is SignalType.VIDEO_SHA256:
        return VideoSHA256Signal.validate_signal_str(text)
    if signal_type is SignalType.MD5:
        if not _MD5.match(text):
            raise ValueError(f"{value!r} is not a valid MD5 hash")
        return text
    if signal_type is SignalType.SHA256:
        if not _SHA256.match(text):
            raise ValueError(f"{value!r} is not a valid SHA-256 hash")
        return text
    from threatexchange.extensions.vpdq.vpdq import VPDQSignal

    return VPDQSignal.validate_signal_str(text)


def parse_signal_type(name: str) -> SignalType:
    try:
        return SignalType(name.strip().lower())
    except ValueError:
        known = ", ".join(t.value for t in SignalType)
        raise ValueError(f"unknown signal type {name!r} (known: {known})") from None
