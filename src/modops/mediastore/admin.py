from django.contrib import admin

from modops.mediastore.models import MediaObject


@admin.register(MediaObject)
class MediaObjectAdmin(admin.ModelAdmin[MediaObject]):
    list_display = ("id", "subject", "content_type", "size", "tier", "created_at")
    list_filter = ("content_type", "tier")
    raw_id_fields = ("subject",)
    # The bytes are never shown here: viewing goes through the console, which checks clearance and logs reveals.
    exclude = ("data",)
    readonly_fields = ("sha256", "size", "created_at")
