"""The outbox: written with the change, delivered once, retried, and never lost to a broker."""

from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from kombu.exceptions import OperationalError

from config.celery import app as celery_app
from notifications import services
from notifications.models import Notification
from referrals.models import Referral

pytestmark = pytest.mark.django_db


class BrokenBackend:
    """An email backend whose transport is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server refused the connection")


def _queue(key="k1", **kwargs):
    return services.notification_queue(
        kind="test",
        dedupe_key=key,
        to=kwargs.pop("to", ["a@example.gov.uk"]),
        subject="Subject",
        body="Body",
        **kwargs,
    )


def test_delivered_exactly_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = _queue()
    notice.refresh_from_db()
    assert notice.status == Notification.Status.SENT and notice.attempts == 1
    assert len(mail.outbox) == 1
    assert services.notification_deliver(notification_id=notice.pk) is False  # again: no-op
    assert services.notifications_resend_pending(older_than_seconds=0) == 0
    assert len(mail.outbox) == 1


def test_nothing_is_sent_before_commit_and_nothing_if_rolled_back(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                _queue()
                assert mail.outbox == []
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_same_dedupe_key_queues_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _queue("overdue:1:2026-11-24")
        second = _queue("overdue:1:2026-11-24", to=["someone.else@example.gov.uk"])
    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["a@example.gov.uk"]


def test_nobody_to_send_to_queues_nothing():
    assert _queue(to=["", None]) is None
    assert not Notification.objects.exists()


def test_failed_send_is_recorded_and_retried(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        notice = _queue()
    notice.refresh_from_db()
    assert notice.status == Notification.Status.FAILED
    assert notice.attempts == 1
    assert "ConnectionRefusedError" in notice.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.notifications_resend_pending(older_than_seconds=0) == 1
    notice.refresh_from_db()
    assert notice.status == Notification.Status.SENT and notice.attempts == 2
    assert notice.last_error == ""
    assert len(mail.outbox) == 1
    assert services.notifications_resend_pending(older_than_seconds=0) == 0


def test_resend_waits_for_the_grace_period(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        _queue()
    assert services.notifications_resend_pending(older_than_seconds=3600) == 0


def test_gives_up_after_the_last_attempt(settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    notice = _queue()
    for _ in range(services.MAX_ATTEMPTS):
        services.notification_deliver(notification_id=notice.pk)
    notice.refresh_from_db()
    assert notice.status == Notification.Status.ABANDONED
    assert services.notifications_resend_pending(older_than_seconds=0) == 0


@pytest.fixture
def broker_down():
    """Celery pointed at a port where nothing listens: not eager, no publish retries.

    Yields a function that brings the broker back (the embedded default: eager delivery).
    """
    keys = ("broker_url", "task_always_eager", "task_publish_retry", "broker_connection_timeout")
    saved = {key: celery_app.conf[key] for key in keys}

    def new_connections():
        # Pools hold connections to the broker they were made for: drop them, the way Celery
        # itself does after a fork, so the next publish connects to the configured broker.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    def restore():
        celery_app.conf.update(saved)
        new_connections()

    celery_app.conf.update(
        broker_url="redis://127.0.0.1:9/0",
        task_always_eager=False,
        task_publish_retry=False,
        broker_connection_timeout=1,
    )
    new_connections()
    yield restore
    restore()


def test_broker_down_at_queue_time_leaves_it_pending_then_resend_delivers(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = _queue()
    notice.refresh_from_db()
    assert notice.status == Notification.Status.PENDING and notice.attempts == 0
    assert services.notifications_resend_pending(older_than_seconds=0) == 1  # still down
    notice.refresh_from_db()
    assert notice.status == Notification.Status.PENDING
    assert mail.outbox == []
    broker_down()
    assert services.notifications_resend_pending(older_than_seconds=0) == 1
    notice.refresh_from_db()
    assert notice.status == Notification.Status.SENT
    assert len(mail.outbox) == 1


def test_kombu_publish_error_is_survived(django_capture_on_commit_callbacks):
    """The same outage as kombu reports it when publishing, then the broker comes back."""
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch("notifications.tasks.notification_deliver.delay", side_effect=refused),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notice = _queue()
    notice.refresh_from_db()
    assert notice.status == Notification.Status.PENDING
    assert mail.outbox == []
    assert services.notifications_resend_pending(older_than_seconds=0) == 1
    notice.refresh_from_db()
    assert notice.status == Notification.Status.SENT
    assert len(mail.outbox) == 1


def test_referral_submitted_while_the_broker_is_down_is_kept_and_its_emails_follow(
    broker_down, django_capture_on_commit_callbacks
):
    from accounts.roles import Role
    from regions.selectors import route_local_authority
    from tests.cases import CAMDEN, make_user, submit_referral

    camden = route_local_authority(CAMDEN)
    make_user("pc.outage@police.example", Role.CTP_PREVENT_OFFICER, camden.ctp_team)
    referrer = make_user("dsl.outage@school.example", Role.REFERRER)
    with django_capture_on_commit_callbacks(execute=True):
        referral = submit_referral(referrer)
    assert Referral.objects.filter(pk=referral.pk, reference=referral.reference).exists()
    waiting = Notification.objects.filter(case_reference=referral.reference)
    assert waiting.exists()
    assert set(waiting.values_list("status", flat=True)) == {Notification.Status.PENDING}
    assert mail.outbox == []
    broker_down()
    assert services.notifications_resend_pending(older_than_seconds=0) == waiting.count()
    assert set(waiting.values_list("status", flat=True)) == {Notification.Status.SENT}
    assert "pc.outage@police.example" in {to for m in mail.outbox for to in m.to}


def test_retry_after_a_partial_failure_sends_nobody_a_second_copy(db, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    from notifications.models import Notification
    from notifications.services import notification_deliver

    original = EmailBackend.send_messages
    failing = {"b@example.gov.uk"}

    def send_messages(self, messages):
        if messages[0].to[0] in failing:
            raise ConnectionError("relay refused")
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    notice = Notification.objects.create(
        kind="test",
        dedupe_key="partial",
        subject="s",
        body="b",
        to=["a@example.gov.uk", "b@example.gov.uk", "c@example.gov.uk"],
    )
    assert notification_deliver(notification_id=notice.pk) is False
    notice.refresh_from_db()
    assert notice.status == Notification.Status.FAILED
    assert notice.delivered_to == ["a@example.gov.uk"]
    failing.clear()
    assert notification_deliver(notification_id=notice.pk) is True
    notice.refresh_from_db()
    assert notice.status == Notification.Status.SENT and notice.attempts == 2
    assert sorted(m.to[0] for m in mail.outbox) == [
        "a@example.gov.uk",
        "b@example.gov.uk",
        "c@example.gov.uk",
    ]
