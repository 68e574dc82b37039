"""The policy taxonomy: configuration, editable in the admin."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from modops.ops.ladder import Step, parse_ladder

DSA_CATEGORIES = [
    "STATEMENT_CATEGORY_ANIMAL_WELFARE",
    "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE",
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "STATEMENT_CATEGORY_SELF_HARM",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "STATEMENT_CATEGORY_VIOLENCE",
]


class Policy(models.Model):
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    text = models.TextField(help_text="The rule as moderators read it in the console.")
    severity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(4)])
    sensitivity_tier = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(3)], help_text="How disturbing its media is: 0 (none) to 3 (most)."
    )
    sla_live_seconds = models.PositiveIntegerField(help_text="SLA target while the subject is live.")
    sla_seconds = models.PositiveIntegerField(help_text="SLA target otherwise.")
    ladder = models.JSONField(
        help_text='Steps, e.g. [{"type": "warn"}, {"type": "suspension", "duration_seconds": 86400}]'
    )
    strike_expiry_days = models.PositiveIntegerField()
    dsa_category = models.CharField(max_length=80, choices=[(c, c) for c in DSA_CATEGORIES])
    dsa_specifications = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "policies"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        try:
            parse_ladder(self.ladder)
        except (ValueError, TypeError) as exc:
            raise ValidationError({"ladder": str(exc)}) from exc

    @property
    def steps(self) -> list[Step]:
        return parse_ladder(self.ladder)
