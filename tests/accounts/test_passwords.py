"""Password rules, Argon2 hashing, and password reset by email through the outbox."""

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from compliance.models import AuditEvent
from config.settings import base
from notifications.models import Notification
from tests.clients import Client
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

GOOD = "ladder orange lantern seven"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _messages(password: str, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return error.messages
    return []


@pytest.mark.parametrize(
    ("password", "starts"),
    [
        ("aaaaaaaaaaaa", "Password must not repeat the same character or pattern"),
        ("abcabcabcabc", "Password must not repeat the same character or pattern"),
        ("Aa1!Aa1!Aa1!", "Password must not repeat the same character or pattern"),
        ("abcdefghijklm", "Password must not be a sequence"),
        ("qwertyuiop12", "Password must not be a sequence"),
        ("Prevent12345", "Password must not be the name of this service"),
        ("Ch4nnel!2026", "Password must not be the name of this service"),
        ("#PreventChannel99", "Password must not be the name of this service"),
        ("P@ssw0rd2024!", "Password must not be the name of this service"),
        ("short", "Password must be 12 characters or more"),
        ("1111222233334444", "Password must not be only numbers"),
        ("leavemealone", "Password is too common and easy to guess"),
    ],
)
def test_guessable_passwords_are_refused_in_plain_english(password, starts):
    messages = _messages(password)
    assert messages, password
    if starts:
        assert any(m.startswith(starts) for m in messages), messages


def test_a_password_like_the_person_is_refused():
    user = User(email="samantha.safeguarding@school.example", full_name="Samantha Safeguarding")
    assert "Password must not be like your name or email address" in _messages(
        "samanthasafeguarding", user
    )


@pytest.mark.parametrize(
    "password", [GOOD, "correct horse battery staple", "Prevention beats cure, 7 times"]
)
def test_a_good_passphrase_is_accepted(password):
    assert _messages(password) == []


def test_passwords_are_hashed_with_argon2_outside_the_tests():
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        user = UserFactory()
        user.set_password(GOOD)
        assert user.password.startswith("argon2$argon2id$")
        assert user.check_password(GOOD)


# --- Password reset -----------------------------------------------------------------------------


def _ask(client, email):
    return client.post(reverse("password_reset"), {"email": email})


def test_asking_for_a_reset_says_the_same_whether_or_not_the_account_exists(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(role=Role.REFERRER)
    with django_capture_on_commit_callbacks(execute=True):
        known = _ask(client, user.email.upper())
        unknown = _ask(client, "nobody@nowhere.example")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert Notification.objects.filter(kind="password_reset").count() == 1
    assert [m.to for m in mail.outbox] == [[user.email]]
    events = AuditEvent.objects.filter(action="account.password_reset_requested")
    assert [e.actor for e in events] == [user]
    page = client.get(reverse("password_reset_done")).content.decode()
    assert "If the address you entered belongs to an account" in page


def test_an_address_in_the_wrong_format_is_refused_on_the_page(client):
    response = _ask(client, "not an address")
    assert response.status_code == 200
    assert "Enter an email address in the correct format" in response.content.decode()


def test_reset_emails_to_one_address_are_limited(client, settings, time_machine):
    settings.PASSWORD_RESETS_PER_HOUR_PER_ADDRESS = 2
    user = UserFactory()
    time_machine.move_to(timezone.now(), tick=False)  # all within one hour's window
    for _ in range(4):
        assert _ask(client, user.email)["Location"] == reverse("password_reset_done")
    assert AuditEvent.objects.filter(action="account.password_reset_requested").count() == 2
    assert _ask(client, "someone.else@example.gov.uk")["Location"] == reverse("password_reset_done")


def test_a_password_is_reset_end_to_end_and_the_link_works_once(
    client, people, django_capture_on_commit_callbacks
):
    user = people.police
    for _ in range(5):  # locked out, as someone who has forgotten might be
        client.post(reverse("login"), {"username": user.email, "password": "guess guess guess"})
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client, user.email)
    (email,) = mail.outbox
    assert email.subject == "Reset your password for Prevent referrals"
    link = re.search(r"http://testserver(/password-reset/\S+/)", email.body).group(1)

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    set_password_url = form.redirect_chain[-1][0]
    weak = client.post(
        set_password_url, {"new_password1": "Prevent12345", "new_password2": "Prevent12345"}
    )
    assert "Password must not be the name of this service" in weak.content.decode()
    done = client.post(set_password_url, {"new_password1": GOOD, "new_password2": GOOD})
    assert done["Location"] == reverse("password_reset_complete")
    assert AuditEvent.objects.filter(action="account.password_reset_completed", actor=user).exists()

    again = client.get(link, follow=True).content.decode()
    assert "This link does not work" in again
    old = client.post(reverse("login"), {"username": user.email, "password": "x" * 12})
    assert old.status_code == 200, "the old password no longer works"
    new = client.post(reverse("login"), {"username": user.email, "password": GOOD})
    assert new.status_code == 302, "the new one does, and the lockout is lifted"
    assert new["Location"].startswith(reverse("second_factor_set_up")), "second factor still"


def test_resetting_a_password_ends_the_persons_other_sessions(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(role=Role.REFERRER)
    elsewhere = Client()
    elsewhere.login(username=user.email, password=PASSWORD)
    assert elsewhere.get(reverse("home")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client, user.email)
    link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(url, {"new_password1": GOOD, "new_password2": GOOD})
    assert elsewhere.get(reverse("home"))["Location"].startswith(reverse("login"))
