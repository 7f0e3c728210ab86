from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "workflows"

    def ready(self) -> None:
        """Each process declares its human steps in the stage registry."""
        from .channel import steps as channel_steps  # noqa: F401
        from .complaint import steps as complaint_steps  # noqa: F401
        from .referral import steps as referral_steps  # noqa: F401
