"""Faults the outbox must ride out, with real processes: the broker going away under load, and
the worker killed while an email is with the provider.

Each test starts its own redis-server and its own Celery worker (solo pool, so the worker is
the one process it kills), and stops only what it started, by process id. GOV.UK Notify is
the local fake (tests/notifications/fake_notify.py), which counts the emails it accepted per
reference: each copy of each notification has its own, so "exactly once" is a count of one.
"""

import re
import signal
import time

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from config.publish import publish, publish_resume
from notifications.models import Notification
from notifications.services import notification_queue, notifications_resend_pending
from referrals.models import Referral
from regions.selectors import route_local_authority
from tests.cases import CAMDEN, make_user
from tests.factories import DraftReferralFactory, ReferrerFactory, postcodes_load
from tests.notifications.fake_notify import API_KEY, TEMPLATE_ID, FakeNotifyServer

from .conftest import start_worker, stop_worker, wait_for_worker

pytestmark = pytest.mark.integration
Status = Notification.Status
# The most one failed publish may cost, from the settings: a stalled reply on a pooled
# connection (socket_timeout), then a reconnect attempt (connection timeout) on each of the
# two tries. Everything else a request does during an outage is a few milliseconds.
_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
PUBLISH_BUDGET = _options["socket_timeout"] + 2 * settings.CELERY_BROKER_CONNECTION_TIMEOUT
SLOWEST_REQUEST_SECONDS = PUBLISH_BUDGET + 1.0


@pytest.fixture
def notify():
    server = FakeNotifyServer().start()
    yield server
    server.stop()


@pytest.fixture
def notify_everywhere(notify, settings):
    """The worker and this process (for look-ups by reference) both send through the fake."""
    settings.EMAIL_BACKEND = "notifications.backends.NotifyEmailBackend"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFY_BASE_URL = notify.base_url
    return {
        "EMAIL_BACKEND": "notifications.backends.NotifyEmailBackend",
        "NOTIFY_API_KEY": API_KEY,
        "NOTIFY_TEMPLATE_ID": TEMPLATE_ID,
        "NOTIFY_BASE_URL": notify.base_url,
    }


def wait_until(condition, timeout: float, every: float = 0.2, then=None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        if then:
            then()
        time.sleep(every)


def _token(page) -> str:
    return re.search(r'name="submission_token" value="([^"]+)"', page.content.decode()).group(1)


def _expected_copies() -> dict[str, int]:
    return {n.reference_for(address): 1 for n in Notification.objects.all() for address in n.to}


def test_an_outage_costs_one_failed_publish_then_none(own_redis, celery_on):
    own_redis.stop()
    started = time.monotonic()
    assert publish("compliance.tasks.audit_seal_pending") is False
    first = time.monotonic() - started
    started = time.monotonic()
    assert not any(publish("compliance.tasks.audit_seal_pending") for _ in range(20))
    rest = time.monotonic() - started
    assert first < PUBLISH_BUDGET + 0.5 and rest < 0.1, (first, rest)
    own_redis.start()
    assert publish("compliance.tasks.audit_seal_pending") is False  # still paused
    publish_resume()
    assert publish("compliance.tasks.audit_seal_pending") is True


@pytest.mark.django_db(transaction=True)
def test_broker_stopped_and_started_during_submissions(
    regions_loaded, own_redis, celery_on, notify, notify_everywhere, tmp_path
):
    postcodes_load()
    camden = route_local_authority(CAMDEN)
    make_user("pc.fault@police.example", Role.CTP_PREVENT_OFFICER, camden.ctp_team)
    make_user("la.fault@camden.example", Role.LA_PREVENT_LEAD, camden.la_team)
    referrer = ReferrerFactory()
    drafts = [DraftReferralFactory(created_by=referrer) for _ in range(12)]
    log = tmp_path / "worker.log"
    worker, hostname = start_worker(broker_url=own_redis.url, log=log, extra_env=notify_everywhere)
    try:
        wait_for_worker(celery_on, worker, hostname, log)
        browser = Client()
        browser.force_login(referrer)
        durations = []
        for n, draft in enumerate(drafts):
            if n == 4:
                own_redis.stop()  # the broker goes away under load...
            if n == 9:
                own_redis.start()  # ...and comes back empty (no persistence)
            url = reverse("referrals:declaration", args=[draft.public_id])
            token = _token(browser.get(url))
            started = time.monotonic()
            response = browser.post(url, {"confirm": "on", "submission_token": token})
            durations.append(time.monotonic() - started)
            assert response.status_code == 302, response.content[:500]
            assert response["Location"].endswith("/confirmation/")

        # The outage was real: the emails of referrals made while it lasted were never
        # published, and wait in the outbox.
        assert Notification.objects.filter(status=Status.PENDING, attempts=0).exists()
        # Every referral committed, and no request waited on the broker.
        assert max(durations) < SLOWEST_REQUEST_SECONDS, durations
        assert Referral.objects.filter(created_by=referrer).exclude(reference="").count() == 12
        # The worker rode out the restart and reconnected by itself.
        wait_for_worker(celery_on, worker, hostname, log)
        assert worker.poll() is None
        # The resend job (beat, every two minutes) publishes what the outage left pending.
        wait_until(
            lambda: not Notification.objects.exclude(status=Status.SENT).exists(),
            timeout=120,
            every=2,
            then=lambda: notifications_resend_pending(older_than_seconds=0),
        )
        time.sleep(2)  # any duplicate send would have arrived by now
        expected = _expected_copies()
        assert len(expected) >= 24  # a receipt and the teams' task emails for each referral
        assert dict(notify.per_reference()) == expected
        assert "object has no attribute 'hostname'" not in log.read_text()
    finally:
        stop_worker(worker)


@pytest.mark.django_db(transaction=True)
def test_worker_killed_while_the_provider_holds_the_email(
    own_redis, celery_on, notify, notify_everywhere, settings, tmp_path
):
    settings.NOTIFICATION_SENDING_TIMEOUT = 2
    notify.delay = 8  # the provider accepts, then takes its time to answer
    log = tmp_path / "worker.log"
    first, hostname = start_worker(broker_url=own_redis.url, log=log, extra_env=notify_everywhere)
    try:
        wait_for_worker(celery_on, first, hostname, log)
        with transaction.atomic():
            notice = notification_queue(
                kind="fault",
                dedupe_key="fault:killed",
                to=["dsl@school.example"],
                subject="Killed mid-send",
                body="Hello",
            )
        wait_until(lambda: len(notify.accepted) == 1, timeout=30)
        first.send_signal(signal.SIGKILL)  # no clean-up, no chance to record anything
        first.wait(timeout=10)
    finally:
        stop_worker(first)
    notice.refresh_from_db()
    assert notice.status == Status.SENDING  # the claim was committed before the send

    notify.delay = 0
    second, hostname = start_worker(broker_url=own_redis.url, log=log, extra_env=notify_everywhere)
    try:
        wait_for_worker(celery_on, second, hostname, log)
        # The task redelivered, and the resend job while the claim is live: nothing is sent.
        celery_on.tasks["notifications.tasks.notification_deliver"].delay(notice.pk)
        assert notifications_resend_pending(older_than_seconds=0) == 0
        time.sleep(3)  # past NOTIFICATION_SENDING_TIMEOUT: the claim is now stale
        notifications_resend_pending(older_than_seconds=0)  # checks with Notify, by reference
        notice.refresh_from_db()
        assert notice.status == Status.SENT
        celery_on.tasks["notifications.tasks.notification_deliver"].delay(notice.pk)
        time.sleep(2)
    finally:
        stop_worker(second)
    assert dict(notify.per_reference()) == {notice.reference_for("dsl@school.example"): 1}
