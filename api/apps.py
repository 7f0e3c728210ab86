from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"

    def ready(self) -> None:
        """Register the webhook tasks now, so services can queue them by name in any process."""
        from . import tasks  # noqa: F401
