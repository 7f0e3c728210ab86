"""A real Celery worker process, consuming from the broker in CELERY_BROKER_URL.

The worker runs the test settings against the *test* database, so work it does is visible to
tests that commit their data (transactional_db). Integration tests need Redis: without
CELERY_BROKER_URL they fail rather than pass unnoticed (`make test` deselects them).
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
STARTUP_TIMEOUT = 60


def _database_url(db: dict) -> str:
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(broker_url: str) -> dict[str, str]:
    """The environment of a process that uses the test database with the given broker."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_BROKER_URL": broker_url,
        "DATABASE_URL": _database_url(connection.settings_dict),
    }


def _log_tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def celery_broker_url() -> str:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker:
        pytest.fail(
            "Integration tests need a Redis broker: set CELERY_BROKER_URL "
            "(e.g. redis://127.0.0.1:6379/15), or deselect them with -m 'not integration'.",
            pytrace=False,
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.fail("CELERY_BROKER_URL is set but Celery is eager; check the settings.")
    return broker


@pytest.fixture(scope="session")
def celery_mail_dir(tmp_path_factory) -> Path:
    """Where the worker's emails are written, one file per message sent."""
    return tmp_path_factory.mktemp("worker-mail")


@pytest.fixture(scope="session")
def celery_worker(celery_broker_url, django_db_setup, tmp_path_factory, celery_mail_dir):
    """Start one worker for the session; stop it before the test database is destroyed."""
    from config.celery import app

    hostname = f"integration-{uuid.uuid4().hex[:8]}@localhost"
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_BROKER_URL": celery_broker_url,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(celery_mail_dir),
    }
    env.pop("CELERY_RESULT_BACKEND", None)  # the same default as the tests: the broker

    app.control.purge()  # nothing left over from an earlier run is delivered to this worker
    with log.open("w") as log_file:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-Q",
                "celery",
                "--hostname",
                hostname,
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not app.control.ping(destination=[hostname], timeout=1.0):
            if worker.poll() is not None:
                pytest.fail(f"The Celery worker exited at start-up:\n{_log_tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"The Celery worker did not answer a ping:\n{_log_tail(log)}")
        yield hostname
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
