from django.contrib import admin

from modops.accounts.models import ApiToken, Site, StaffProfile


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin[Site]):
    list_display = ("name", "city", "time_zone", "region")


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin[StaffProfile]):
    list_display = ("user", "role", "clearance", "site")
    list_filter = ("role", "clearance", "site")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("name", "prefix", "scopes", "user", "created_at", "revoked_at")
    readonly_fields = ("prefix", "digest", "created_at")
