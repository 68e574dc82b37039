"""Storing media and letting staff see it: clearance checks, and every reveal logged."""

from __future__ import annotations

import hashlib
import uuid

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from modops.accounts.permissions import Perm, PermissionDenied
from modops.accounts.services import clearance_of, require
from modops.audit.services import NewEvent, record
from modops.mediastore.models import MediaObject, MediaType
from modops.review.models import ReviewItem
from modops.review.services.errors import Invalid, NotFound
from modops.subjects.models import Subject

MAX_BYTES = 8 * 1024 * 1024
_MAGIC = {
    MediaType.PNG: (b"\x89PNG\r\n\x1a\n",),
    MediaType.JPEG: (b"\xff\xd8\xff",),
    MediaType.GIF: (b"GIF87a", b"GIF89a"),
}


def store(subject: Subject, data: bytes, content_type: str, tier: int = 0, caption: str = "") -> MediaObject:
    try:
        kind = MediaType(content_type)
    except ValueError:
        raise Invalid("content_type", f"unsupported media type {content_type!r}") from None
    if not data or len(data) > MAX_BYTES:
        raise Invalid("data", f"media must be 1 to {MAX_BYTES} bytes")
    if kind in _MAGIC and not data.startswith(_MAGIC[kind]):
        # Never serve bytes under a type they are not: the browser would sniff or misrender them.
        raise Invalid("data", f"the bytes are not {kind.value}")
    if not 0 <= tier <= 3:
        raise Invalid("tier", "tier must be 0 to 3")
    return MediaObject.objects.create(
        subject=subject,
        content_type=kind.value,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        tier=tier,
        caption=caption,
    )


def effective_tier(media: MediaObject) -> int:
    """The file's own tier, raised to the highest tier of any review item on its subject."""
    items = ReviewItem.objects.filter(subject_id=media.subject_id).aggregate(top=Max("tier"))["top"]
    return max(media.tier, items or 0)


def check_view(user: User, media: MediaObject, tier: int | None = None) -> int:
    """Raise ``PermissionDenied`` unless ``user`` may see this file; return its effective tier."""
    require(user, Perm.MEDIA_REVEAL)
    tier = effective_tier(media) if tier is None else tier
    if tier > clearance_of(user):
        raise PermissionDenied(f"media needs clearance {tier}")
    if tier >= 3:
        require(user, Perm.MEDIA_REVEAL_TIER3)
    return tier


def get_media(user: User, media_id: uuid.UUID) -> tuple[MediaObject, int]:
    media = MediaObject.objects.select_related("subject").filter(pk=media_id).first()
    if media is None:
        raise NotFound(f"media {media_id}")
    return media, check_view(user, media)


def media_for(user: User, subject: Subject) -> list[tuple[MediaObject, int]]:
    """The files on a subject this person may see, with their effective tier (metadata only)."""
    out = []
    for media in MediaObject.objects.filter(subject=subject).defer("data"):
        try:
            out.append((media, check_view(user, media)))
        except PermissionDenied:
            continue
    return out


def reveal(user: User, media_id: uuid.UUID, review_item_id: uuid.UUID | None = None) -> MediaObject:
    """Record that ``user`` chose to see this file unblurred; refuse without permission and clearance."""
    with transaction.atomic():
        media, tier = get_media(user, media_id)
        record(
            [
                NewEvent(
                    actor=f"staff:{user.get_username()}",
                    verb="media.revealed",
                    subject_kind=media.subject.kind,
                    subject_external_id=media.subject.external_id,
                    review_item_id=review_item_id,
                    after={"media_id": str(media.id), "tier": tier, "sha256": media.sha256},
                )
            ]
        )
    return media
