"""The complaint rate limit against a real shared cache (Redis), as production runs it.

Complaints from one address arrive at the same moment on separate threads, each with its own
Redis connection, the way separate gunicorn workers would send them: exactly the limit are
accepted and the rest are told how else to reach the unit.
"""

import os
import threading
import uuid

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from compliance.models import Complaint

pytestmark = pytest.mark.integration
# Redis DB 9 unless told otherwise; the broker uses another database.
CACHE_URL = os.environ.get("TEST_CACHE_URL", "redis://127.0.0.1:6379/9")
PUBLIC = reverse("compliance:complaint_public")


@pytest.fixture
def shared_cache(settings):
    """The real cache, under a prefix of its own: nothing else in that database is touched."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": f"ratelimit-test-{uuid.uuid4().hex}",
        }
    }
    return caches["default"]


def _answers(n: int) -> dict:
    return {
        "category": "referral_or_decision",
        "organisation": "Example Academy",
        "referral_reference": "",
        "what_happened": f"Complaint number {n}.",
        "outcome_sought": "An explanation.",
        "name": "Robin Example",
        "email": f"robin{n}@example.com",
        "phone": "",
        "address": "",
        "consent_to_raise": "yes",
        "leave_blank": "",
    }


@pytest.mark.django_db(transaction=True)
def test_exactly_the_limit_is_accepted_from_parallel_senders(settings, shared_cache):
    limit = settings.COMPLAINTS_PER_HOUR_PER_ADDRESS = 10
    senders = 24
    start = threading.Barrier(senders)
    statuses: list[int] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        client = Client(REMOTE_ADDR="203.0.113.50")
        start.wait(timeout=30)
        status = client.post(PUBLIC, _answers(n)).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(statuses) == senders
    assert statuses.count(302) == limit
    assert statuses.count(429) == senders - limit
    assert Complaint.objects.count() == limit
    # Another address is not affected.
    assert Client(REMOTE_ADDR="198.51.100.50").post(PUBLIC, _answers(99)).status_code == 302
