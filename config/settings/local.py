"""Developer machine: SQLite and eager Celery unless the environment says otherwise."""

from django.core.management.utils import get_random_secret_key

from .base import *  # noqa: F403
from .base import VAR_DIR, env


def _local_secret_key(name: str = "secret_key") -> str:
    """A per-checkout random key kept under var/, so no secret is ever committed."""
    path = VAR_DIR / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY", default=None) or _local_secret_key()
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY", default=None) or _local_secret_key("audit_chain_key")
WEBHOOK_SECRET_KEY = env("WEBHOOK_SECRET_KEY", default=None) or _local_secret_key(
    "webhook_secret_key"
)
