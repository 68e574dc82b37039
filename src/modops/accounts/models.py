"""Staff, sites, API tokens and exposure to disturbing material."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from modops.accounts.permissions import Role


class Site(models.Model):
    name = models.SlugField(max_length=50, unique=True)
    city = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64)
    region = models.CharField(max_length=50, help_text="e.g. americas, emea, apac")

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(max_length=30, choices=[(r.value, r.value) for r in Role], default=Role.MODERATOR)
    clearance = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(3)])
    skills = models.JSONField(default=list, blank=True, help_text="Skill codes, e.g. policy codes or 'child_safety'.")
    languages = models.JSONField(default=list, blank=True, help_text="ISO 639-1 codes.")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff")
    time_zone = models.CharField(max_length=64, default="UTC")
    linked_account_ids = models.JSONField(
        default=list, blank=True, help_text="Platform account ids this person is linked to: never routed to them."
    )
    media_blur_px = models.PositiveSmallIntegerField(
        default=24, validators=[MaxValueValidator(60)], help_text="Blur applied to media until revealed."
    )
    media_greyscale = models.BooleanField(default=True, help_text="Show media in greyscale until revealed.")

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class ApiToken(models.Model):
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token; the token is never stored.")
    scopes = models.JSONField(default=list)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ExposureSpan(models.Model):
    """A stretch of time one person had a sensitive (tier >= 2) item open in the console.

    The console extends ``last_seen_at`` with a heartbeat while the item stays on screen; a gap
    longer than the heartbeat tolerance starts a new span, so idle time is never counted.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    review_item_id = models.UUIDField()
    tier = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "last_seen_at"], name="exposure_user_recent")]

    @property
    def seconds(self) -> float:
        return (self.last_seen_at - self.started_at).total_seconds()
