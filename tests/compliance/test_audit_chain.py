"""The audit trail: an append-only hash chain that can be verified end to end.

Runs unchanged on SQLite and PostgreSQL; tampering is done the way an attacker with database
access would, by lifting the trigger and using raw SQL.
"""

import os
import subprocess
import sys
import threading
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from accounts.models import User
from compliance import triggers
from compliance.audit import (
    GENESIS_HASH,
    HASHED_FIELDS,
    audit_checkpoint_record,
    audit_record,
    audit_verify,
    compute_hash,
)
from compliance.models import AuditCheckpoint, AuditEvent
from compliance.tasks import audit_verify_checkpoint
from config.celery import app as celery_app

BASE_DIR = Path(settings.BASE_DIR)
APPEND_ONLY = "append-only"


def _append(count: int, **extra) -> list[AuditEvent]:
    return [audit_record(action="test.event", object_id=str(i), **extra) for i in range(count)]


def _raw(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _tamper(sql: str, params=()) -> int:
    """Lift the append-only trigger, run one statement, put the trigger back."""
    triggers.remove(connection)
    try:
        return _raw(sql, params)
    finally:
        triggers.install(connection)


# Tests that tamper or use threads need committed data. They carry the transaction=True mark
# and also name `transactional_db`, which the suite's teardown looks for to empty the
# append-only table on SQLite before the database is flushed.


def _database_url() -> str:
    """A DATABASE_URL for the database this test is using (the test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _verify_audit_process() -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "verify_audit"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# Appending and verifying ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_empty_chain_verifies():
    result = audit_verify()

    assert result.ok
    assert (result.checked, result.last_sequence, result.last_hash) == (0, None, "")


@pytest.mark.django_db
def test_appended_events_form_a_chain_that_verifies():
    actor = User.objects.create_user(email="sam@example.gov.uk", full_name="Sam")

    events = _append(3, actor=actor, role="regional_prevent_adviser", reason="triage")

    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    stored = list(AuditEvent.objects.all())
    assert [e.hash for e in stored] == [e.hash for e in events]
    assert stored[0].actor_email == "sam@example.gov.uk"
    result = audit_verify()
    assert result.ok, result.problem
    assert (result.checked, result.last_sequence, result.last_hash) == (3, 3, events[-1].hash)


@pytest.mark.django_db
def test_the_hash_covers_every_recorded_field():
    event = audit_record(action="case.viewed", case_reference="PR-1", detail={"b": 1, "a": [2]})
    stored = AuditEvent.objects.get(pk=event.pk)
    fields = {name: getattr(stored, name) for name in HASHED_FIELDS}

    assert compute_hash(stored.prev_hash, fields) == stored.hash
    for name, other in [("action", "case.edited"), ("case_reference", "PR-2"), ("detail", {})]:
        assert compute_hash(stored.prev_hash, {**fields, name: other}) != stored.hash


@pytest.mark.django_db
def test_details_of_any_json_shape_still_verify_after_the_database_round_trip():
    audit_record(
        action="test.detail",
        detail={
            "z": "last key first",
            "when": date(2025, 3, 31),
            "amount": Decimal("1.50"),
            "nested": {"b": [1, 2.5, None, True], "a": "ünïcode – quote \" '"},
            "big": 2**53 + 1,
        },
    )
    audit_record(action="test.detail", detail=None)

    result = audit_verify()

    assert result.ok, result.problem
    assert result.checked == 2


# Tampering is detected -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_verify_reports_a_row_altered_by_raw_sql(transactional_db):
    _append(4)

    changed = _tamper(
        "UPDATE compliance_auditevent SET reason = %s WHERE sequence = %s", ["covered up", 2]
    )

    assert changed == 1
    result = audit_verify()
    assert not result.ok
    assert result.first_broken_sequence == 2
    assert result.checked == 1
    assert result.problem == "Event 2: its contents do not match its hash (the row was altered)"


@pytest.mark.django_db(transaction=True)
def test_verify_reports_a_row_altered_and_rehashed_at_the_next_link(transactional_db):
    events = _append(4)
    forged = {name: getattr(AuditEvent.objects.get(sequence=2), name) for name in HASHED_FIELDS}
    forged["action"] = "test.forged"
    forged_hash = compute_hash(events[0].hash, forged)

    _tamper(
        "UPDATE compliance_auditevent SET action = %s, hash = %s WHERE sequence = %s",
        ["test.forged", forged_hash, 2],
    )

    result = audit_verify()
    assert not result.ok
    assert result.first_broken_sequence == 3
    assert result.problem == "Event 3: its previous-hash does not match the event before it"


@pytest.mark.django_db(transaction=True)
def test_verify_reports_a_deleted_row(transactional_db):
    _append(5)

    deleted = _tamper("DELETE FROM compliance_auditevent WHERE sequence = %s", [3])

    assert deleted == 1
    result = audit_verify()
    assert not result.ok
    assert result.first_broken_sequence == 4
    assert (result.checked, result.last_sequence) == (2, 2)
    assert result.problem == "Event 4: expected event 3 but found 4 (a row is missing)"


@pytest.mark.django_db(transaction=True)
def test_the_trigger_is_back_after_tampering(transactional_db):
    _append(2)
    _tamper("UPDATE compliance_auditevent SET reason = 'x' WHERE sequence = 1")

    with pytest.raises(DatabaseError, match=APPEND_ONLY):
        _raw("UPDATE compliance_auditevent SET reason = 'y' WHERE sequence = 2")


# The trigger refuses changes -----------------------------------------------------------------


def _refused(change) -> None:
    """The change must be refused by the database; a savepoint keeps the test usable after."""
    with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic():
        change()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE compliance_auditevent SET reason = 'x'",
        "UPDATE compliance_auditevent SET hash = prev_hash WHERE sequence = 2",
        "DELETE FROM compliance_auditevent",
        "DELETE FROM compliance_auditevent WHERE sequence = 1",
    ],
)
def test_raw_sql_updates_and_deletes_are_refused(sql):
    events = _append(2)

    _refused(lambda: _raw(sql))

    assert list(AuditEvent.objects.values_list("hash", flat=True)) == [e.hash for e in events]
    assert audit_verify().ok


@pytest.mark.django_db
def test_orm_updates_and_deletes_are_refused():
    events = _append(2)
    event = AuditEvent.objects.get(sequence=1)

    def save_changed():
        event.reason = "changed"
        event.save()

    _refused(save_changed)
    _refused(lambda: AuditEvent.objects.filter(sequence=2).update(action="changed"))
    _refused(lambda: AuditEvent.objects.get(sequence=2).delete())
    _refused(lambda: AuditEvent.objects.all().delete())

    assert list(AuditEvent.objects.values_list("hash", flat=True)) == [e.hash for e in events]
    assert AuditEvent.objects.get(sequence=1).reason == ""
    assert audit_verify().ok


# Concurrent writers --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_leave_one_contiguous_valid_chain(transactional_db):
    writers, per_writer = 4, 15
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait(timeout=30)
            for i in range(per_writer):
                with transaction.atomic():
                    audit_record(action="test.concurrent", object_id=f"{n}-{i}")
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(t.is_alive() for t in threads)
    assert errors == []
    total = writers * per_writer
    assert list(AuditEvent.objects.values_list("sequence", flat=True)) == list(range(1, total + 1))
    assert AuditEvent.objects.values("prev_hash").distinct().count() == total
    assert set(AuditEvent.objects.values_list("object_id", flat=True)) == {
        f"{n}-{i}" for n in range(writers) for i in range(per_writer)
    }
    result = audit_verify()
    assert result.ok, result.problem
    assert result.checked == total


# The verify_audit command --------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_audit_command_reports_an_intact_chain():
    _append(3)
    out = StringIO()

    call_command("verify_audit", stdout=out)

    assert "Audit chain intact: 3 events verified." in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_verify_audit_command_fails_on_a_broken_chain(transactional_db):
    _append(3)
    _tamper("UPDATE compliance_auditevent SET object_id = 'x' WHERE sequence = 3")

    with pytest.raises(CommandError) as excinfo:
        call_command("verify_audit")

    assert excinfo.value.returncode == 1
    assert str(excinfo.value) == (
        "Audit chain BROKEN after 2 good events. "
        "Event 3: its contents do not match its hash (the row was altered)"
    )


@pytest.mark.django_db(transaction=True)
def test_verify_audit_exit_status_as_run_by_an_operator(transactional_db):
    _append(2)

    intact = _verify_audit_process()
    _tamper("DELETE FROM compliance_auditevent WHERE sequence = 1")
    broken = _verify_audit_process()

    assert intact.returncode == 0, intact.stderr
    assert "Audit chain intact: 2 events verified." in intact.stdout
    assert broken.returncode == 1
    assert "Audit chain BROKEN after 0 good events." in broken.stderr
    assert "expected event 1 but found 2 (a row is missing)" in broken.stderr


# The periodic checkpoint ---------------------------------------------------------------------


@pytest.mark.django_db
def test_checkpoint_task_records_an_intact_chain():
    events = _append(3)

    outcome = audit_verify_checkpoint.apply().get()

    assert outcome == {"ok": True, "checked": 3}
    checkpoint = AuditCheckpoint.objects.get()
    assert checkpoint.ok
    assert checkpoint.events_checked == 3
    assert checkpoint.last_sequence == 3
    assert checkpoint.last_hash == events[-1].hash
    assert checkpoint.first_broken_sequence is None and checkpoint.problem == ""


@pytest.mark.django_db(transaction=True)
def test_checkpoint_records_a_broken_chain(transactional_db):
    _append(3)
    _tamper("UPDATE compliance_auditevent SET team = 'x' WHERE sequence = 2")

    checkpoint = audit_checkpoint_record()

    assert not checkpoint.ok
    assert (checkpoint.events_checked, checkpoint.last_sequence) == (1, 1)
    assert checkpoint.first_broken_sequence == 2
    assert checkpoint.problem.startswith("Event 2:")
    assert AuditCheckpoint.objects.latest() == checkpoint


def test_checkpoint_runs_periodically():
    schedule = settings.CELERY_BEAT_SCHEDULE["verify-audit-chain"]

    assert schedule["task"] == audit_verify_checkpoint.name
    assert audit_verify_checkpoint.name in celery_app.tasks
