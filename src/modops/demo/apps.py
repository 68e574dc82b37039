from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "modops.demo"
    label = "demo"
    verbose_name = "Demo data"
