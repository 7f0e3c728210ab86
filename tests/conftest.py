"""Fixtures shared by the whole suite."""

import logging
from datetime import date

import pytest
from django.db import connection

from compliance import triggers
from config.publish import publish_resume
from referrals.models import Referral
from tests.cases import People, people_make, submit_referral
from tests.clients import APIClient, Client


@pytest.fixture
def client() -> Client:
    """pytest-django's `client`, signing in with a verified second factor (tests/clients.py)."""
    return Client()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def admin_client(admin_user) -> Client:
    """pytest-django's `admin_client`, signed in with a verified second factor like staff."""
    signed_in = Client()
    signed_in.force_login(admin_user)
    return signed_in


@pytest.fixture(autouse=True)
def _append_only_audit_table(request):
    """Keep the audit table's append-only triggers in place, yet let test databases reset.

    Transactional tests end with a flush: DELETE on SQLite, TRUNCATE on PostgreSQL, both of
    which the triggers refuse. For those tests the triggers are lifted at teardown (which
    runs before the flush because `transactional_db` is requested here) and put back at the
    start of the next test that uses the database.
    """
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    ) or bool({"transactional_db", "live_server"} & names)
    uses_db = transactional or marker is not None or "db" in names
    if transactional:
        request.getfixturevalue("transactional_db")
    elif uses_db:
        request.getfixturevalue("db")
    if uses_db:
        triggers.install(connection)
    yield
    if transactional:
        triggers.remove(connection)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                # Refusal counters point at their audit event: they go first.
                cursor.execute("DELETE FROM compliance_refusedaccess")
                cursor.execute("DELETE FROM compliance_auditevent")
        else:
            _reference_sequences_drop()


def _reference_sequences_drop() -> None:
    """The flush empties the tables but keeps PostgreSQL's per-year reference sequences
    (config/references.py): drop them too, so the next test numbers from 1 as on a new
    database. (A test in a transaction that rolls back leaves none: creating one rolls back.)
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sequence_name FROM information_schema.sequences "
            "WHERE sequence_schema = current_schema() "
            "AND sequence_name ~ '^[a-z]+_reference_[0-9]+$'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP SEQUENCE IF EXISTS {connection.ops.quote_name(name)}")


@pytest.fixture(autouse=True)
def _audit_checkpoint_export(settings, tmp_path):
    """Each test exports its audit checkpoints to its own file, as each deployment does."""
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "audit-checkpoints.jsonl")


@pytest.fixture(autouse=True)
def _publish_unpaused():
    """A broker failure in one test does not pause the next test's publishes."""
    publish_resume()
    yield
    publish_resume()


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Run Celery tasks in the test process, except in the integration tests.

    With CELERY_BROKER_URL set (CI's PostgreSQL + Redis run) the service publishes to the
    broker; the integration tests start a real worker for that. Every other test runs its
    tasks eagerly, as the embedded default does, so it can assert on their effects.
    """
    from config.celery import app

    if request.node.get_closest_marker("integration"):
        yield
        return
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def regions_loaded(db):
    """Reference data comes from data migrations; transactional tests flush it, so reload it."""
    from django.contrib.auth.models import Group

    from accounts.roles import Role
    from regions.models import Team
    from regions.services import regions_load

    for role in Role:
        Group.objects.get_or_create(name=role.value)
    if not Team.objects.exists():
        regions_load()


@pytest.fixture
def people(db) -> People:
    """The people of a Camden case, and of other areas who must see nothing of it."""
    return people_make()


@pytest.fixture
def referral(people) -> Referral:
    return submit_referral(people.referrer)


@pytest.fixture
def child_referral(people) -> Referral:
    return submit_referral(people.referrer, dob=date(2011, 3, 2), first_name="Young")


@pytest.fixture
def quiet_request_log():
    """Thousands of refused requests: keep their warnings out of the output (server errors
    are collected by the test itself)."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture
def private_storage(settings, tmp_path):
    """Documents go to this test's own directory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
