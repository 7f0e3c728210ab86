"""A worker that survives a Redis restart: a minimal guard around one kombu defect.

kombu's Redis transport (5.7.0, the newest release, and every release since 3.0; upstream
celery/kombu#970 and #582, closed without a fix) restores a channel's unacknowledged messages
when the channel closes. After a lost broker connection the channel may outlive its
transport's link to the connection (`Connection._do_close_transport` sets the transport's
`client` to None), and the restore then fails building a new Redis pool:
`_connparams` reads `conninfo.hostname` from None and raises
`AttributeError: 'NoneType' object has no attribute 'hostname'`, which can take the worker
down. Nothing is lost by not restoring there: with acks_late the messages are still in Redis's
`unacked` hash, and the transport puts them back on the queue once `visibility_timeout` passes
(`QoS.restore_visible`); the outbox's resend job re-queues any email in any case.

`install()` wraps `kombu.transport.redis.QoS.restore_unacked` so that, when the channel has no
connection details left to restore with, it logs and leaves the messages to that mechanism.
It runs once, when the Celery app is created (config/celery.py), and is idempotent.
"""

import functools
import logging

from kombu.transport import redis as kombu_redis

logger = logging.getLogger(__name__)
_MARK = "_prevent_guarded"


def _has_connection_details(qos) -> bool:
    transport = getattr(qos.channel, "connection", None)
    return transport is not None and getattr(transport, "client", None) is not None


def install() -> None:
    original = kombu_redis.QoS.restore_unacked
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def restore_unacked(self, client=None):
        if client is None and not _has_connection_details(self):
            logger.warning(
                "Broker connection gone; %s unacknowledged message(s) left in Redis to be "
                "restored after the visibility timeout",
                len(self._delivered),
            )
            self._delivered.clear()
            return None
        return original(self, client)

    setattr(restore_unacked, _MARK, True)
    kombu_redis.QoS.restore_unacked = restore_unacked
