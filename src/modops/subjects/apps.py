from django.apps import AppConfig


class SubjectsConfig(AppConfig):
    name = "modops.subjects"
    label = "subjects"
    verbose_name = "Subjects"
