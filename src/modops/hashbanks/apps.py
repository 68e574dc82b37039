from django.apps import AppConfig


class HashBanksConfig(AppConfig):
    name = "modops.hashbanks"
    label = "hashbanks"
    verbose_name = "Hash banks"
