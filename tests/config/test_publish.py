"""config.publish: the one way the service queues a task from a request."""

import pytest
from celery.exceptions import NotRegistered

from compliance.audit import SEAL_TASK, audit_record
from compliance.models import AuditEvent
from config.publish import publish


@pytest.mark.django_db
def test_an_unknown_task_name_is_a_defect_not_an_outage():
    with pytest.raises(NotRegistered):
        publish("compliance.tasks.no_such_task")
    # ...and it did not pause the publishes that follow.
    assert publish(SEAL_TASK) is True


@pytest.mark.django_db
def test_a_queued_task_runs_in_process_when_there_is_no_broker():
    audit_record(action="test.publish")
    assert AuditEvent.objects.get(action="test.publish").sequence is None
    assert publish(SEAL_TASK) is True
    assert AuditEvent.objects.get(action="test.publish").sequence is not None
