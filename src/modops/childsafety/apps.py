from django.apps import AppConfig


class ChildSafetyConfig(AppConfig):
    name = "modops.childsafety"
    label = "childsafety"
    verbose_name = "Child safety"

    def ready(self) -> None:
        # Fail at start-up, not at the first match, when the evidence key is unusable.
        from modops.childsafety.keys import check_configured

        check_configured()
