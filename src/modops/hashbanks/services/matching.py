"""Hash uploaded media, look it up in every enabled bank, and feed matches into the core loop."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from PIL import Image

from modops.audit.services import NewEvent, record
from modops.hashbanks.models import Bank, BankKind
from modops.hashbanks.services.index import current_index
from modops.intake.services import DetectionInput, submit_detection
from modops.media.errors import (
    DecompressionBombError,
    EmptyMediaError,
    MediaError,
    MediaTooLargeError,
    UnsupportedMediaError,
)
from modops.media.hashing import ImageHashes, MediaLimits, VideoHashes, hash_image, hash_video
from modops.media.matching import Match
from modops.review.models import ItemStatus, ReviewItem
from modops.subjects.services import SubjectRef

DETECTION_SOURCE = "hash_match"


class MediaRejected(Exception):
    """The upload cannot be hashed; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


_STATUS = {
    EmptyMediaError: 400,
    MediaTooLargeError: 413,
    UnsupportedMediaError: 415,
    DecompressionBombError: 422,
}


def rejection(exc: MediaError) -> MediaRejected:
    for kind, status in _STATUS.items():
        if isinstance(exc, kind):
            return MediaRejected(status, exc.reason)
    return MediaRejected(422, exc.reason)  # truncated, damaged, or undecodable


def media_limits() -> MediaLimits:
    return MediaLimits(
        max_image_bytes=settings.MODOPS_MEDIA_MAX_IMAGE_BYTES,
        max_video_bytes=settings.MODOPS_MEDIA_MAX_VIDEO_BYTES,
        max_pixels=settings.MODOPS_MEDIA_MAX_PIXELS,
    )


@dataclass(frozen=True)
class Hashed:
    kind: str  # "image" or "video"
    hashes: ImageHashes | VideoHashes
    data: bytes

    def as_dict(self) -> dict[str, Any]:
        h = self.hashes
        if isinstance(h, ImageHashes):
            return {"pdq": h.pdq, "pdq_quality": h.pdq_quality, "md5": h.md5, "sha256": h.sha256}
        return {"vpdq_frames": len(h.frames), "md5": h.md5, "sha256": h.sha256}

    @property
    def content_type(self) -> str:
        if isinstance(self.hashes, VideoHashes):
            return f"video/{self.hashes.container.value}"
        try:
            with Image.open(io.BytesIO(self.data)) as image:
                return Image.MIME.get(image.format or "", "application/octet-stream")
        except (OSError, ValueError):
            return "application/octet-stream"


def _is_video(data: bytes) -> bool:
    from modops.media.containers import VideoContainer, sniff_video

    try:
        container = sniff_video(data)
    except UnsupportedMediaError:
        return False
    if container is VideoContainer.GIF:
        # A still GIF is a picture; only animated ones are hashed frame by frame.
        try:
            with Image.open(io.BytesIO(data)) as image:
                return bool(getattr(image, "n_frames", 1) > 1)
        except (OSError, ValueError, SyntaxError, EOFError):
            return False
    return True


def hash_media(data: bytes) -> Hashed:
    """PDQ + quality, MD5, SHA-256 for images; vPDQ, MD5, SHA-256 for video. Raises ``MediaRejected``."""
    limits = media_limits()
    try:
        if not data:
            raise EmptyMediaError("the file is empty (0 bytes)")
        if _is_video(data):
            return Hashed("video", hash_video(data, limits), data)
        return Hashed("image", hash_image(data, limits), data)
    except MediaError as exc:
        raise rejection(exc) from exc


@dataclass(frozen=True)
class BankMatch:
    bank: str
    bank_kind: str
    signal_type: str
    distance: int
    entry_id: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "bank": self.bank,
            "bank_kind": self.bank_kind,
            "signal_type": self.signal_type,
            "distance": self.distance,
            "entry_id": self.entry_id,
        }


@dataclass(frozen=True)
class LookupOutcome:
    matches: list[BankMatch]
    suppressed: list[BankMatch] = field(default_factory=list)


def lookup(hashed: Hashed) -> LookupOutcome:
    loaded = current_index()
    result = loaded.index.lookup_detailed(hashed.hashes)
    kinds = dict(Bank.objects.filter(name__in={m.bank for m in result.matches}).values_list("name", "kind"))

    def out(match: Match) -> BankMatch:
        entry_id = int(match.metadata.get("entry_id", "0"))
        return BankMatch(match.bank, kinds.get(match.bank, ""), match.signal_type.value, match.distance, entry_id)

    return LookupOutcome([out(m) for m in result.matches], [out(m) for m in result.suppressed])


def match_file(data: bytes) -> dict[str, Any]:
    """Hash and look up one file: the command line's answer, no state changed."""
    hashed = hash_media(data)
    outcome = lookup(hashed)
    return {"kind": hashed.kind, "hashes": hashed.as_dict(), "matches": [m.as_dict() for m in outcome.matches]}


def _best_per_bank(matches: list[BankMatch]) -> list[BankMatch]:
    best: dict[str, BankMatch] = {}
    for match in matches:
        if match.bank not in best or match.distance < best[match.bank].distance:
            best[match.bank] = match
    return [best[name] for name in sorted(best)]


def _route_to(item: ReviewItem, bank: Bank, actor: str) -> list[NewEvent]:
    """Move a not-yet-claimed item into the bank's queue (policy routing put it elsewhere)."""
    if bank.queue is None or item.queue_id == bank.queue_id or item.status != ItemStatus.OPEN:
        return []
    before = item.queue.slug
    item.queue = bank.queue
    item.save(update_fields=["queue"])
    return [
        NewEvent.about_item(
            item,
            actor,
            "review_item.routed",
            before={"queue": before},
            after={"queue": bank.queue.slug},
            reason=f"hash match in bank {bank.name}",
        )
    ]


def submit_media(subject: SubjectRef, data: bytes, filename: str, actor: str) -> dict[str, Any]:
    """Hash, look up, and turn every match into a detection (and the bank kind's workflow), atomically."""
    hashed = hash_media(data)
    outcome = lookup(hashed)
    detections: list[dict[str, Any]] = []
    with transaction.atomic():
        banks = {b.name: b for b in Bank.objects.select_related("policy", "queue").filter(name__in=_names(outcome))}
        for match in _best_per_bank(outcome.matches):
            bank = banks.get(match.bank)
            if bank is None or bank.policy is None:
                continue  # removed since the index was built
            accepted = submit_detection(
                DetectionInput(
                    subject=subject,
                    source=DETECTION_SOURCE,
                    score=1.0 - match.distance / 256,
                    policy_code=bank.policy.code,
                    label=f"{bank.name}:{match.signal_type}",
                ),
                actor,
            )
            item = None
            if accepted["review_item_id"]:
                item = ReviewItem.objects.select_related("queue", "subject").get(
                    pk=uuid.UUID(accepted["review_item_id"])
                )
                record(_route_to(item, bank, actor))
            detection: dict[str, Any] = {**match.as_dict(), **accepted}
            if bank.kind == BankKind.CSAM and item is not None:
                from modops.childsafety.services.workflow import on_csam_match

                detection["evidence_id"] = str(on_csam_match(item, bank, match.as_dict(), hashed, filename, actor).id)
            detections.append(detection)
        nudity = _nudity_detection(subject, hashed, actor) if not detections else None
    return {
        "kind": hashed.kind,
        "hashes": hashed.as_dict(),
        "matches": [m.as_dict() for m in outcome.matches],
        "suppressed": [m.as_dict() for m in outcome.suppressed],
        "detections": detections,
        "nudity": nudity,
    }


def _names(outcome: LookupOutcome) -> set[str]:
    return {m.bank for m in outcome.matches}


def _nudity_detection(subject: SubjectRef, hashed: Hashed, actor: str) -> dict[str, Any] | None:
    """The optional nudity detector: a detection for the sexual content queue when it scores."""
    if hashed.kind != "image" or not settings.MODOPS_NUDITY_DETECTION:
        return None
    from modops.media.nudity import NudityUnavailable, score_nudity

    try:
        score = score_nudity(hashed.data)
    except NudityUnavailable:
        return None
    accepted = submit_detection(
        DetectionInput(
            subject=subject,
            source="classifier:nudenet",
            score=score.score,
            policy_code="sexual_content",
            label=",".join(score.labels),
        ),
        actor,
    )
    return {"score": score.score, "labels": list(score.labels), **accepted}
