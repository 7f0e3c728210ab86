from django.apps import AppConfig

from config import govuk_components


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        """Every page's GOV.UK components compile once per process (config/govuk_components.py)."""
        govuk_components.install()
