from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "modops.insights"
    label = "insights"
    verbose_name = "Insights"
