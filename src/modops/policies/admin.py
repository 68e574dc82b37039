from django.contrib import admin

from modops.policies.models import Policy


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin[Policy]):
    list_display = (
        "code",
        "name",
        "severity",
        "sensitivity_tier",
        "sla_live_seconds",
        "sla_seconds",
        "dsa_category",
        "active",
    )
    list_filter = ("severity", "sensitivity_tier", "active")
    search_fields = ("code", "name")
