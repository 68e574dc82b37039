"""Recognise video containers and check that the file is whole before decoding.

Video decoders happily hash the frames they can reach in a truncated file, which would
give a partial (and therefore misleading) hash. Each supported container records its
own length in its structure, so a cheap walk of the top-level layout tells a complete
file from a cut one without decoding anything.
"""

from __future__ import annotations

import enum
import io
import struct

from PIL import Image

from .errors import CorruptMediaError, UnsupportedMediaError


class VideoContainer(enum.Enum):
    ISO_BMFF = "mp4"  # MP4, MOV, M4V, 3GP
    MATROSKA = "mkv"  # MKV and WebM
    AVI = "avi"
    GIF = "gif"
    MPEG_TS = "ts"


_BMFF_TOP_LEVEL = {
    b"ftyp",
    b"moov",
    b"mdat",
    b"free",
    b"skip",
    b"wide",
    b"pnot",
    b"uuid",
    b"moof",
    b"mfra",
    b"meta",
    b"styp",
    b"sidx",
    b"pdin",
    b"prft",
    b"emsg",
}
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_MATROSKA_SEGMENT = 0x18538067
_TS_PACKET = 188


def sniff_video(data: bytes) -> VideoContainer:
    """Return the container of ``data`` or raise :class:`UnsupportedMediaError`."""
    if len(data) >= 8 and data[4:8] in _BMFF_TOP_LEVEL:
        return VideoContainer.ISO_BMFF
    if data.startswith(_EBML_MAGIC):
        return VideoContainer.MATROSKA
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"AVI ":
        return VideoContainer.AVI
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return VideoContainer.GIF
    if data[:1] == b"\x47" and (len(data) < 2 * _TS_PACKET or data[_TS_PACKET] == 0x47):
        return VideoContainer.MPEG_TS
    raise UnsupportedMediaError("not a recognised video container")


def check_complete(data: bytes, container: VideoContainer) -> None:
    """Raise :class:`CorruptMediaError` if the container structure is cut short."""
    checks = {
        VideoContainer.ISO_BMFF: _check_bmff,
        VideoContainer.MATROSKA: _check_matroska,
        VideoContainer.AVI: _check_avi,
        VideoContainer.GIF: _check_gif,
        VideoContainer.MPEG_TS: _check_ts,
    }
    checks[container](data)


def _check_bmff(data: bytes) -> None:
    pos, seen = 0, set()
    while pos < len(data):
        if len(data) - pos < 8:
            raise CorruptMediaError(f"MP4 box header cut at byte {pos}")
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if len(data) - pos < 16:
                raise CorruptMediaError(f"MP4 large box header cut at byte {pos}")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = len(data) - pos  # the last box runs to the end of the file
        if size < header:
            raise CorruptMediaError(f"MP4 box {kind!r} at byte {pos} has bad size {size}")
        if pos + size > len(data):
            raise CorruptMediaError(
                f"MP4 box {kind!r} at byte {pos} needs {size} bytes, file has {len(data) - pos}: truncated"
            )
        seen.add(kind)
        pos += size
    if b"moov" not in seen:
        raise CorruptMediaError("MP4 has no 'moov' box: truncated or not finalised")


def _read_vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int, bool]:
    """Read an EBML variable-length integer; return (value, new position, all-ones)."""
    if pos >= len(data):
        raise CorruptMediaError(f"Matroska element cut at byte {pos}")
    first = data[pos]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8:
        raise CorruptMediaError(f"Matroska invalid length marker at byte {pos}")
    if pos + length > len(data):
        raise CorruptMediaError(f"Matroska element cut at byte {pos}")
    value = first if keep_marker else first & (mask - 1)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    all_ones = not keep_marker and value == (1 << (7 * length)) - 1
    return value, pos + length, all_ones


def _check_matroska(data: bytes) -> None:
    pos = 0
    while pos < len(data):
        element_id, pos, _ = _read_vint(data, pos, keep_marker=True)
        size, pos, unknown = _read_vint(data, pos, keep_marker=False)
        if unknown:
            # Live-recorded files leave the segment size open; nothing more to check.
            if element_id != _MATROSKA_SEGMENT:
                raise CorruptMediaError("Matroska top-level element of unknown size")
            return
        if pos + size > len(data):
            raise CorruptMediaError(
                f"Matroska element 0x{element_id:x} needs {size} bytes, file has {len(data) - pos}: truncated"
            )
        pos += size


def _check_avi(data: bytes) -> None:
    (size,) = struct.unpack_from("<I", data, 4)
    if size + 8 > len(data):
        raise CorruptMediaError(f"AVI declares {size + 8} bytes, file has {len(data)}: truncated")


def _check_gif(data: bytes) -> None:
    if not data.rstrip(b"\x00").endswith(b";"):
        raise CorruptMediaError("GIF has no trailer: truncated")
    try:
        with Image.open(io.BytesIO(data)) as image:
            for frame in range(getattr(image, "n_frames", 1)):
                image.seek(frame)
                image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptMediaError(f"GIF frame data damaged: {exc}") from exc


def _check_ts(data: bytes) -> None:
    if len(data) % _TS_PACKET:
        raise CorruptMediaError(f"MPEG-TS length {len(data)} is not a whole number of packets: truncated")
    if any(b != 0x47 for b in data[::_TS_PACKET]):
        raise CorruptMediaError("MPEG-TS packet lost sync")
