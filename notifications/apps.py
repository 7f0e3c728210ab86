from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self) -> None:
        """Register the delivery task now, so services can queue it by name in any process."""
        from . import tasks  # noqa: F401
