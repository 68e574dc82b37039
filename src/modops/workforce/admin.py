from django.contrib import admin

from modops.workforce.models import Assignment, Shift


class AssignmentInline(admin.TabularInline[Assignment, Shift]):
    model = Assignment
    extra = 0
    autocomplete_fields = ()


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin[Shift]):
    list_display = ("site", "name", "weekdays", "start_hour", "end_hour", "shrinkage")
    list_filter = ("site",)
    inlines = [AssignmentInline]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin[Assignment]):
    list_display = ("staff", "shift", "starts_on", "ends_on")
    list_filter = ("shift__site",)
