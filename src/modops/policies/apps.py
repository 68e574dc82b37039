from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "modops.policies"
    label = "policies"
    verbose_name = "Policies"
