"""Errors raised by the media library.

Every failure to read or hash media surfaces as a :class:`MediaError` subclass with a
human-readable ``reason``, so callers can record why a file was not matched without
catching library-specific exceptions.
"""

from __future__ import annotations


class MediaError(Exception):
    """Base class for media that could not be processed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EmptyMediaError(MediaError):
    """The input had zero bytes."""


class MediaTooLargeError(MediaError):
    """The input is larger than the configured byte limit."""


class DecompressionBombError(MediaError):
    """The image declares more pixels than the configured limit."""


class UnsupportedMediaError(MediaError):
    """The bytes are not a recognised image or video format."""


class CorruptMediaError(MediaError):
    """The bytes look like a known format but are truncated or damaged."""


class HashingError(MediaError):
    """The decoder accepted the file but the hasher could not produce a hash."""
