from celery import shared_task
from viewflow.workflow.timers import fire_due_timers

from . import deadline_services


@shared_task
def workflow_fire_timers() -> int:
    """Fire due database timers: post-exit reviews are created on their due dates."""
    return fire_due_timers()


@shared_task
def tasks_mark_overdue() -> int:
    return deadline_services.tasks_mark_overdue()
