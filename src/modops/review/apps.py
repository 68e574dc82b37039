from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "modops.review"
    label = "review"
    verbose_name = "Review"
