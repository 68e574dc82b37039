from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "modops.workforce"
    label = "workforce"
    verbose_name = "Workforce"
