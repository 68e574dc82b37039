"""Hash photos and videos with threatexchange's signal types, refusing unsafe input.

PDQ and vPDQ hashes come from python-threatexchange (``pdq_from_bytes`` behind
``PdqSignal`` and ``VPDQSignal``), so hashes are the ones other platforms share; file
digests come from hashlib. Before any decoder runs, input is checked against byte and
pixel limits, and decode failures are turned into :class:`MediaError` subclasses so a
caller never gets a crash or a hash of half a file.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError
from threatexchange.signal_type.pdq import pdq_hasher

from .containers import VideoContainer, check_complete, sniff_video
from .errors import (
    CorruptMediaError,
    DecompressionBombError,
    EmptyMediaError,
    HashingError,
    MediaTooLargeError,
    UnsupportedMediaError,
)

DEFAULT_MAX_IMAGE_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_VIDEO_BYTES = 1024 * 1024 * 1024
DEFAULT_MAX_PIXELS = 64_000_000

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError)


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """Limits applied before decoding: bytes in, and pixels per image or frame."""

    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    max_video_bytes: int = DEFAULT_MAX_VIDEO_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS


DEFAULT_LIMITS = MediaLimits()


@dataclass(frozen=True, slots=True)
class ImageHashes:
    pdq: str
    pdq_quality: int
    md5: str
    sha256: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class VpdqFrame:
    pdq: str
    quality: int
    timestamp: float


@dataclass(frozen=True, slots=True)
class VideoHashes:
    frames: tuple[VpdqFrame, ...]
    vpdq: str
    """threatexchange's serialised form, as stored in banks (signal type ``vpdq``)."""
    md5: str
    sha256: str
    container: VideoContainer


def _check_size(data: bytes, limit: int) -> None:
    if not data:
        raise EmptyMediaError("input is empty (0 bytes)")
    if len(data) > limit:
        raise MediaTooLargeError(f"input is {len(data)} bytes, limit is {limit}")


def _check_pixels(width: int, height: int, limit: int) -> None:
    if width <= 0 or height <= 0:
        raise CorruptMediaError(f"image declares invalid size {width}x{height}")
    if width * height > limit:
        raise DecompressionBombError(f"image declares {width}x{height} = {width * height} pixels, limit is {limit}")


def _decode_checked(data: bytes, limits: MediaLimits) -> tuple[int, int, npt.NDArray[np.uint8]]:
    """Decode ``data`` once, after checking its declared size; return its size and the
    pixel array threatexchange's PDQ hasher takes.

    The array is made by threatexchange's own conversion (what ``pdq_from_bytes`` does
    after its own decode), so hashes stay identical to other platforms' without
    decoding the image a second time.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                _check_pixels(width, height, limits.max_pixels)
                image.load()
                pixels = pdq_hasher._convert_image_to_correct_array_dimension(image)
    except UnidentifiedImageError as exc:
        raise UnsupportedMediaError("bytes are not a recognised image format") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecompressionBombError(f"image rejected by the decoder: {exc}") from exc
    except _DECODE_ERRORS as exc:
        raise CorruptMediaError(f"image is truncated or damaged: {exc}") from exc
    return width, height, pixels


def hash_image(data: bytes, limits: MediaLimits = DEFAULT_LIMITS) -> ImageHashes:
    """PDQ (with quality), MD5 and SHA-256 of a photo.

    Raises a :class:`MediaError` subclass for empty, oversized, unrecognised,
    truncated or decompression-bomb input.
    """
    _check_size(data, limits.max_image_bytes)
    width, height, pixels = _decode_checked(data, limits)
    try:
        pdq, quality = pdq_hasher._pdq_from_numpy_array(pixels)
    except _DECODE_ERRORS as exc:
        raise HashingError(f"PDQ hashing failed: {exc}") from exc
    return ImageHashes(
        pdq=pdq,
        pdq_quality=int(quality),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
    )


def hash_video(
    data: bytes,
    limits: MediaLimits = DEFAULT_LIMITS,
    *,
    seconds_per_hash: float = 1.0,
) -> VideoHashes:
    """vPDQ frame hashes, MD5 and SHA-256 of a video.

    The container is recognised and checked for completeness first, so a truncated file
    is refused rather than hashed partially.
    """
    # Imported here so photo hashing works where the vpdq extension is not installed.
    from threatexchange.extensions.vpdq.vpdq import VPDQSignal
    from threatexchange.extensions.vpdq.vpdq_util import json_to_vpdq

    _check_size(data, limits.max_video_bytes)
    container = sniff_video(data)
    if container is VideoContainer.GIF:
        width = int.from_bytes(data[6:8], "little")
        height = int.from_bytes(data[8:10], "little")
        _check_pixels(width, height, limits.max_pixels)
    check_complete(data, container)
    with tempfile.TemporaryDirectory(prefix="modops-video-") as tmp:
        path = os.path.join(tmp, f"input.{container.value}")
        with open(path, "wb") as handle:
            handle.write(data)
        try:
            serialised = VPDQSignal.hash_from_file(path, seconds_per_hash=seconds_per_hash)  # type: ignore[arg-type]
        except Exception as exc:  # vpdq raises a bare Exception on any decode failure
            raise CorruptMediaError(f"video could not be decoded: {exc}") from exc
    features = json_to_vpdq(serialised)
    if not features:
        raise CorruptMediaError("video has no decodable frames")
    return VideoHashes(
        frames=tuple(VpdqFrame(f.pdq_hex, f.quality, f.timestamp) for f in features),
        vpdq=serialised,
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
        container=container,
    )
