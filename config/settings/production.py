"""Production: every secret and host comes from the environment; nothing has a default."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CACHE_URL, DATABASES, EMAIL_BACKEND, NOTIFY_API_KEY, NOTIFY_TEMPLATE_ID, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY", default="")
if len(AUDIT_CHAIN_KEY) < 32:
    raise ImproperlyConfigured(
        "Set AUDIT_CHAIN_KEY (at least 32 characters): the audit chain is sealed with it"
    )
WEBHOOK_SECRET_KEY = env("WEBHOOK_SECRET_KEY", default="")
if len(WEBHOOK_SECRET_KEY) < 32:
    raise ImproperlyConfigured(
        "Set WEBHOOK_SECRET_KEY (at least 32 characters): webhook deliveries are signed with it"
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set the ALLOWED_HOSTS environment variable")
if "DATABASE_URL" not in env.ENVIRON:
    raise ImproperlyConfigured("Set the DATABASE_URL environment variable")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production needs a PostgreSQL DATABASE_URL (postgres://...)")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# The complaint rate limit counts in the cache: a per-process cache would give each gunicorn
# worker its own count, so several times the limit would get through.
if not CACHE_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(
        "Set CACHE_URL to a Redis address (redis://...) shared by every web process"
    )
WORKFLOW_LOCK_ORDER = "log"

if EMAIL_BACKEND == "notifications.backends.NotifyEmailBackend" and not (
    NOTIFY_API_KEY and NOTIFY_TEMPLATE_ID
):
    raise ImproperlyConfigured(
        "The GOV.UK Notify backend needs NOTIFY_API_KEY and NOTIFY_TEMPLATE_ID"
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
ENVIRONMENT = "production"
