from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "modops.integrations"
    label = "integrations"
    verbose_name = "Platform integrations"
    default_auto_field = "django.db.models.BigAutoField"
