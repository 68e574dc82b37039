"""Builders for console tests: staff per role, and review items made through intake."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from modops.accounts.models import StaffProfile
from modops.accounts.permissions import Role
from modops.intake.services import ReportInput, submit_report
from modops.mediastore.services import store
from modops.review.models import ReviewItem
from modops.subjects.kinds import SubjectKind
from modops.subjects.models import Subject
from modops.subjects.services import SubjectRef
from modops.testing.factories import StaffFactory

PASSWORD = "correct-horse-battery"  # the factories' password

#: One account per role, as in the demo: (username, role, clearance, skills).
ROLES: dict[str, tuple[Role, int, list[str]]] = {
    "moderator": (Role.MODERATOR, 1, []),
    "senior": (Role.SENIOR_MODERATOR, 2, ["self_harm"]),
    "investigator": (Role.INVESTIGATOR, 3, ["child_safety", "violent_extremism"]),
    "lead": (Role.TEAM_LEAD, 3, ["child_safety", "violent_extremism", "legal"]),
    "manager": (Role.OPERATIONS_MANAGER, 1, []),
    "liaison": (Role.POLICY_LIAISON, 2, ["legal"]),
    "admin": (Role.ADMINISTRATOR, 3, ["child_safety", "violent_extremism", "legal"]),
}


def staff(username: str) -> StaffProfile:
    role, clearance, skills = ROLES[username]
    profile: StaffProfile = StaffFactory(
        user__username=username, role=role.value, clearance=clearance, skills=skills, languages=["en"]
    )
    if role == Role.ADMINISTRATOR:
        profile.user.is_staff = profile.user.is_superuser = True
        profile.user.save()
    return profile


def report(subject_id: str, policy: str = "harassment", kind: str = "chat_message", **extra: Any) -> ReviewItem:
    from django.db import transaction

    ref = SubjectRef(
        kind=SubjectKind(kind),
        id=subject_id,
        account_id=extra.pop("account_id", "acc_" + subject_id),
        language="en",
        **extra,
    )
    with transaction.atomic():
        out = submit_report(ReportInput(ref, policy, "acc_reporter", "bad stuff", "en"), "api:test")
    return ReviewItem.objects.select_related("subject", "queue", "policy").get(pk=out["review_item_id"])


def png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real PNG, made here so tests ship no binary files."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def image_on(item: ReviewItem, tier: int = 0) -> Any:
    subject: Subject = item.subject
    return store(subject, png(), "image/png", tier=tier, caption="reported image")
