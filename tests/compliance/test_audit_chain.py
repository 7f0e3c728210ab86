"""The audit trail: an append-only chain, sealed with a key after commit, verifiable end to end.

Runs unchanged on SQLite and PostgreSQL; tampering is done the way an attacker with database
access would, by lifting the trigger and using raw SQL.
"""

import hashlib
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import User
from compliance import triggers
from compliance.audit import (
    GENESIS_HASH,
    HASHED_FIELDS,
    audit_checkpoint_record,
    audit_record,
    audit_record_many,
    audit_seal,
    audit_verify,
    compute_hash,
)
from compliance.models import AuditCheckpoint, AuditEvent
from compliance.tasks import audit_verify_checkpoint
from config.celery import app as celery_app
from tests.compliance.factories import audit_events_bulk

BASE_DIR = Path(settings.BASE_DIR)
APPEND_ONLY = "append-only"


def _append(count: int, **extra) -> list[AuditEvent]:
    """Record events and seal them, as the sealer does after their commit."""
    ids = [audit_record(action="test.event", object_id=str(i), **extra).pk for i in range(count)]
    audit_seal()
    return list(AuditEvent.objects.filter(pk__in=ids).order_by("pk"))


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
    audit_seal()
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
    assert audit_seal() == 2

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
    audit_seal()  # a commit that landed while another sealer was at work
    total = writers * per_writer
    # Sealed in commit order, which need not be the order the rows were inserted in.
    sealed = AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True)
    assert list(sealed) == list(range(1, total + 1))
    for n in range(writers):  # each writer's own commits keep their order
        own = AuditEvent.objects.filter(object_id__startswith=f"{n}-").order_by("sequence")
        assert [e.object_id for e in own] == [f"{n}-{i}" for i in range(per_writer)]
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


# Sealing after commit ------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_event_is_appended_unsealed_and_sealed_once_committed(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = audit_record(action="test.one")
        second = audit_record(action="test.two")
    # Writing takes no chain lock: the events wait, unsealed, for their transaction to commit.
    assert AuditEvent.objects.filter(sequence__isnull=True).count() == 2
    assert first.hash is None and first.prev_hash == ""
    assert len(callbacks) == 1  # one request to seal per transaction, however many events

    callbacks[0]()

    sealed = list(AuditEvent.objects.order_by("pk"))
    assert [(e.pk, e.sequence) for e in sealed] == [(first.pk, 1), (second.pk, 2)]
    assert sealed[0].prev_hash == GENESIS_HASH and sealed[1].prev_hash == sealed[0].hash
    assert {e.key_id for e in sealed} == {settings.AUDIT_CHAIN_KEY_ID}
    assert audit_seal() == 0
    assert audit_verify().ok


@pytest.mark.django_db
def test_the_triggers_allow_sealing_but_not_changing_an_unsealed_event():
    event = audit_record(action="test.unsealed")

    _refused(
        lambda: _raw("UPDATE compliance_auditevent SET reason = 'x' WHERE id = %s", [event.pk])
    )
    _refused(
        lambda: _raw(
            "UPDATE compliance_auditevent SET sequence = 1, hash = 'h', action = 'x' WHERE id = %s",
            [event.pk],
        )
    )
    _refused(lambda: _raw("DELETE FROM compliance_auditevent WHERE id = %s", [event.pk]))
    assert audit_seal() == 1
    # Sealed, it can never be sealed again.
    _refused(lambda: _raw("UPDATE compliance_auditevent SET hash = 'h2', key_id = 'x'"))
    assert audit_verify().ok


@pytest.mark.django_db
def test_an_event_left_unsealed_for_long_is_reported():
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False):
        waiting = audit_record(action="test.waiting")
    assert AuditEvent.objects.get(pk=waiting.pk).sequence is None
    with time_machine.travel(datetime(2026, 12, 1, 9, 10, tzinfo=UTC), tick=False):
        result = audit_verify()

    assert not result.ok
    assert f"event id {waiting.pk}" in result.problem and "is the sealer running?" in result.problem
    audit_seal()
    assert audit_verify().ok


# The key -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_rewrite_without_the_key_is_detected(transactional_db):
    """Someone with full database access rewrites every event after the first and recomputes
    every link, as plain SHA-256 would allow; without the key the links do not verify."""
    _append(5)
    rows = list(AuditEvent.objects.order_by("pk"))
    prev = rows[0].hash
    triggers.remove(connection)
    try:
        for row in rows[1:]:
            fields = {name: getattr(row, name) for name in HASHED_FIELDS}
            fields["reason"] = "rewritten"
            body = json.dumps(
                {
                    k: (v.isoformat(timespec="microseconds") if k == "occurred_at" else v)
                    for k, v in fields.items()
                },
                sort_keys=True,
                separators=(",", ":"),
                default=str,
            )
            forged = hashlib.sha256(f"{row.key_id}|{prev}|{body}".encode()).hexdigest()
            _raw(
                "UPDATE compliance_auditevent SET reason = %s, prev_hash = %s, hash = %s "
                "WHERE id = %s",
                ["rewritten", prev, forged, row.pk],
            )
            prev = forged
    finally:
        triggers.install(connection)

    result = audit_verify()
    assert not result.ok
    assert result.first_broken_sequence == 2
    assert result.problem == "Event 2: its contents do not match its hash (the row was altered)"


@pytest.mark.django_db
def test_events_sealed_under_a_retired_key_still_verify(settings):
    _append(2)
    old_key, old_id = settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_KEY_ID
    settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_KEY_ID = (
        "a-new-key-after-rotation-000000000",
        "2",
    )
    settings.AUDIT_CHAIN_RETIRED_KEYS = {old_id: old_key}
    _append(2)

    assert list(AuditEvent.objects.order_by("pk").values_list("key_id", flat=True)) == [
        old_id,
        old_id,
        "2",
        "2",
    ]
    assert audit_verify().ok
    settings.AUDIT_CHAIN_RETIRED_KEYS = {}
    result = audit_verify()
    assert not result.ok
    assert (
        result.problem
        == f"Event 1: it was sealed with key {old_id!r}, which this service does not hold"
    )


# Anchors outside the chain -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_events_cut_from_the_end_are_found_by_the_exported_checkpoint(transactional_db):
    _append(5)
    checkpoint = audit_checkpoint_record()
    assert checkpoint.ok and checkpoint.last_sequence == 5
    exported = Path(settings.AUDIT_CHECKPOINT_FILE).read_text().splitlines()
    assert len(exported) == 1 and json.loads(exported[0])["checkpoint"]["last_sequence"] == 5

    # The end of the chain and every checkpoint in the database are deleted.
    triggers.remove(connection)
    try:
        _raw("DELETE FROM compliance_auditevent WHERE sequence > 3")
        _raw("DELETE FROM compliance_auditcheckpoint")
    finally:
        triggers.install(connection)

    result = audit_verify()
    assert not result.ok
    assert result.first_broken_sequence == 5
    assert "events were removed from the end of the chain" in result.problem


@pytest.mark.django_db(transaction=True)
def test_a_forged_line_in_the_export_is_ignored(transactional_db):
    _append(2)
    audit_checkpoint_record()
    with open(settings.AUDIT_CHECKPOINT_FILE, "a") as export:
        forged = {"last_sequence": 99, "last_hash": "x", "ok": True, "first_hash": "y"}
        export.write(json.dumps({"checkpoint": forged, "key_id": "1", "mac": "0" * 64}) + "\n")

    assert audit_verify().ok


@pytest.mark.django_db
def test_checkpoints_are_append_only():
    _append(1)
    audit_checkpoint_record()

    _refused(lambda: _raw("UPDATE compliance_auditcheckpoint SET ok = false"))
    _refused(lambda: _raw("DELETE FROM compliance_auditcheckpoint"))
    assert AuditCheckpoint.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_dropped_trigger_is_noticed(transactional_db):
    _append(2)
    triggers.remove(connection)
    try:
        result = audit_verify()
    finally:
        triggers.install(connection)

    assert not result.ok
    assert result.problem.startswith("The append-only triggers are missing or disabled:")
    assert audit_verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_the_application_role_cannot_lift_the_trigger_or_change_events(transactional_db):
    """The grants README.md gives the application's role, tried as that role."""
    _append(2)
    role = "prevent_app_test"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {role}")
        cursor.execute(f"CREATE ROLE {role}")
        for sql in Path(BASE_DIR / "deploy" / "postgres-app-role.sql").read_text().split(";"):
            if sql.strip() and "compliance_audit" in sql:
                cursor.execute(sql.replace("prevent_app", role))
    try:
        for sql in [
            "ALTER TABLE compliance_auditevent DISABLE TRIGGER auditevent_append_only",
            "UPDATE compliance_auditevent SET reason = 'x'",
            "DELETE FROM compliance_auditevent",
            "DELETE FROM compliance_auditcheckpoint",
            "TRUNCATE compliance_auditevent",
            "DROP TRIGGER auditevent_append_only ON compliance_auditevent",
        ]:
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL ROLE {role}")
                cursor.execute(sql)
        # What it must do, it can: append and seal.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL ROLE {role}")
            audit_record(action="test.as_app")
            assert audit_seal() == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")
    assert audit_verify().ok


@pytest.mark.django_db
def test_an_operations_events_go_in_one_statement_and_are_sealed_in_order(
    django_assert_num_queries,
):
    audit_record(action="test.before")
    with django_assert_num_queries(1):
        rows = audit_record_many(
            [{"action": "test.many", "object_id": str(n), "detail": {"n": n}} for n in range(5)]
        )
    assert audit_record_many([]) == []
    audit_seal()
    sealed = AuditEvent.objects.filter(action="test.many").order_by("sequence")
    assert [e.object_id for e in sealed] == ["0", "1", "2", "3", "4"]
    assert [e.pk for e in sealed] == [r.pk for r in rows]
    assert sealed.first().sequence == AuditEvent.objects.get(action="test.before").sequence + 1
    assert audit_verify().ok


# Verifying since a checkpoint, and in parallel ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_since_the_checkpoint_only_the_new_events_are_walked(transactional_db):
    _append(6)
    audit_checkpoint_record()
    _append(3)
    result = audit_verify(since_checkpoint=True)
    assert result.ok and result.checked == 3 and result.last_sequence == 9
    full = audit_verify()
    assert full.ok and full.checked == 9 and full.last_hash == result.last_hash

    # An event altered after the checkpoint is found by the short walk...
    _tamper("UPDATE compliance_auditevent SET reason = 'x' WHERE sequence = 8")
    short = audit_verify(since_checkpoint=True)
    assert not short.ok and short.first_broken_sequence == 8 and short.checked == 1


@pytest.mark.django_db(transaction=True)
def test_a_forged_checkpoint_is_no_anchor(transactional_db):
    _append(5)
    _tamper("UPDATE compliance_auditevent SET reason = 'x' WHERE sequence = 2")
    last = AuditEvent.objects.get(sequence=5)
    # Anyone who can insert may add a "good" checkpoint at the end, but not its MAC.
    AuditCheckpoint.objects.create(
        ok=True,
        events_checked=5,
        last_sequence=5,
        last_hash=last.hash,
        first_hash=AuditEvent.objects.get(sequence=1).hash,
        key_id=settings.AUDIT_CHAIN_KEY_ID,
        mac="0" * 64,
        verified_at=timezone.now(),
    )
    result = audit_verify(since_checkpoint=True)  # walks from the start: the edit is found
    assert not result.ok and result.first_broken_sequence == 2


@pytest.mark.django_db(transaction=True)
def test_with_no_checkpoint_since_means_from_the_start(transactional_db):
    _append(4)
    result = audit_verify(since_checkpoint=True)
    assert result.ok and result.checked == 4


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [2, 3])
def test_workers_verify_the_whole_chain_and_find_a_broken_link(transactional_db, workers):
    audit_events_bulk(3001)
    audit_seal()
    result = audit_verify(workers=workers)
    assert result.ok and result.checked == 3001 and result.last_sequence == 3001
    assert result.last_hash == audit_verify(workers=1).last_hash

    _tamper("UPDATE compliance_auditevent SET reason = 'x' WHERE sequence = 2900")
    broken = audit_verify(workers=workers)
    assert not broken.ok and broken.first_broken_sequence == 2900 and broken.checked == 2899


@pytest.mark.django_db(transaction=True)
def test_workers_find_a_link_broken_where_their_ranges_meet(transactional_db):
    audit_events_bulk(1000)
    audit_seal()
    # The second worker's first event (501) is re-linked to a made-up previous hash: each
    # range on its own still verifies from its first row; only the join can tell.
    _tamper("UPDATE compliance_auditevent SET prev_hash = %s WHERE sequence = 501", ["f" * 64])
    result = audit_verify(workers=2)
    assert not result.ok and result.first_broken_sequence == 501
    assert result.checked == 500
