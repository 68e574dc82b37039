from django.contrib import admin

from modops.intake.models import Detection, Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin[Report]):
    list_display = ("id", "subject", "policy", "reporter_id", "source", "received_at")
    list_filter = ("policy", "source")
    raw_id_fields = ("subject", "review_item")


@admin.register(Detection)
class DetectionAdmin(admin.ModelAdmin[Detection]):
    list_display = ("id", "subject", "policy", "source", "score", "received_at")
    list_filter = ("source", "policy")
    raw_id_fields = ("subject", "review_item")
