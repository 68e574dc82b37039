"""What is judged: platform accounts, channels, streams, chat messages, clips, VODs and images."""

from __future__ import annotations

from django.db import models

from modops.subjects.kinds import SubjectKind


class Subject(models.Model):
    """One platform object, keyed by the platform's own id.

    One table for every kind: they share identity, context links and standing, and a kind is a code
    enum rather than a table of its own. Context columns are filled when intake sends them.
    """

    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in SubjectKind])
    external_id = models.CharField(max_length=200)
    account = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stream = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    display_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    language = models.CharField(max_length=16, blank=True)
    live = models.BooleanField(null=True)
    viewers = models.PositiveIntegerField(null=True)
    followers = models.PositiveIntegerField(null=True)
    started_at = models.DateTimeField(null=True)
    ended_at = models.DateTimeField(null=True)
    platform_created_at = models.DateTimeField(null=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "external_id"], name="subject_kind_external_id")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.external_id}"

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.external_id}"

    @property
    def reach(self) -> int:
        if self.live:
            return self.viewers or 0
        return self.followers or self.viewers or 0
