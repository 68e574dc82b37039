"""Seeing quarantined evidence (clearance 3, every view and refusal audited), holds and retention."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageFilter, ImageOps

from modops.accounts.permissions import Perm, PermissionDenied
from modops.accounts.services import profile_of, require
from modops.audit.services import NewEvent, record
from modops.childsafety.keys import evidence_cipher
from modops.childsafety.models import Evidence
from modops.childsafety.services.reports import require_cleared
from modops.review.services.errors import Conflict, NotFound

MIN_BLUR_PX = 12


def _event(evidence: Evidence, actor: str, verb: str, after: dict[str, object], reason: str = "") -> NewEvent:
    return NewEvent(
        actor=actor,
        verb=verb,
        subject_kind=evidence.subject.kind,
        subject_external_id=evidence.subject.external_id,
        review_item_id=evidence.review_item_id,
        after={"evidence_id": str(evidence.id), **after},
        reason=reason,
    )


def _load(evidence_id: uuid.UUID) -> Evidence:
    evidence = Evidence.objects.select_related("subject").defer("sealed").filter(pk=evidence_id).first()
    if evidence is None:
        raise NotFound(f"evidence {evidence_id}")
    return evidence


def _checked(user: User, evidence_id: uuid.UUID, what: str) -> Evidence:
    """The evidence, if ``user`` is cleared; a refusal is written to the log before it is raised."""
    evidence = _load(evidence_id)
    try:
        require_cleared(user)
    except PermissionDenied as denied:
        with transaction.atomic():
            record([_event(evidence, f"staff:{user.get_username()}", "evidence.access_denied", {"wanted": what})])
        raise denied
    return evidence


def get_evidence(user: User, evidence_id: uuid.UUID) -> Evidence:
    return _checked(user, evidence_id, "metadata")


@dataclass(frozen=True)
class Rendition:
    data: bytes
    content_type: str
    safe: bool


def _safe_rendition(data: bytes, blur_px: int) -> bytes:
    """Greyscale and heavily blurred, first frame only: what a cleared reviewer sees first."""
    with Image.open(io.BytesIO(data)) as image:
        image.seek(0)
        grey = ImageOps.grayscale(image.convert("RGB"))
    grey.thumbnail((640, 640))
    blurred = grey.filter(ImageFilter.GaussianBlur(max(MIN_BLUR_PX, blur_px)))
    out = io.BytesIO()
    blurred.save(out, "PNG")
    return out.getvalue()


def view_media(user: User, evidence_id: uuid.UUID, reveal: bool = False) -> Rendition:
    """The evidence file: blurred greyscale by default, the original only when ``reveal`` is asked."""
    what = "original" if reveal else "safe"
    evidence = _checked(user, evidence_id, what)
    sealed = Evidence.objects.filter(pk=evidence.pk).values_list("sealed", flat=True).first()
    if sealed is None:
        raise Conflict("the evidence was purged")
    data = evidence_cipher().open(bytes(sealed), aad=evidence.id.bytes)
    if reveal:
        rendition = Rendition(data, evidence.content_type, safe=False)
    elif evidence.content_type.startswith("image/"):
        profile = profile_of(user)
        rendition = Rendition(_safe_rendition(data, profile.media_blur_px if profile else 24), "image/png", True)
    else:
        raise Conflict("no safe preview exists for this video; ask for the original deliberately")
    with transaction.atomic():
        verb = "evidence.revealed" if reveal else "evidence.viewed"
        record([_event(evidence, f"staff:{user.get_username()}", verb, {"rendition": what, "sha256": evidence.sha256})])
    return rendition


def set_legal_hold(user: User, evidence_id: uuid.UUID, hold: bool, reason: str) -> Evidence:
    """Place or lift a legal hold (cases staff with clearance 3)."""
    require(user, Perm.CASES_MANAGE)
    with transaction.atomic():
        evidence = _checked(user, evidence_id, "legal_hold")
        evidence = Evidence.objects.select_for_update().select_related("subject").defer("sealed").get(pk=evidence.pk)
        evidence.legal_hold = hold
        evidence.legal_hold_reason = reason[:500] if hold else ""
        evidence.save(update_fields=["legal_hold", "legal_hold_reason"])
        verb = "evidence.legal_hold_placed" if hold else "evidence.legal_hold_lifted"
        record([_event(evidence, f"staff:{user.get_username()}", verb, {}, reason)])
    return evidence


def purge_expired(now: datetime | None = None, batch: int = 500) -> int:
    """Retention: drop the sealed bytes of evidence past its preservation date and not on hold.

    Held evidence is excluded in the query itself, so no purge ever reads or touches it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Evidence.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subject")
            .defer("sealed")
            .filter(legal_hold=False, purged_at__isnull=True, preserve_until__lt=now)[:batch]
        )
        for evidence in due:
            evidence.sealed = None
            evidence.purged_at = now
            evidence.save(update_fields=["sealed", "purged_at"])
        record(_event(e, "system:retention", "evidence.purged", {"sha256": e.sha256}) for e in due)
    return len(due)
