"""Scheduled work of the case processes. Each task is thin: it calls a service."""

from celery import shared_task
from viewflow.workflow.timers import fire_due_timers

from .engine import clocks


@shared_task
def workflow_fire_timers() -> int:
    """Fire due database timers: post-exit reviews are created on their due dates."""
    return fire_due_timers()


@shared_task
def tasks_mark_overdue() -> int:
    return clocks.tasks_mark_overdue()
