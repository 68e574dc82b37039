from django.contrib import admin

from modops.childsafety.models import Evidence, NcmecReport


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin[Evidence]):
    # Metadata only: the sealed bytes are never shown here (the clearance-checked API serves them).
    list_display = ["id", "bank_name", "account_external_id", "received_at", "legal_hold", "purged_at"]
    list_filter = ["legal_hold", "bank_name"]
    exclude = ["sealed"]
    readonly_fields = ["subject", "review_item", "md5", "sha256", "size", "received_at", "match"]


@admin.register(NcmecReport)
class NcmecReportAdmin(admin.ModelAdmin[NcmecReport]):
    list_display = ["id", "status", "ncmec_report_id", "confirmed_by", "submitted_at"]
    list_filter = ["status"]
    readonly_fields = ["evidence", "review_item", "report_xml", "file_details", "ncmec_report_id", "ncmec_file_id"]
