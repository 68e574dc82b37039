from django.contrib import admin

from modops.subjects.models import Subject


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin[Subject]):
    list_display = ("kind", "external_id", "live", "viewers", "language", "first_seen_at")
    list_filter = ("kind", "live")
    search_fields = ("external_id", "display_name")
    raw_id_fields = ("account", "channel", "stream")
