from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "modops.intake"
    label = "intake"
    verbose_name = "Intake"
