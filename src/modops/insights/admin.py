from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm

from modops.insights.models import KpiTarget, WorkerHeartbeat
from modops.insights.targets import validate
from modops.review.services.errors import Invalid


class KpiTargetForm(ModelForm[KpiTarget]):
    class Meta:
        model = KpiTarget
        fields = ["name", "kpi", "slice", "window_hours", "comparator", "target", "amber_margin", "adapter", "active"]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        candidate = KpiTarget(**{k: v for k, v in data.items() if k != "adapter"})
        try:
            validate(candidate)
        except Invalid as exc:
            raise ValidationError({exc.field: exc.message}) from None
        return data


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin[KpiTarget]):
    form = KpiTargetForm
    list_display = ("name", "kpi", "comparator", "target", "window_hours", "last_status", "last_value", "evaluated_at")
    readonly_fields = ("last_status", "last_value", "evaluated_at")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin[WorkerHeartbeat]):
    list_display = ("worker", "beat_at", "started_at", "ticks")
