"""The guard in config/kombu_fix.py, against the kombu defect it exists for, on a real Redis.

A channel that outlives its transport's link to the connection (as after a lost broker
connection) cannot restore its unacknowledged messages: unguarded, kombu raises
AttributeError ('NoneType' object has no attribute 'hostname'), which took workers down.
Guarded, it leaves them in Redis, from where the visibility timeout restores them.
"""

import os
import uuid

import pytest
from kombu import Connection, Queue
from kombu.transport import redis as kombu_redis

from config import kombu_fix

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("TEST_CACHE_URL", "redis://127.0.0.1:6379/9")


@pytest.fixture
def delivered_unacked():
    """A channel holding one delivered, unacknowledged message, whose transport has let go."""
    name = f"kombu-fix-{uuid.uuid4().hex}"
    queue = Queue(name, routing_key=name)
    connection = Connection(REDIS_URL, transport_options={"visibility_timeout": 0})
    with connection.Producer() as producer:
        producer.publish({"n": 1}, routing_key=name, declare=[queue])
    channel = connection.channel()
    received = []
    consumer = connection.Consumer(
        queue, channel=channel, callbacks=[lambda b, m: received.append(b)]
    )
    consumer.consume()
    connection.drain_events(timeout=5)
    assert received == [{"n": 1}] and len(channel.qos._delivered) == 1
    transport = connection.transport
    transport.client = None  # what kombu's Connection._do_close_transport does
    channel._pool = None
    yield channel, name
    channel.qos._on_collect.cancel()  # no restore at interpreter exit, after the test
    with Connection(REDIS_URL) as clean:
        clean.default_channel.queue_delete(name)


def test_unguarded_kombu_crashes_on_the_restore(delivered_unacked):
    channel, _ = delivered_unacked
    unguarded = kombu_redis.QoS.restore_unacked.__wrapped__
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'hostname'"):
        unguarded(channel.qos)


def test_the_guard_leaves_the_message_to_the_visibility_timeout(delivered_unacked, caplog):
    channel, name = delivered_unacked
    kombu_fix.install()  # idempotent: already installed by config.celery
    assert getattr(kombu_redis.QoS.restore_unacked, "_prevent_guarded", False)

    channel.qos.restore_unacked_once()  # does not raise

    assert "left in Redis" in caplog.text
    with Connection(REDIS_URL, transport_options={"visibility_timeout": 0}) as other:
        other_channel = other.default_channel
        other_channel.qos.restore_visible(num=100, interval=1)  # what a live worker runs
        message = other.SimpleQueue(name).get(timeout=5)
        assert message.payload == {"n": 1}
        message.ack()
