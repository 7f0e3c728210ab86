"""Signing in through the real pages: password, then the second factor (or setting one up),
lockout after repeated failures, and unlocking."""

import re
from base64 import b32decode
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient as PlainAPIClient

from accounts.permissions import SecondFactorVerified
from accounts.roles import Role
from api.urls import router
from compliance.models import AuditEvent
from tests.cases import error_summary
from tests.clients import totp_code, verified_device
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CASE_PASSWORD = "x" * 12  # the password tests.cases.make_user gives the people of a case


def sign_in(client, email, password=CASE_PASSWORD, next_url=""):
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": email, "password": password, "next": next_url})


def code_page(client, code, next_url=""):
    return client.post(reverse("second_factor"), {"code": code, "next": next_url})


def actions(*names):
    return list(
        AuditEvent.objects.filter(action__in=names).order_by("pk").values_list("action", flat=True)
    )


@pytest.fixture
def clock(time_machine):
    """Time stands still unless a test moves it (django-otp throttles after a wrong code)."""
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def _case_url(referral) -> str:
    return f"/cases/{referral.public_id}/"


def _code_now(device: TOTPDevice) -> str:
    return totp_code(device)


# --- Second factor ----------------------------------------------------------------------------


def test_staff_without_an_authenticator_reach_nothing_until_they_set_one_up(
    client, people, referral, clock
):
    response = sign_in(client, people.police.email, next_url=_case_url(referral))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor_set_up"))

    for url in (_case_url(referral), "/tasks/", reverse("home"), reverse("account")):
        refused = client.get(url)
        assert refused.status_code == 302, url
        assert refused["Location"].startswith(reverse("second_factor_set_up")), url
    assert client.get("/api/v1/cases/").status_code == 403
    assert client.get(f"/api/v1/cases/{referral.public_id}/").status_code == 403

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Set up an authenticator app" in html
    assert "Your tasks" not in html, "a session owing its second factor has no navigation"
    device = TOTPDevice.objects.get(user=people.police, confirmed=False)
    secret = re.search(r'id="secret-key">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    assert b32decode(secret) == device.bin_key
    assert "otpauth://totp/" in html and f"secret={secret}" in html
    assert "<svg" in html, "a QR code of the same link"

    wrong = client.post(response["Location"], {"code": "000000"})
    assert error_summary(wrong) == {
        "code": [
            "The code is not right. Check you added the secret key correctly, then enter the "
            "code your app shows now"
        ]
    }
    clock.shift(timedelta(seconds=2))  # past the throttle a wrong code starts
    totp = TOTP(b32decode(secret))  # as the person's app computes it
    done = client.post(response["Location"], {"code": f"{totp.token():06d}"})
    assert done.status_code == 302 and done["Location"].startswith(reverse("backup_codes"))

    codes_page = client.get(done["Location"])
    codes = re.findall(r"<code>([a-z2-7]{4} [a-z2-7]{4})</code>", codes_page.content.decode())
    assert len(codes) == 10
    assert {c.replace(" ", "") for c in codes} == set(
        StaticToken.objects.filter(device__user=people.police).values_list("token", flat=True)
    )
    assert f'href="{_case_url(referral)}"' in codes_page.content.decode()
    assert client.get(done["Location"]).status_code == 302, "backup codes are shown once"

    assert client.get(_case_url(referral)).status_code == 200
    assert client.get("/api/v1/cases/").status_code == 200
    assert actions("account.signed_in", "account.second_factor_set_up") == [
        "account.signed_in",
        "account.second_factor_set_up",
    ]


def test_staff_with_an_authenticator_are_asked_for_its_code_and_a_wrong_one_is_refused(
    client, people, referral, clock
):
    device = verified_device(people.la)
    response = sign_in(client, people.la.email, next_url=_case_url(referral))
    assert response["Location"].startswith(reverse("second_factor"))
    assert client.get(_case_url(referral))["Location"].startswith(reverse("second_factor"))
    assert client.get("/api/v1/cases/").status_code == 403
    set_up = client.get(reverse("second_factor_set_up"))
    assert set_up["Location"] == reverse("second_factor"), "no second device on a password"
    assert not TOTPDevice.objects.filter(user=people.la, confirmed=False).exists()

    page = client.get(response["Location"])
    assert "Enter the code from your authenticator app" in page.content.decode()
    wrong = code_page(client, "123456", _case_url(referral))
    assert wrong.status_code == 200
    assert error_summary(wrong) == {
        "code": [
            "The code is not right. Enter the code your authenticator app shows now, or one "
            "of your backup codes"
        ]
    }
    too_soon = code_page(client, _code_now(device), _case_url(referral))
    assert "Wait 1 second," in error_summary(too_soon)["code"][0]
    assert client.get(_case_url(referral)).status_code == 302

    clock.shift(timedelta(seconds=2))
    right = code_page(client, _code_now(device), _case_url(referral))
    assert right.status_code == 302 and right["Location"] == _case_url(referral)
    assert client.get(_case_url(referral)).status_code == 200
    assert client.get("/api/v1/cases/").status_code == 200
    assert actions(
        "account.signed_in", "account.second_factor_failed", "account.second_factor_verified"
    ) == ["account.signed_in", "account.second_factor_failed", "account.second_factor_verified"]
    verified = AuditEvent.objects.get(action="account.second_factor_verified")
    assert verified.actor == people.la and verified.detail == {"method": "authenticator app"}


def test_backup_codes_alone_do_not_let_a_password_add_an_authenticator(client, people, clock):
    """An administrator removed a lost phone's authenticator but not its backup codes."""
    static = StaticDevice.objects.create(user=people.police, name="Backup codes", confirmed=True)
    static.token_set.create(token="abcd2345")
    sign_in(client, people.police.email)
    assert client.get(reverse("second_factor_set_up"))["Location"] == reverse("second_factor")
    assert not TOTPDevice.objects.filter(user=people.police).exists()
    assert code_page(client, "abcd 2345").status_code == 302


def test_a_code_cannot_be_used_twice(client, people, clock):
    device = verified_device(people.police)
    sign_in(client, people.police.email)
    code = _code_now(device)
    assert code_page(client, code).status_code == 302
    client.post(reverse("logout"))
    clock.shift(timedelta(seconds=1))
    sign_in(client, people.police.email)
    assert code_page(client, code).status_code == 200, "the same code again is refused"


def test_a_backup_code_works_once(client, people, referral, clock):
    client.get(sign_in(client, people.adviser.email)["Location"])
    device = TOTPDevice.objects.get(user=people.adviser)
    done = client.post(reverse("second_factor_set_up"), {"code": _code_now(device)})
    page = client.get(done["Location"]).content.decode()
    first = re.findall(r"<code>([a-z2-7]{4} [a-z2-7]{4})</code>", page)[0]
    client.post(reverse("logout"))

    sign_in(client, people.adviser.email)
    used = code_page(client, first.upper())  # as typed, with its space, in capitals
    assert used.status_code == 302
    assert client.get(_case_url(referral)).status_code == 200
    assert AuditEvent.objects.filter(action="account.second_factor_verified").last().detail == {
        "method": "backup code"
    }
    client.post(reverse("logout"))

    clock.shift(timedelta(seconds=2))
    sign_in(client, people.adviser.email)
    again = code_page(client, first)
    assert again.status_code == 200 and "The code is not right" in error_summary(again)["code"][0]
    assert client.get(_case_url(referral)).status_code == 302


def test_every_api_view_refuses_a_session_owing_its_second_factor():
    for _prefix, viewset, _basename in router.registry:
        assert any(issubclass(p, SecondFactorVerified) for p in viewset.permission_classes), viewset


def test_the_api_refuses_staff_authenticated_without_a_verified_device(people, referral):
    client = PlainAPIClient()
    client.force_authenticate(people.police)  # no otp_device: not verified
    response = client.get("/api/v1/cases/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Sign in with your second factor before using the API."


def test_referrers_sign_in_with_a_password_and_may_add_an_authenticator(client, clock):
    referrer = UserFactory(role=Role.REFERRER)
    response = sign_in(client, referrer.email, PASSWORD)
    assert response["Location"] == reverse("home")
    assert client.get(reverse("referrals:list")).status_code == 200
    account = client.get(reverse("account")).content.decode()
    assert "Not set up" in account and reverse("second_factor_set_up") in account
    assert AuditEvent.objects.get(action="account.signed_in").detail == {
        "second_factor": "not needed"
    }

    page = client.get(reverse("second_factor_set_up") + "?next=" + reverse("account"))
    assert "An authenticator app gives you a second way" in page.content.decode()
    device = TOTPDevice.objects.get(user=referrer, confirmed=False)
    done = client.post(
        reverse("second_factor_set_up"), {"code": _code_now(device), "next": reverse("account")}
    )
    assert done["Location"].startswith(reverse("backup_codes"))
    assert reverse("account") in client.get(done["Location"]).content.decode()
    client.post(reverse("logout"))

    clock.shift(timedelta(seconds=31))
    response = sign_in(client, referrer.email, PASSWORD)
    assert response["Location"].startswith(reverse("second_factor")), "now a code is needed"
    assert client.get(reverse("referrals:list")).status_code == 302
    code_page(client, _code_now(device))
    assert client.get(reverse("referrals:list")).status_code == 200


def test_backup_codes_can_be_replaced_and_the_old_ones_stop_working(client, people):
    client.force_login(people.police)
    old = set(StaticToken.objects.filter(device__user=people.police).values_list("token", flat=1))
    response = client.post(reverse("backup_codes_new"))
    page = client.get(response["Location"]).content.decode()
    new = {c.replace(" ", "") for c in re.findall(r"<code>([a-z2-7 ]{9})</code>", page)}
    assert len(new) == 10 and not new & old
    assert (
        set(StaticToken.objects.filter(device__user=people.police).values_list("token", flat=True))
        == new
    )
    assert AuditEvent.objects.filter(action="account.backup_codes_replaced").count() == 1


# --- Lockout ------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, people):
    for attempt in range(4):
        response = sign_in(client, people.police.email, "wrong password!")
        assert response.status_code == 200, attempt
        assert error_summary(response) == {
            "username": ["Enter a correct email address and password"]
        }
    locked = sign_in(client, people.police.email, "wrong password!")
    assert locked.status_code == 403
    page = locked.content.decode()
    assert "Your account is locked" in page and "prevent-support@example.gov.uk" in page

    right = sign_in(client, people.police.email, CASE_PASSWORD)
    assert right.status_code == 403 and "Your account is locked" in right.content.decode()
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert (
        actions("account.sign_in_failed", "account.locked_out", "account.signed_in")
        == ["account.sign_in_failed"] * 4 + ["account.locked_out"] * 2
    )
    assert AuditEvent.objects.filter(action="account.locked_out").first().detail == {
        "email": people.police.email
    }


def test_the_lockout_page_is_the_same_whether_or_not_an_account_has_the_address(client, people):
    for _ in range(5):
        real = sign_in(client, people.police.email, "wrong password!")
        invented = sign_in(client, "nobody@nowhere.example", "wrong password!")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert real.status_code == invented.status_code == 403
    assert strip.sub("", real.content.decode()) == strip.sub("", invented.content.decode())


def test_the_address_is_counted_however_it_is_typed(client, people):
    for typed in ("PC.ONE@police.example", " pc.one@POLICE.example ", "pc.one@police.example"):
        sign_in(client, typed, "wrong password!")
        sign_in(client, typed.upper(), "wrong password!")
    assert sign_in(client, people.police.email).status_code == 403


def test_an_administrator_unlocks_an_account_with_the_management_command(client, people):
    for _ in range(5):
        sign_in(client, people.police.email, "wrong password!")
    assert sign_in(client, people.police.email).status_code == 403

    call_command("axes_reset_username", people.police.email)

    response = sign_in(client, people.police.email)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor_set_up"))


def test_a_complete_sign_in_forgets_earlier_failures(client, people):
    verified_device(people.la)
    for _ in range(4):
        sign_in(client, people.la.email, "wrong password!")
    sign_in(client, people.la.email)
    assert AccessAttempt.objects.filter(username=people.la.email).exists(), (
        "the password alone does not clear the count"
    )
    code_page(client, totp_code(TOTPDevice.objects.get(user=people.la)))
    assert not AccessAttempt.objects.filter(username=people.la.email).exists()


def test_wrong_codes_count_towards_the_lockout_and_end_the_session(client, people, clock):
    verified_device(people.police)
    sign_in(client, people.police.email)
    for attempt in range(4):
        clock.shift(timedelta(minutes=5))  # past the device's growing throttle each time
        assert code_page(client, "000000").status_code == 200, attempt
    clock.shift(timedelta(minutes=20))
    locked = code_page(client, "000000")
    assert locked.status_code == 403 and "Your account is locked" in locked.content.decode()
    assert client.get(reverse("second_factor"))["Location"].startswith(reverse("login"))
    assert sign_in(client, people.police.email).status_code == 403
