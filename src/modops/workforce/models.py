"""Recurring shifts at sites and the staff assigned to them.

Sites (city, time zone, region) live in accounts; skills and languages are on the staff profile.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

WEEKDAYS = (0, 1, 2, 3, 4, 5, 6)


def _validate_weekdays(value: object) -> None:
    if not isinstance(value, list) or not value or any(d not in WEEKDAYS for d in value):
        raise ValidationError("weekdays must be a non-empty list of 0 (Monday) to 6 (Sunday)")


class Shift(models.Model):
    """A shift that repeats every week at a site, in the site's local time.

    ``end_hour`` at or before ``start_hour`` runs past local midnight. ``weekdays`` are the local
    days the shift starts on.
    """

    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="shifts")
    name = models.SlugField(max_length=50)
    weekdays = models.JSONField(default=list, validators=[_validate_weekdays])
    start_hour = models.PositiveSmallIntegerField(validators=[MaxValueValidator(23)])
    end_hour = models.PositiveSmallIntegerField(validators=[MaxValueValidator(24)])
    shrinkage = models.FloatField(
        default=0.3,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.95)],
        help_text="Share of the shift not available for queue work (breaks, training, wellness time).",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="one_shift_name_per_site")]
        ordering = ["site__name", "start_hour", "name"]

    def __str__(self) -> str:
        return f"{self.site.name}/{self.name} {self.start_hour:02d}-{self.end_hour:02d}"

    @property
    def length_hours(self) -> int:
        length = (self.end_hour - self.start_hour) % 24
        return 24 if length == 0 else length


class Assignment(models.Model):
    """A person works a shift from ``starts_on`` until ``ends_on`` (inclusive; open-ended if empty)."""

    staff = models.ForeignKey("accounts.StaffProfile", on_delete=models.CASCADE, related_name="assignments")
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="assignments")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["starts_on", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.staff} on {self.shift}"

    def clean(self) -> None:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "ends_on is before starts_on"})
