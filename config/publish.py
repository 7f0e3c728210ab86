"""Hand a task to the broker from inside a request without ever making the request wait.

Every publish in the service runs after a commit, and every one has a safety net that does
not need the broker (the outbox's resend job, the periodic audit sealer). So a publish that
fails is logged and dropped, and once one has failed this process stops trying for
``PUBLISH_PAUSE_SECONDS``: a request that would publish five tasks during an outage
pays for one failed attempt, not five, and the requests after it pay nothing.
"""

import logging
import threading
import time

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_paused_until = 0.0


def publish(task_name: str, *args) -> bool:
    """Queue ``task_name`` by the name the worker knows it by; False if it was not queued."""
    global _paused_until
    if not current_app.conf.task_always_eager and time.monotonic() < _paused_until:
        logger.warning("Broker recently unavailable; %s not queued", task_name)
        return False
    task = current_app.tasks[task_name]  # an unknown name is a defect: it is not swallowed
    try:
        task.delay(*args)
    except Exception as exc:  # noqa: BLE001 - every caller has a periodic safety net
        with _lock:
            _paused_until = time.monotonic() + settings.PUBLISH_PAUSE_SECONDS
        logger.warning(
            "Broker unavailable; %s not queued (%s: %s)", task_name, type(exc).__name__, exc
        )
        return False
    return True


def publish_resume() -> None:
    """Forget a recent failure, so the next publish tries the broker at once."""
    global _paused_until
    with _lock:
        _paused_until = 0.0
