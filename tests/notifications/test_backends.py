"""The GOV.UK Notify email backend, against a real HTTP server on this machine (fake_notify)."""

import json

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.test import override_settings

from notifications import services
from notifications.backends import NotifyEmailBackend, NotifyError
from notifications.models import Notification

from .fake_notify import API_KEY, EMAIL_PATH, SECRET, SERVICE_ID, TEMPLATE_ID, _token_problem


def test_sends_one_signed_request_per_recipient(notify_settings):
    sent = EmailMessage(
        subject="New Prevent task",
        body="A task is waiting.",
        to=["a@example.gov.uk", "b@example.gov.uk"],
    ).send()
    assert sent == 1
    assert [r["json"]["email_address"] for r in notify_settings.requests] == [
        "a@example.gov.uk",
        "b@example.gov.uk",
    ]
    request = notify_settings.requests[0]
    assert request["path"] == EMAIL_PATH
    assert request["headers"]["content-type"] == "application/json"
    assert request["json"] == {
        "email_address": "a@example.gov.uk",
        "template_id": TEMPLATE_ID,
        "personalisation": {"subject": "New Prevent task", "body": "A task is waiting."},
    }
    assert _token_problem(request["headers"]["authorization"]) is None
    assert SECRET not in json.dumps(request)


def test_the_reference_header_is_passed_to_notify(notify_settings):
    EmailMessage(
        subject="s",
        body="b",
        to=["a@example.gov.uk"],
        headers={"X-Notify-Reference": "prv-2026-000123"},
    ).send()
    assert notify_settings.requests[0]["json"]["reference"] == "prv-2026-000123"


def test_a_key_with_surrounding_whitespace_still_signs_correctly(notify_settings):
    with override_settings(NOTIFY_API_KEY=f"  {API_KEY}\n"):
        assert EmailMessage(subject="s", body="b", to=["a@example.gov.uk"]).send() == 1


def test_error_answer_raises_with_notifys_reason(notify_settings):
    notify_settings.statuses = [400]
    with pytest.raises(NotifyError) as error:
        EmailMessage(subject="s", body="b", to=["a@example.gov.uk"]).send()
    assert error.value.status == 400
    assert "BadRequestError: Can't send to this recipient" in str(error.value)
    assert SECRET not in str(error.value)


def test_a_wrong_key_is_refused_and_the_error_does_not_show_it(notify_settings):
    other_secret = "0f0f0f0f-1111-4222-8333-444455556666"
    wrong_key = override_settings(NOTIFY_API_KEY=f"prevent_test-{SERVICE_ID}-{other_secret}")
    with wrong_key, pytest.raises(NotifyError) as error:
        EmailMessage(subject="s", body="b", to=["a@example.gov.uk"]).send()
    assert error.value.status == 403
    assert "AuthError: Invalid token" in str(error.value)
    assert other_secret not in str(error.value)


def test_fail_silently_counts_only_what_was_sent(notify_settings):
    notify_settings.statuses = [500]
    backend = NotifyEmailBackend(fail_silently=True)
    messages = [EmailMessage(subject="s", body="b", to=[f"{n}@example.gov.uk"]) for n in "ab"]
    assert backend.send_messages(messages) == 1
    assert len(notify_settings.requests) == 2


def test_unreachable_service_raises(settings):
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFY_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(NotifyError, match="could not be reached") as error:
        NotifyEmailBackend().send_messages([EmailMessage("s", "b", to=["a@example.gov.uk"])])
    assert error.value.status is None
    assert SECRET not in str(error.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"NOTIFY_TEMPLATE_ID": ""}, "NOTIFY_TEMPLATE_ID"),
        ({"NOTIFY_API_KEY": ""}, "NOTIFY_API_KEY"),
        ({"NOTIFY_API_KEY": "not-a-key"}, "NOTIFY_API_KEY"),
        ({"NOTIFY_BASE_URL": "http://notify.example.com"}, "https"),
        ({"NOTIFY_BASE_URL": "ftp://127.0.0.1"}, "https"),
        ({"NOTIFY_BASE_URL": "https://notify.example.com/proxy/"}, "without a path"),
    ],
    ids=["no-template", "no-key", "malformed-key", "plain-http", "other-scheme", "path"],
)
def test_configuration_is_checked(settings, overrides, message):
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    for name, value in overrides.items():
        setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=message) as error:
        NotifyEmailBackend()
    assert SECRET not in str(error.value)


def test_plain_http_is_allowed_only_to_this_machine(settings):
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFY_BASE_URL = "http://localhost:6011/"
    assert NotifyEmailBackend().base_url == "http://localhost:6011"


def test_defaults_to_the_live_api(settings):
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    del settings.NOTIFY_BASE_URL
    backend = NotifyEmailBackend()
    assert backend.base_url == "https://api.notifications.service.gov.uk"
    assert backend.client.base_url == backend.base_url


def test_outbox_records_a_notify_failure_and_the_resend_delivers_after_the_back_off(
    db, notify_settings, django_capture_on_commit_callbacks, time_machine
):
    notify_settings.statuses = [503]
    with django_capture_on_commit_callbacks(execute=True):
        notice = services.notification_queue(
            kind="test", dedupe_key="notify:1", to=["a@example.gov.uk"], subject="s", body="b"
        )
    notice.refresh_from_db()
    assert notice.status == Notification.Status.PENDING and notice.next_attempt_at
    assert "503" in notice.last_error and SECRET not in notice.last_error
    assert services.notifications_resend_pending(older_than_seconds=0) == 0  # backing off
    time_machine.move_to(notice.next_attempt_at, tick=False)
    assert services.notifications_resend_pending(older_than_seconds=0) == 1
    notice.refresh_from_db()
    assert notice.status == Notification.Status.SENT
    assert len(notify_settings.requests) == 2
    assert notify_settings.per_reference() == {f"{notice.public_id}-0": 1}
    assert mail.outbox == []  # went to Notify, not to Django's test outbox


def test_a_refusal_fails_at_once(db, notify_settings):
    notify_settings.statuses = [400]
    notice = services.notification_queue(
        kind="test", dedupe_key="notify:2", to=["a@example.gov.uk"], subject="s", body="b"
    )
    assert services.notification_deliver(notification_id=notice.pk) is False
    notice.refresh_from_db()
    assert notice.status == Notification.Status.FAILED
    assert "Can't send to this recipient" in notice.last_error


def test_the_reference_finds_what_notify_accepted(notify_settings):
    backend = NotifyEmailBackend()
    EmailMessage("s", "b", to=["a@example.gov.uk"], headers={"X-Notify-Reference": "r-1"}).send()
    assert backend.sent_with_reference("r-1") is True
    assert backend.sent_with_reference("r-2") is False


def test_no_answer_after_sending_is_an_unknown_outcome(notify_settings):
    notify_settings.delay = 2
    backend = NotifyEmailBackend(timeout=0.5)
    with pytest.raises(NotifyError) as error:
        backend.send_messages([EmailMessage("s", "b", to=["a@example.gov.uk"])])
    assert error.value.outcome_unknown and error.value.status is None
    assert len(notify_settings.accepted) == 1  # Notify had it all the same


def test_nothing_listening_is_a_known_failure(settings):
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFY_BASE_URL = "http://127.0.0.1:9"
    with pytest.raises(NotifyError) as error:
        NotifyEmailBackend().send_messages([EmailMessage("s", "b", to=["a@example.gov.uk"])])
    assert not error.value.outcome_unknown
