from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from modops.media import BankConfig, SignalIndexSet, SignalType, hash_image, hash_video
from modops.media.index import format_pdq

from .imaging import animated_gif, encode, structured_image

BANK_SIZE = 100_000


@pytest.fixture(scope="module")
def index_set() -> SignalIndexSet:
    """A bank of 100k random hashes plus the hashes of five known images."""
    rng = np.random.default_rng(0)
    noise = format_pdq(rng.integers(0, 2**64, size=(BANK_SIZE, 4), dtype=np.uint64))
    signals = SignalIndexSet()
    signals.set_bank(BankConfig("known"))
    signals.add_many("known", [(SignalType.PDQ, h, {}) for h in noise])
    known = [(SignalType.PDQ, hash_image(encode(structured_image(s))).pdq, {"case": str(s)}) for s in range(5)]
    signals.add_many("known", known)
    signals.rebuild()
    return signals


def _variants(image: Image.Image) -> list[bytes]:
    return [
        encode(image.resize((200, 150), Image.Resampling.LANCZOS)),
        encode(image, "JPEG", quality=50),
        encode(image.crop((3, 3, 397, 297))),
    ]


@pytest.mark.parametrize("seed", range(5))
def test_altered_copies_of_banked_images_are_found(index_set: SignalIndexSet, seed: int) -> None:
    for data in _variants(structured_image(seed)):
        matches = index_set.lookup(hash_image(data))
        assert [m.metadata["case"] for m in matches] == [str(seed)]
        assert matches[0].distance <= 31 and matches[0].signal_type is SignalType.PDQ


@pytest.mark.parametrize("seed", range(100, 110))
def test_unrelated_images_are_not_found(index_set: SignalIndexSet, seed: int) -> None:
    assert index_set.lookup(hash_image(encode(structured_image(seed)))) == []


def _small_set() -> tuple[SignalIndexSet, str]:
    signals = SignalIndexSet()
    pdq = hash_image(encode(structured_image(1))).pdq
    return signals, pdq


def test_per_bank_threshold_is_honoured() -> None:
    signals, pdq = _small_set()
    signals.set_bank(BankConfig("strict", pdq_threshold=10))
    signals.set_bank(BankConfig("loose"))
    signals.add("strict", SignalType.PDQ, pdq)
    signals.add("loose", SignalType.PDQ, pdq)
    altered = hash_image(encode(structured_image(1).resize((200, 150), Image.Resampling.LANCZOS)))
    assert altered.pdq != pdq
    assert [m.bank for m in signals.lookup(altered)] == ["loose"]
    with pytest.raises(ValueError, match="exceeds"):
        signals.set_bank(BankConfig("too-loose", pdq_threshold=40))


def test_low_quality_hashes_are_ignored_unless_the_floor_is_lowered() -> None:
    flat = hash_image(encode(Image.new("RGB", (64, 64), (10, 200, 30))))
    signals = SignalIndexSet()
    signals.set_bank(BankConfig("default"))
    signals.set_bank(BankConfig("permissive", quality_floor=-1))
    signals.add("default", SignalType.PDQ, flat.pdq)
    signals.add("permissive", SignalType.PDQ, flat.pdq)
    assert flat.pdq_quality <= 49
    assert [m.bank for m in signals.lookup(flat)] == ["permissive"]


def test_digests_match_exactly() -> None:
    data = encode(structured_image(2))
    hashes = hash_image(data)
    signals = SignalIndexSet()
    signals.set_bank(BankConfig("digests"))
    signals.add("digests", SignalType.MD5, hashes.md5.upper(), {"src": "md5"})
    signals.add("digests", SignalType.SHA256, hashes.sha256, {"src": "sha"})
    found = signals.lookup(hashes)
    assert sorted(m.metadata["src"] for m in found) == ["md5", "sha"]
    assert all(m.distance == 0 for m in found)
    assert signals.lookup({SignalType.MD5: "0" * 32}) == []


def test_enabled_ratio_is_deterministic_and_roughly_proportional() -> None:
    signals = SignalIndexSet()
    signals.set_bank(BankConfig("trial", enabled_ratio=0.25))
    rng = np.random.default_rng(4)
    digests = [f"{int(x):032x}" for x in rng.integers(0, 2**62, 2000)]
    signals.add_many("trial", [(SignalType.MD5, d, {}) for d in digests])
    hits = [bool(signals.lookup({SignalType.MD5: d})) for d in digests]
    assert 0.18 < sum(hits) / len(hits) < 0.32
    assert hits == [bool(signals.lookup({SignalType.MD5: d})) for d in digests]
    signals.set_bank(BankConfig("trial", enabled_ratio=0.0))
    assert not any(signals.lookup({SignalType.MD5: d}) for d in digests[:50])


def test_false_positive_bank_cancels_hits() -> None:
    signals, pdq = _small_set()
    signals.set_bank(BankConfig("csam"))
    signals.set_bank(BankConfig("terror"))
    signals.set_bank(BankConfig("fp-csam", suppresses=frozenset({"csam"})))
    for bank in ("csam", "terror"):
        signals.add(bank, SignalType.PDQ, pdq)
    assert {m.bank for m in signals.lookup({SignalType.PDQ: pdq})} == {"csam", "terror"}
    signals.add("fp-csam", SignalType.PDQ, pdq)
    result = signals.lookup_detailed({SignalType.PDQ: pdq})
    assert [m.bank for m in result.matches] == ["terror"]
    assert [m.bank for m in result.suppressed] == ["csam"]
    assert [m.bank for m in result.suppressing] == ["fp-csam"]
    signals.set_bank(BankConfig("fp-all", suppresses=frozenset()))
    signals.add("fp-all", SignalType.PDQ, pdq)
    assert signals.lookup({SignalType.PDQ: pdq}) == []


def test_removing_entries_and_banks() -> None:
    signals, pdq = _small_set()
    signals.set_bank(BankConfig("a"))
    entry = signals.add("a", SignalType.PDQ, pdq)
    assert signals.remove(entry) and not signals.remove(entry)
    assert signals.lookup({SignalType.PDQ: pdq}) == []
    signals.add("a", SignalType.PDQ, pdq)
    assert signals.remove_bank("a") == 1 and len(signals) == 0


def test_invalid_entries_add_nothing() -> None:
    signals, pdq = _small_set()
    signals.set_bank(BankConfig("a"))
    with pytest.raises(ValueError):
        signals.add_many("a", [(SignalType.PDQ, pdq, {}), (SignalType.MD5, "nope", {})])
    assert len(signals) == 0
    with pytest.raises(KeyError):
        signals.add("missing", SignalType.PDQ, pdq)


def test_video_matches_by_vpdq_and_by_md5() -> None:
    video = hash_video(animated_gif(21))
    other = hash_video(animated_gif(22))
    signals = SignalIndexSet()
    signals.set_bank(BankConfig("videos"))
    signals.add("videos", SignalType.VPDQ, video.vpdq, {"name": "clip"})
    signals.add("videos", SignalType.VIDEO_MD5, video.md5, {"name": "clip-md5"})
    found = signals.lookup(video)
    assert sorted(m.metadata["name"] for m in found) == ["clip", "clip-md5"]
    assert next(m for m in found if m.signal_type is SignalType.VPDQ).distance == 0
    assert signals.lookup(other) == []
