"""The Celery application: tasks are discovered in every installed app's tasks.py."""

import os

from celery import Celery, Task

from config.kombu_fix import install as kombu_restore_guard_install

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# Before any worker connects: a Redis restart must not take the worker down (see the module).
kombu_restore_guard_install()


class ReliableTask(Task):
    """Default for every task: retry transient failures with jittered exponential back-off.

    Tasks are idempotent by design (they take ids and re-check state), so a retry or a
    redelivery after a worker is lost (acks_late) never does the work twice. None returns a
    result to anyone (CELERY_TASK_IGNORE_RESULT): their outcomes are in the database.
    """

    autoretry_for = (ConnectionError, TimeoutError, OSError)
    retry_backoff = 5
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 8


app = Celery("prevent", task_cls=ReliableTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
