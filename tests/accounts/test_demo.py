"""Demo users sign in as real ones do: staff with an authenticator whose secret is printed."""

import re
from base64 import b32decode
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import Role

pytestmark = pytest.mark.django_db

PASSWORD = "a-demo-password-1"


def _demo(**kwargs) -> str:
    out = StringIO()
    call_command("demo_data", password=PASSWORD, stdout=out, **kwargs)
    return out.getvalue()


def test_every_demo_member_of_staff_gets_an_authenticator_and_its_secret_is_printed(
    regions_loaded,
):
    out = _demo()
    staff = User.objects.exclude(groups__name=Role.REFERRER.value)
    referrers = User.objects.filter(groups__name=Role.REFERRER.value)
    assert staff.count() == 20 and referrers.count() == 4
    for user in staff:
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        line = next(line for line in out.splitlines() if line.strip().startswith(user.email))
        secret = re.search(r"\b([A-Z2-7]{32})\b", line).group(1)
        assert b32decode(secret) == device.bin_key, user.email
    for user in referrers:
        assert not TOTPDevice.objects.filter(user=user).exists()
        assert "optional for referrers" in next(
            row for row in out.splitlines() if user.email in row
        )
    assert "manage.py demo_totp EMAIL" in out


def test_the_secret_stays_the_same_when_the_demo_data_is_built_again(regions_loaded):
    _demo()
    before = dict(TOTPDevice.objects.values_list("user__email", "key"))
    _demo()
    assert dict(TOTPDevice.objects.values_list("user__email", "key")) == before


def test_a_demo_user_signs_in_with_the_code_demo_totp_prints(client, regions_loaded):
    _demo()
    email = "police.london@example.police.uk"
    response = client.post(reverse("login"), {"username": email, "password": PASSWORD})
    assert response["Location"].startswith(reverse("second_factor"))
    out = StringIO()
    call_command("demo_totp", email, stdout=out)
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    assert client.post(reverse("second_factor"), {"code": code})["Location"] == reverse("home")
    assert client.get(reverse("workflows:my_tasks")).status_code == 200


def test_demo_totp_refuses_a_user_without_an_authenticator(regions_loaded):
    _demo()
    with pytest.raises(CommandError, match="has no authenticator"):
        call_command("demo_totp", "dsl.camden@example.sch.uk", stdout=StringIO())


def test_nothing_is_printed_or_made_under_production_settings(settings, regions_loaded):
    _demo()
    settings.ENVIRONMENT = "production"
    out = StringIO()
    with pytest.raises(CommandError, match="refused under production"):
        call_command("demo_totp", "police.london@example.police.uk", stdout=out)
    assert out.getvalue() == ""
    TOTPDevice.objects.all().delete()
    with pytest.raises(CommandError, match="refused under production"):
        _demo()
    assert not TOTPDevice.objects.exists()
