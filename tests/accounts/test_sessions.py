"""Sessions end after a spell of inactivity, after a fixed time whatever happens, and on every
device at once when their owner asks."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.models import AuditEvent
from tests.clients import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def _signed_out_to_sign_in(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_session_ends_after_30_minutes_without_a_request(client, people, clock):
    client.force_login(people.police)
    assert client.get(reverse("home")).status_code == 200
    for _ in range(3):  # activity keeps it alive, well past 30 minutes in all
        clock.shift(timedelta(minutes=29))
        assert client.get(reverse("home")).status_code == 200

    clock.shift(timedelta(minutes=30))
    assert _signed_out_to_sign_in(client.get(reverse("workflows:my_tasks")))
    page = client.get(reverse("login")).content.decode()
    assert "You were signed out because you did not do anything for 30 minutes" in page
    assert "did not do anything" not in client.get(reverse("login")).content.decode(), "once"
    assert _signed_out_to_sign_in(client.get(reverse("home")))
    event = AuditEvent.objects.get(action="account.session_expired")
    assert event.actor == people.police and event.detail == {"reason": "idle"}


def test_the_idle_limit_is_a_setting(client, people, clock, settings):
    settings.SESSION_IDLE_TIMEOUT = 5
    client.force_login(people.la)
    client.get(reverse("home"))
    clock.shift(timedelta(minutes=4))
    assert client.get(reverse("home")).status_code == 200
    clock.shift(timedelta(minutes=6))
    assert _signed_out_to_sign_in(client.get(reverse("home")))
    assert "for 5 minutes" in client.get(reverse("login")).content.decode()


def test_a_session_ends_8_hours_after_sign_in_however_busy(client, people, clock):
    client.force_login(people.adviser)
    for _ in range(23):
        clock.shift(timedelta(minutes=20))
        assert client.get(reverse("home")).status_code == 200
    clock.shift(timedelta(minutes=20))  # 8 hours since signing in
    assert _signed_out_to_sign_in(client.get(reverse("home")))
    assert "signed in for 8 hours" in client.get(reverse("login")).content.decode()
    assert AuditEvent.objects.get(action="account.session_expired").detail == {"reason": "absolute"}


def test_activity_is_written_to_the_session_at_most_once_a_minute(client, people, clock):
    client.force_login(people.police)
    client.get(reverse("home"))

    def session_writes() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        return [
            q["sql"]
            for q in queries
            if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")
        ]

    clock.shift(timedelta(seconds=30))
    assert session_writes() == []
    clock.shift(timedelta(seconds=31))
    assert len(session_writes()) == 1


def test_sign_out_everywhere_ends_every_session_of_the_user(client, people, referral):
    other_device = Client()
    other_device.force_login(people.la)
    client.force_login(people.la)
    bystander = Client()
    bystander.force_login(people.la2)
    case = f"/cases/{referral.public_id}/"
    assert other_device.get(case).status_code == 200

    response = client.post(reverse("sign_out_everywhere"))

    assert response["Location"] == reverse("login")
    page = client.get(reverse("login")).content.decode()
    assert "You have been signed out on every device" in page
    assert _signed_out_to_sign_in(client.get(case))
    assert _signed_out_to_sign_in(other_device.get(case))
    assert bystander.get(case).status_code == 200, "only that person's sessions end"
    event = AuditEvent.objects.get(action="account.signed_out_everywhere")
    assert event.actor == people.la
    people.la.refresh_from_db()  # as signing in loads the person afresh
    client.force_login(people.la)
    assert client.get(case).status_code == 200, "signing in again works"


def test_sign_out_everywhere_is_a_post_from_a_signed_in_session(client, people):
    assert _signed_out_to_sign_in(client.post(reverse("sign_out_everywhere")))
    client.force_login(people.la)
    assert client.get(reverse("sign_out_everywhere")).status_code == 405
    assert not AuditEvent.objects.filter(action="account.signed_out_everywhere").exists()


def test_the_account_page_offers_sign_out_everywhere(client, people, django_assert_max_num_queries):
    client.force_login(people.la)
    client.get(reverse("account"))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("account")).content.decode()
    assert "Sign out everywhere" in page and "Backup codes left" in page
