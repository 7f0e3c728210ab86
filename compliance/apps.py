from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance"

    def ready(self) -> None:
        """Register the sealer task now, so every commit can queue it by name in any process."""
        from . import tasks  # noqa: F401
