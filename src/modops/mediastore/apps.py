from django.apps import AppConfig


class MediaStoreConfig(AppConfig):
    name = "modops.mediastore"
    label = "mediastore"
    verbose_name = "Stored media"
