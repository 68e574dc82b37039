from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "modops.screening"
    label = "screening"
    verbose_name = "Chat screening"
    default_auto_field = "django.db.models.BigAutoField"
