"""Tasks go through Redis to a real worker process, against the test database.

Tasks are fire-and-forget (no result backend): a test sees a task's work in the database.
"""

import time

import pytest
from celery.result import AsyncResult, EagerResult

from compliance.audit import audit_record
from compliance.models import AuditCheckpoint, AuditEvent
from compliance.tasks import audit_verify_checkpoint
from config.celery import app

pytestmark = pytest.mark.integration


def test_the_worker_answers_on_the_broker(celery_worker):
    replies = app.control.ping(destination=[celery_worker], timeout=5.0)

    assert replies == [{celery_worker: {"ok": "pong"}}]
    registered = app.control.inspect(destination=[celery_worker], timeout=5.0).registered()
    assert audit_verify_checkpoint.name in registered[celery_worker]


def checkpoints_after(count: int, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while AuditCheckpoint.objects.count() < count:
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the worker")
        time.sleep(0.2)
    return AuditCheckpoint.objects.order_by("pk")


@pytest.mark.django_db(transaction=True)
def test_checkpoint_task_round_trips_through_the_worker(celery_worker, transactional_db):
    events = [audit_record(action="integration.event", object_id=str(i)) for i in range(3)]

    result = audit_verify_checkpoint.delay()

    assert isinstance(result, AsyncResult) and not isinstance(result, EagerResult)
    checkpoint = checkpoints_after(1).get()
    assert checkpoint.ok
    assert (checkpoint.events_checked, checkpoint.last_sequence) == (3, 3)
    last = AuditEvent.objects.get(pk=events[-1].pk)
    assert (last.sequence, checkpoint.last_hash) == (3, last.hash)


@pytest.mark.django_db(transaction=True)
def test_each_run_sees_the_events_committed_before_it(celery_worker, transactional_db):
    audit_record(action="integration.event")
    audit_verify_checkpoint.delay()
    checkpoints_after(1)
    audit_record(action="integration.event")

    audit_verify_checkpoint.delay()

    assert list(checkpoints_after(2).values_list("events_checked", flat=True)) == [1, 2]
