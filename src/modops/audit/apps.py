from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "modops.audit"
    label = "audit"
    verbose_name = "Moderation event log"
