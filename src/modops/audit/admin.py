from django.contrib import admin

from modops.audit.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = ("seq", "at", "actor", "verb", "subject_kind", "subject_external_id")
    list_filter = ("verb", "subject_kind")
    search_fields = ("subject_external_id", "actor")

    # The log is append-only: the admin shows it and never edits it.
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
