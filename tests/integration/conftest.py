"""A real Celery worker process, consuming from the broker in CELERY_BROKER_URL.

The worker runs the test settings against the *test* database, so work it does is visible to
tests that commit their data (transactional_db). Integration tests need Redis: without
CELERY_BROKER_URL they fail rather than pass unnoticed (`make test` deselects them).
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
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


def start_worker(*, broker_url: str, log: Path, extra_env: dict | None = None):
    """Start a solo-pool worker process on `broker_url`; returns (process, hostname).

    The caller stops it (`stop_worker`), by its process id.
    """
    hostname = f"integration-{uuid.uuid4().hex[:8]}@localhost"
    env = {**worker_env(broker_url), **(extra_env or {})}
    env.pop("CELERY_RESULT_BACKEND", None)  # as deployed: fire-and-forget, no result store
    with log.open("a") as log_file:
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
    return worker, hostname


def wait_for_worker(app, worker: subprocess.Popen, hostname: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not app.control.ping(destination=[hostname], timeout=1.0):
        if worker.poll() is not None:
            pytest.fail(f"The Celery worker exited at start-up:\n{_log_tail(log)}")
        if time.monotonic() > deadline:
            pytest.fail(f"The Celery worker did not answer a ping:\n{_log_tail(log)}")


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)


@pytest.fixture(scope="session")
def celery_worker(celery_broker_url, django_db_setup, tmp_path_factory, celery_mail_dir):
    """Start one worker for the session; stop it before the test database is destroyed."""
    from config.celery import app

    log = tmp_path_factory.mktemp("celery") / "worker.log"
    app.control.purge()  # nothing left over from an earlier run is delivered to this worker
    worker, hostname = start_worker(
        broker_url=celery_broker_url,
        log=log,
        extra_env={
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(celery_mail_dir),
        },
    )
    try:
        wait_for_worker(app, worker, hostname, log)
        yield hostname
    finally:
        stop_worker(worker)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of this test's own, on a spare port, that the test may stop and start.

    Only this process is ever stopped (by its process id): never the shared Redis.
    """

    def __init__(self, directory: Path):
        self.port = _free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail("The test's own redis-server did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def celery_on(own_redis, monkeypatch):
    """The test process's Celery app publishing to the test's own Redis, then put back."""
    from config.celery import app

    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", own_redis.url)
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}

    def new_connections():
        # Pools hold connections to the broker they were made for: drop them, the way
        # Celery itself does after a fork, so the next publish uses the configured broker.
        app._pool = None
        app.amqp._producer_pool = None
        app.control.mailbox.__dict__.pop("producer_pool", None)

    app.conf.update(broker_url=own_redis.url, task_always_eager=False)
    new_connections()
    yield app
    app.conf.update(saved)
    new_connections()
