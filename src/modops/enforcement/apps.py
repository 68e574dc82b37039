from django.apps import AppConfig


class EnforcementConfig(AppConfig):
    name = "modops.enforcement"
    label = "enforcement"
    verbose_name = "Enforcement"
