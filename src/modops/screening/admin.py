from django import forms
from django.contrib import admin
from django.http import HttpRequest

from modops.screening.models import ChannelSettings, Escalation, HeldMessage, HeldStatus, RaidIncident
from modops.screening.services.channels import InvalidSettings, validate


class ChannelSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ChannelSettings
        exclude: list[str] = []

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        document = {
            "automod": data.get("automod") or {},
            "blocked_terms": data.get("blocked_terms") or [],
            "permitted_terms": data.get("permitted_terms") or [],
            "allowed_links": data.get("allowed_links") or [],
        }
        try:
            validate(document)
        except InvalidSettings as exc:
            # Same check as the API: a pattern RE2 refuses never reaches the pipeline.
            self.add_error(exc.field.split(".")[0] if exc.field.split(".")[0] in self.fields else None, str(exc))
        return data


@admin.register(ChannelSettings)
class ChannelSettingsAdmin(admin.ModelAdmin[ChannelSettings]):
    form = ChannelSettingsForm
    list_display = ("channel", "auto_timeout_after", "auto_timeout_seconds", "updated_at")
    search_fields = ("channel",)


@admin.action(description="Allow the selected held messages")
def allow(modeladmin: "HeldMessageAdmin", request: HttpRequest, queryset: object) -> None:
    from modops.screening.services import resolve_held

    for held in queryset.filter(status=HeldStatus.PENDING):  # type: ignore[attr-defined]
        resolve_held(held.message_id, True, request.user.get_username(), actor=f"staff:{request.user.get_username()}")


@admin.action(description="Deny the selected held messages")
def deny(modeladmin: "HeldMessageAdmin", request: HttpRequest, queryset: object) -> None:
    from modops.screening.services import resolve_held

    for held in queryset.filter(status=HeldStatus.PENDING):  # type: ignore[attr-defined]
        resolve_held(held.message_id, False, request.user.get_username(), actor=f"staff:{request.user.get_username()}")


@admin.register(HeldMessage)
class HeldMessageAdmin(admin.ModelAdmin[HeldMessage]):
    list_display = ("message_id", "channel", "user", "status", "held_at", "expires_at", "resolved_by")
    list_filter = ("status",)
    search_fields = ("message_id", "channel", "user")
    readonly_fields = (
        "message_id",
        "channel",
        "user",
        "text",
        "verdict",
        "status",
        "held_at",
        "expires_at",
        "resolved_by",
    )
    actions = [allow, deny]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(RaidIncident)
class RaidIncidentAdmin(admin.ModelAdmin[RaidIncident]):
    list_display = ("channel", "campaign_id", "detected_at", "lockdown_applied_at")
    search_fields = ("channel", "campaign_id")


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin[Escalation]):
    list_display = ("message_id", "channel", "user", "policy", "source", "created_at")
    list_filter = ("policy", "source")
