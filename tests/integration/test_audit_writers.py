"""Many writers appending to the audit trail at once, on PostgreSQL: 8 threads, each with its
own connection, commit 2,000 events each in small transactions while the sealer runs beside
them, as the beat job and the after-commit tasks do. The chain that results is one gap-free,
valid chain holding every event exactly once, in each writer's own commit order."""

import threading

import pytest
from django.db import connection, transaction

from compliance.audit import audit_record, audit_seal, audit_verify
from compliance.models import AuditEvent

pytestmark = pytest.mark.integration
WRITERS, PER_WRITER, PER_TRANSACTION = 8, 2000, 5


@pytest.mark.django_db(transaction=True)
def test_eight_writers_of_two_thousand_events_leave_one_valid_chain():
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL: set DATABASE_URL (see the README)")
    start = threading.Barrier(WRITERS + 1)
    done = threading.Event()
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait(timeout=30)
            for first in range(0, PER_WRITER, PER_TRANSACTION):
                with transaction.atomic():
                    for i in range(first, first + PER_TRANSACTION):
                        audit_record(action="test.writer", object_id=f"{n}-{i:04d}")
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            connection.close()

    def seal() -> None:
        try:
            start.wait(timeout=30)
            while not done.is_set():
                audit_seal()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    sealer = threading.Thread(target=seal)
    for thread in [*writers, sealer]:
        thread.start()
    for thread in writers:
        thread.join(timeout=600)
    done.set()
    sealer.join(timeout=120)
    assert not any(t.is_alive() for t in [*writers, sealer])
    assert errors == []

    while audit_seal():  # whatever committed after the sealer's last pass
        pass
    total = WRITERS * PER_WRITER
    assert AuditEvent.objects.filter(sequence__isnull=True).count() == 0
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, total + 1))
    for n in range(WRITERS):
        own = AuditEvent.objects.filter(object_id__startswith=f"{n}-").order_by("sequence")
        assert list(own.values_list("object_id", flat=True)) == [
            f"{n}-{i:04d}" for i in range(PER_WRITER)
        ]
    result = audit_verify()
    assert result.ok and result.checked == total, result.problem
