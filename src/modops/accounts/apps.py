from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "modops.accounts"
    label = "accounts"
    verbose_name = "Staff and access"
