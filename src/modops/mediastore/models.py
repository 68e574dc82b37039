"""Stored media (images, video frames) attached to a subject."""

from __future__ import annotations

import uuid
from enum import StrEnum

from django.core.validators import MaxValueValidator
from django.db import models


class MediaType(StrEnum):
    PNG = "image/png"
    JPEG = "image/jpeg"
    GIF = "image/gif"
    WEBP = "image/webp"
    MP4 = "video/mp4"
    WEBM = "video/webm"

    @property
    def is_video(self) -> bool:
        return self.value.startswith("video/")


class MediaObject(models.Model):
    """One stored file. Served only through the console's media endpoint, which checks clearance."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="media")
    content_type = models.CharField(max_length=40, choices=[(t.value, t.value) for t in MediaType])
    data = models.BinaryField(help_text="The bytes; small files only (frames, thumbnails, images).")
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    tier = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(3)], help_text="Sensitivity of this file itself, 0-3."
    )
    caption = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.content_type} on {self.subject_id}"
