"""Media hashing and matching: PDQ / vPDQ / digests, banks, NCMEC reports, evidence.

Pure library (no Django). Hashing uses python-threatexchange's signal types.
"""

from .bankfile import BankFileEntry, BankFileError, read_bank_file, write_bank_file
from .errors import (
    CorruptMediaError,
    DecompressionBombError,
    EmptyMediaError,
    HashingError,
    MediaError,
    MediaTooLargeError,
    UnsupportedMediaError,
)
from .hashing import ImageHashes, MediaLimits, VideoHashes, VpdqFrame, hash_image, hash_video
from .index import ChunkScheme, ExactIndex, PdqIndex
from .matching import BankConfig, LookupResult, Match, SignalIndexSet
from .signals import SignalType, validate_signal

__all__ = [
    "BankConfig",
    "BankFileEntry",
    "BankFileError",
    "ChunkScheme",
    "CorruptMediaError",
    "DecompressionBombError",
    "EmptyMediaError",
    "ExactIndex",
    "HashingError",
    "ImageHashes",
    "LookupResult",
    "Match",
    "MediaError",
    "MediaLimits",
    "MediaTooLargeError",
    "PdqIndex",
    "SignalIndexSet",
    "SignalType",
    "UnsupportedMediaError",
    "VideoHashes",
    "VpdqFrame",
    "hash_image",
    "hash_video",
    "read_bank_file",
    "validate_signal",
    "write_bank_file",
]
