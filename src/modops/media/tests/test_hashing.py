from __future__ import annotations

import struct

import pytest
from PIL import Image
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes
from threatexchange.signal_type.pdq.signal import PdqSignal

from modops.media import (
    CorruptMediaError,
    DecompressionBombError,
    EmptyMediaError,
    MediaLimits,
    MediaTooLargeError,
    UnsupportedMediaError,
    hash_image,
    hash_video,
)
from modops.media.containers import VideoContainer, check_complete, sniff_video

from .imaging import animated_gif, encode, structured_image


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [("PNG", "RGB"), ("JPEG", "RGB"), ("PNG", "L"), ("PNG", "RGBA"), ("WEBP", "RGB"), ("PNG", "LA"), ("GIF", "P")],
)
def test_pdq_equals_threatexchange_hashing_of_the_same_file(fmt: str, mode: str) -> None:
    data = encode(structured_image(7).convert(mode), fmt)
    hashes = hash_image(data)
    assert (hashes.pdq, hashes.pdq_quality) == pdq_from_bytes(data)
    assert hashes.pdq == PdqSignal.hash_from_bytes(data)


def test_image_digests_are_of_the_exact_bytes() -> None:
    import hashlib

    data = encode(structured_image(3))
    hashes = hash_image(data)
    assert hashes.md5 == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert hashes.sha256 == hashlib.sha256(data).hexdigest()
    assert (hashes.width, hashes.height) == (400, 300)


def test_flat_colour_has_low_quality() -> None:
    data = encode(Image.new("RGB", (200, 200), (120, 30, 200)))
    assert hash_image(data).pdq_quality < 50


def test_empty_input_is_refused() -> None:
    with pytest.raises(EmptyMediaError, match="empty"):
        hash_image(b"")


def test_bytes_that_are_not_an_image_are_refused() -> None:
    with pytest.raises(UnsupportedMediaError):
        hash_image(b"%PDF-1.4 definitely not a picture" * 20)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_image_is_refused_not_hashed(fmt: str) -> None:
    data = encode(structured_image(4), fmt)
    with pytest.raises(CorruptMediaError, match="truncated or damaged"):
        hash_image(data[: len(data) // 2])


def test_oversized_input_is_refused_before_decoding() -> None:
    data = encode(structured_image(5))
    with pytest.raises(MediaTooLargeError, match="limit"):
        hash_image(data, MediaLimits(max_image_bytes=len(data) - 1))


def test_decompression_bomb_is_refused_by_declared_size() -> None:
    # 12000 x 12000 of one colour compresses to a few kB but declares 144M pixels.
    bomb = encode(Image.new("L", (12000, 12000)))
    assert len(bomb) < 1_000_000
    with pytest.raises(DecompressionBombError, match="144000000 pixels"):
        hash_image(bomb)


def test_pixel_limit_is_configurable() -> None:
    data = encode(structured_image(6, (100, 100)))
    with pytest.raises(DecompressionBombError):
        hash_image(data, MediaLimits(max_pixels=9_999))
    assert hash_image(data, MediaLimits(max_pixels=10_000)).width == 100


def test_video_hashes_frames_with_threatexchange_vpdq() -> None:
    data = animated_gif(11)
    hashes = hash_video(data)
    assert hashes.container is VideoContainer.GIF
    assert len(hashes.frames) >= 3
    assert all(len(f.pdq) == 64 and f.quality > 49 for f in hashes.frames)
    assert hashes.frames[0].timestamp == 0.0
    from threatexchange.extensions.vpdq.vpdq import VPDQSignal

    VPDQSignal.validate_signal_str(hashes.vpdq)


def test_truncated_video_is_refused_rather_than_partly_hashed() -> None:
    data = animated_gif(12)
    with pytest.raises(CorruptMediaError, match="truncated"):
        hash_video(data[: len(data) // 2])


@pytest.mark.parametrize("data", [b"\x00" * 64, b"hello world, no video here"])
def test_non_video_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedMediaError):
        hash_video(data)


def test_empty_video_is_refused() -> None:
    with pytest.raises(EmptyMediaError):
        hash_video(b"")


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_mp4_box_walk_accepts_complete_and_rejects_cut_files() -> None:
    whole = _box(b"ftyp", b"isom\x00\x00\x02\x00") + _box(b"moov", b"\x00" * 40) + _box(b"mdat", b"\x01" * 100)
    assert sniff_video(whole) is VideoContainer.ISO_BMFF
    check_complete(whole, VideoContainer.ISO_BMFF)
    with pytest.raises(CorruptMediaError, match="truncated"):
        check_complete(whole[:-10], VideoContainer.ISO_BMFF)
    no_moov = _box(b"ftyp", b"isom\x00\x00\x02\x00") + _box(b"mdat", b"\x01" * 100)
    with pytest.raises(CorruptMediaError, match="moov"):
        check_complete(no_moov, VideoContainer.ISO_BMFF)


def test_matroska_segment_cut_short_is_detected() -> None:
    header = b"\x1a\x45\xdf\xa3" + b"\x84" + b"webm"
    segment = b"\x18\x53\x80\x67" + b"\x88" + b"\x00" * 8
    check_complete(header + segment, VideoContainer.MATROSKA)
    with pytest.raises(CorruptMediaError, match="truncated"):
        check_complete(header + segment[:-3], VideoContainer.MATROSKA)


def test_avi_and_ts_lengths_are_checked() -> None:
    avi = b"RIFF" + struct.pack("<I", 20) + b"AVI " + b"\x00" * 16
    check_complete(avi, VideoContainer.AVI)
    with pytest.raises(CorruptMediaError):
        check_complete(avi[:-1], VideoContainer.AVI)
    ts = (b"\x47" + b"\x00" * 187) * 3
    assert sniff_video(ts) is VideoContainer.MPEG_TS
    check_complete(ts, VideoContainer.MPEG_TS)
    with pytest.raises(CorruptMediaError):
        check_complete(ts[:-5], VideoContainer.MPEG_TS)
