"""The outbox: written with the change, delivered once, retried, and never lost to a broker."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.roles import Role
from compliance.models import AuditEvent
from config.celery import app as celery_app
from notifications import services
from notifications.models import Notification
from referrals.models import Referral
from tests.cases import make_user

pytestmark = pytest.mark.django_db
Status = Notification.Status


class BrokenBackend:
    """An email backend whose transport is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server refused the connection")


class WorkerKilled(BaseException):
    """The worker process dying mid-task: no `except Exception` in the service catches it."""


class AcceptsThenDies(EmailBackend):
    """The provider takes the email; the worker dies before it can record that."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise WorkerKilled


class DiesBeforeSending(EmailBackend):
    def send_messages(self, messages):
        raise WorkerKilled


class TimesOut(EmailBackend):
    """Sent, but no answer came back in time."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise TimeoutError("no answer")


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


def _notice(key: str, to: list[str], subject: str = "Overdue") -> dict:
    return {"kind": "task_overdue", "dedupe_key": key, "to": to, "subject": subject, "body": "b"}


def test_many_at_once_keep_a_queued_key_as_it_was_and_send_it_once(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = _queue("overdue:1:2026-11-24")
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(1):
        queued = services.notifications_queue_many(
            [
                _notice("overdue:1:2026-11-24", ["someone.else@example.gov.uk"], "Changed"),
                _notice("overdue:2:2026-11-24", ["b@example.gov.uk", "", "b@example.gov.uk"]),
                _notice("overdue:3:2026-11-24", [""]),  # nobody to send to: skipped
            ]
        )
    assert sorted(n.dedupe_key for n in queued) == ["overdue:1:2026-11-24", "overdue:2:2026-11-24"]
    assert {n.dedupe_key: n.pk for n in queued}["overdue:1:2026-11-24"] == sent.pk
    again = Notification.objects.get(pk=sent.pk)
    assert (again.to, again.subject, again.status) == (
        ["a@example.gov.uk"],
        sent.subject,
        Status.SENT,
    )
    new = Notification.objects.get(dedupe_key="overdue:2:2026-11-24")
    assert new.to == ["b@example.gov.uk"] and new.status == Status.SENT
    assert Notification.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.gov.uk", "b@example.gov.uk"]


def test_nobody_to_send_to_queues_nothing():
    assert _queue(to=["", None]) is None
    assert not Notification.objects.exists()


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


def test_a_failed_send_waits_out_its_back_off_then_is_retried(
    settings, django_capture_on_commit_callbacks, time_machine
):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        notice = _queue()
    notice.refresh_from_db()
    assert notice.status == Status.PENDING and notice.attempts == 1
    assert "ConnectionRefusedError" in notice.last_error
    wait = notice.next_attempt_at - timezone.now()
    assert timedelta(seconds=30) <= wait <= timedelta(seconds=60)  # base 60 s, with jitter
    assert services.notifications_resend_pending(older_than_seconds=0) == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(notice.next_attempt_at, tick=False)
    assert services.notifications_resend_pending(older_than_seconds=0) == 1
    notice.refresh_from_db()
    assert notice.status == Status.SENT and notice.attempts == 2 and notice.last_error == ""
    assert len(mail.outbox) == 1
    assert services.notifications_resend_pending(older_than_seconds=0) == 0


@pytest.mark.parametrize("attempts", [1, 2, 5, 7, 12, 40])
def test_back_off_doubles_with_jitter_up_to_the_cap(settings, attempts):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    ceiling = min(3600, 60 * 2 ** (attempts - 1))
    delays = {services._retry_delay(attempts).total_seconds() for _ in range(50)}
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(delays) > 1  # jittered: workers do not retry in step


def test_retries_go_on_for_a_day_before_it_is_marked_failed(settings, time_machine):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    time_machine.move_to("2026-11-24 09:00 +00:00", tick=False)
    notice = _queue()
    started = timezone.now()
    while True:
        services.notification_deliver(notification_id=notice.pk)
        notice.refresh_from_db()
        if notice.status != Status.PENDING:
            break
        assert notice.next_attempt_at - started < timedelta(hours=25)
        time_machine.move_to(notice.next_attempt_at, tick=False)
    assert notice.status == Status.FAILED
    assert timezone.now() - started >= timedelta(hours=24)
    assert notice.attempts > 10
    assert services.notifications_resend_pending(older_than_seconds=0) == 0


def test_the_resend_job_takes_the_oldest_first(time_machine, monkeypatch):
    queued = []
    monkeypatch.setattr(
        services, "notification_enqueue", lambda *, notification_id: queued.append(notification_id)
    )
    monkeypatch.setattr(services, "RESEND_BATCH", 2)
    notices = []
    for hour in (9, 10, 11):
        time_machine.move_to(f"2026-11-24 {hour}:00 +00:00", tick=False)
        notices.append(_queue(f"order-{hour}"))
    assert services.notifications_resend_pending(older_than_seconds=0) == 2
    assert queued == [notices[0].pk, notices[1].pk]


def test_a_worker_killed_after_the_provider_accepted_never_sends_twice(settings, time_machine):
    settings.EMAIL_BACKEND = f"{__name__}.AcceptsThenDies"
    notice = _queue()
    with pytest.raises(WorkerKilled):
        services.notification_deliver(notification_id=notice.pk)
    notice.refresh_from_db()
    assert notice.status == Status.SENDING and notice.sending_to == "a@example.gov.uk"
    assert len(mail.outbox) == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # A redelivered task and the resend job leave a live claim alone...
    assert services.notification_deliver(notification_id=notice.pk) is False
    assert services.notifications_resend_pending(older_than_seconds=0) == 0
    # ...and once it is too old, it waits for a check: SMTP keeps no record to ask.
    time_machine.move_to(
        timezone.now() + timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT + 1), tick=False
    )
    assert services.notifications_resend_pending(older_than_seconds=0) == 0
    notice.refresh_from_db()
    assert notice.status == Status.CHECK and "interrupted" in notice.last_error
    assert services.notification_deliver(notification_id=notice.pk) is False
    assert len(mail.outbox) == 1


def test_no_answer_from_the_provider_is_checked_not_resent(settings):
    settings.EMAIL_BACKEND = f"{__name__}.TimesOut"
    notice = _queue()
    assert services.notification_deliver(notification_id=notice.pk) is False
    notice.refresh_from_db()
    assert notice.status == Status.CHECK and "TimeoutError" in notice.last_error
    assert services.notifications_resend_pending(older_than_seconds=0) == 0
    assert len(mail.outbox) == 1


def _to_check(settings, backend=f"{__name__}.AcceptsThenDies", key="k1"):
    settings.EMAIL_BACKEND = backend
    notice = _queue(key)
    with pytest.raises(WorkerKilled):
        services.notification_deliver(notification_id=notice.pk)
    services.notifications_mark_stale_sends(
        now=timezone.now() + timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT + 1)
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notice.refresh_from_db()
    assert notice.status == Status.CHECK
    return notice


def test_the_provider_settles_a_send_in_doubt(settings, notify_settings, time_machine):
    notice = _queue("doubt-sent", to=["a@example.gov.uk", "b@example.gov.uk"])
    # The first copy reached Notify, then the worker died before recording it.
    original = services._record_sent
    with (
        mock.patch.object(services, "_record_sent", side_effect=WorkerKilled),
        pytest.raises(WorkerKilled),
    ):
        services.notification_deliver(notification_id=notice.pk)
    assert services._record_sent is original
    later = timezone.now() + timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT + 1)
    time_machine.move_to(later, tick=False)
    services.notifications_mark_stale_sends()
    assert services.notification_check_with_provider(notification_id=notice.pk) == Status.PENDING
    notice.refresh_from_db()
    assert notice.delivered_to == ["a@example.gov.uk"]  # found at Notify: recorded, not resent
    assert services.notification_deliver(notification_id=notice.pk) is True
    assert notify_settings.per_reference() == {
        f"{notice.public_id}-0": 1,
        f"{notice.public_id}-1": 1,
    }


def test_a_send_the_provider_never_had_is_sent_again(settings, notify_settings, time_machine):
    notice = _queue("doubt-not-sent")
    with (
        mock.patch.object(services, "_send_copy", side_effect=WorkerKilled),
        pytest.raises(WorkerKilled),
    ):
        services.notification_deliver(notification_id=notice.pk)
    time_machine.move_to(
        timezone.now() + timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT + 1), tick=False
    )
    services.notifications_mark_stale_sends()
    assert services.notification_check_with_provider(notification_id=notice.pk) == Status.PENDING
    assert services.notification_deliver(notification_id=notice.pk) is True
    assert notify_settings.per_reference() == {f"{notice.public_id}-0": 1}


def test_an_administrator_settles_a_send_in_doubt(settings):
    admin = make_user("admin.outbox@example.gov.uk", Role.ADMINISTRATOR)
    arrived = _to_check(settings, key="arrived")
    missing = _to_check(settings, key="missing")
    mail.outbox.clear()
    services.notification_resolve(notification=arrived, user=admin, delivered=True)
    services.notification_resolve(notification=missing, user=admin, delivered=False)
    arrived.refresh_from_db()
    missing.refresh_from_db()
    assert arrived.status == Status.SENT and mail.outbox == []
    assert missing.status == Status.PENDING and not missing.next_attempt_at
    assert services.notifications_resend_pending(older_than_seconds=0) == 1
    missing.refresh_from_db()
    assert missing.status == Status.SENT
    assert [m.to for m in mail.outbox] == [["a@example.gov.uk"]]
    actions = AuditEvent.objects.filter(action="notification.resolved").values_list(
        "detail", flat=True
    )
    assert sorted(d["delivered"] for d in actions) == [False, True]


def test_resolving_is_refused_for_a_notification_not_in_doubt(
    settings, django_capture_on_commit_callbacks
):
    admin = make_user("admin.outbox@example.gov.uk", Role.ADMINISTRATOR)
    with django_capture_on_commit_callbacks(execute=True):
        notice = _queue()
    services.notification_resolve(notification=notice, user=admin, delivered=False)
    notice.refresh_from_db()
    assert notice.status == Status.SENT and len(mail.outbox) == 1
    assert not AuditEvent.objects.filter(action="notification.resolved").exists()


def test_an_administrator_retries_a_failed_notification(
    settings, django_capture_on_commit_callbacks
):
    admin = make_user("admin.outbox@example.gov.uk", Role.ADMINISTRATOR)
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    notice = _queue()
    Notification.objects.filter(pk=notice.pk).update(status=Status.FAILED)
    notice.refresh_from_db()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_retry(notification=notice, user=admin)
    notice.refresh_from_db()
    assert notice.status == Status.SENT and len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="notification.retried").count() == 1


def test_failed_and_to_check_notifications_alert_the_administrators(settings, caplog):
    settings.ADMINS = [("Ops", "ops@example.gov.uk")]
    _to_check(settings, key="alert-check")
    failed = _queue("alert-failed")
    Notification.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    mail.outbox.clear()
    problems = services.notifications_alert()
    assert (problems["failed"], problems["check"], problems["alerted"]) == (1, 1, True)
    assert "Outbox alert" in caplog.text and "ERROR" in {r.levelname for r in caplog.records}
    assert [m.to for m in mail.outbox] == [["ops@example.gov.uk"]]
    assert "1 notification(s) failed" in mail.outbox[0].body
    services.notifications_alert()
    assert len(mail.outbox) == 1  # the same alert is emailed once an hour, logged every time


def test_an_outbox_nobody_empties_alerts(settings, time_machine, broker_down):
    settings.ADMINS = [("Ops", "ops@example.gov.uk")]
    settings.OUTBOX_ALERT_AFTER_SECONDS = 900
    time_machine.move_to("2026-11-24 09:00 +00:00", tick=False)
    _queue("stuck")
    assert services.notifications_alert()["alerted"] is False
    time_machine.move_to("2026-11-24 09:16 +00:00", tick=False)
    problems = services.notifications_alert()
    assert problems["outbox_stuck"] and problems["oldest_pending_seconds"] == 960
    assert "is the Celery broker or worker down?" in mail.outbox[-1].body


def test_the_check_command_exits_non_zero_when_something_needs_a_person(settings, capsys):
    call_command("notifications_check")
    assert "failed: 0, to check: 0" in capsys.readouterr().out
    _to_check(settings)
    with pytest.raises(SystemExit) as exit_:
        call_command("notifications_check")
    assert exit_.value.code == 1
    assert "to check: 1" in capsys.readouterr().out


def test_the_admin_list_counts_what_needs_a_person(
    settings, admin_client, django_assert_max_num_queries
):
    _to_check(settings, key="page-check")
    for n in range(3):
        Notification.objects.filter(pk=_queue(f"page-failed-{n}").pk).update(status=Status.FAILED)
    url = reverse("admin:notifications_notification_changelist")
    with django_assert_max_num_queries(12):
        page = admin_client.get(url).content.decode()
    assert "3 failed" in page and "1 to check" in page
    assert "?status__exact=failed" in page and "?status__exact=check" in page
    filtered = admin_client.get(url, {"status__exact": "check"})
    assert [n.dedupe_key for n in filtered.context["cl"].result_list] == ["page-check"]


def test_the_admin_actions_settle_and_retry(
    settings, admin_client, django_capture_on_commit_callbacks
):
    notice = _to_check(settings, key="action-check")
    url = reverse("admin:notifications_notification_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"action": "mark_delivered", "_selected_action": [notice.pk]})
    notice.refresh_from_db()
    assert notice.status == Status.SENT
    assert len(mail.outbox) == 1  # the copy the provider took before the crash, and no other


def test_people_who_are_not_administrators_cannot_see_the_outbox(client):
    client.force_login(make_user("pc@police.example", Role.CTP_PREVENT_OFFICER))
    response = client.get(reverse("admin:notifications_notification_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_retry_after_a_partial_failure_sends_nobody_a_second_copy(db, monkeypatch, time_machine):
    original = EmailBackend.send_messages
    failing = {"b@example.gov.uk"}

    def send_messages(self, messages):
        if messages[0].to[0] in failing:
            raise ConnectionError("relay refused")
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    notice = _queue("partial", to=["a@example.gov.uk", "b@example.gov.uk", "c@example.gov.uk"])
    assert services.notification_deliver(notification_id=notice.pk) is False
    notice.refresh_from_db()
    assert notice.status == Status.PENDING
    assert notice.delivered_to == ["a@example.gov.uk"]
    failing.clear()
    time_machine.move_to(notice.next_attempt_at, tick=False)
    assert services.notification_deliver(notification_id=notice.pk) is True
    notice.refresh_from_db()
    assert notice.status == Status.SENT and notice.attempts == 4
    assert sorted(m.to[0] for m in mail.outbox) == [
        "a@example.gov.uk",
        "b@example.gov.uk",
        "c@example.gov.uk",
    ]
    references = [m.extra_headers["X-Notify-Reference"] for m in mail.outbox]
    assert references == [f"{notice.public_id}-{i}" for i in range(3)]


def test_a_send_that_timed_out_is_not_looked_up_while_it_may_still_be_in_flight(
    settings, notify_settings, time_machine
):
    notify_settings.delay = 1.5
    settings.NOTIFY_TIMEOUT = 0.5
    notice = _queue("in-flight")
    assert services.notification_deliver(notification_id=notice.pk) is False
    notice.refresh_from_db()
    assert notice.status == Status.CHECK
    assert services.notification_check_with_provider(notification_id=notice.pk) == Status.CHECK
    time_machine.move_to(
        timezone.now() + timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT + 1), tick=False
    )
    assert services.notification_check_with_provider(notification_id=notice.pk) == Status.SENT
    assert notify_settings.per_reference() == {f"{notice.public_id}-0": 1}
