"""Test settings: the same as local, with fast hashing and mail kept in memory."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR, env

SECRET_KEY = env("SECRET_KEY", default="test-only-not-a-secret")  # noqa: S105
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY", default="test-only-audit-chain-key")  # noqa: S105
WEBHOOK_SECRET_KEY = env("WEBHOOK_SECRET_KEY", default="test-only-webhook-key")  # noqa: S105
# Webhook tests deliver to a server of their own on this machine.
WEBHOOK_ALLOW_LOCAL_HTTP = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Throttles out of the way of tests that make many requests; the throttle tests set their own.
REST_FRAMEWORK = {  # noqa: F405
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"client": "100000/min", "user": "100000/min"},
}
# In memory for the test process; a Celery worker process started by the integration tests
# writes files instead, so the tests can count what it sent.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "test-mail"))
PRIVATE_STORAGE_ROOT = VAR_DIR / "test-private"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not shared memory, so that threads and a live server see committed data the
    # way separate processes would.
    # One file per test process, so parallel runs on one machine never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
