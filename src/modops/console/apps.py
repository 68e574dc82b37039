from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "modops.console"
    label = "console"
    verbose_name = "Moderator console"
