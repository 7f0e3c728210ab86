"""Test clients that sign in as the service requires: with a real, confirmed authenticator.

`Client.force_login(user)` (and `login(...)`) give a user who needs a second factor a confirmed
TOTP device and mark the session verified by it, exactly as django_otp.login() does after a
right code; `APIClient.force_authenticate(user)` sets `user.otp_device` to that device, as
django-otp's middleware does for a verified session. Users who need no second factor (referrers
without a device) are signed in with a password alone, as on the real pages. The sign-in pages
themselves are tested through the pages (tests/accounts/test_sign_in.py).
"""

import time

import django_otp
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.test import Client as DjangoClient
from django_otp import user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient as DRFAPIClient

from accounts.middleware import signed_in_now
from accounts.models import User
from accounts.selectors import second_factor_required

TEST_DEVICE_NAME = "Test authenticator"


def verified_device(user: User) -> TOTPDevice:
    """The user's confirmed authenticator, made if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name=TEST_DEVICE_NAME, confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """A code the device accepts now: the current one, or the next step's when the current
    one has been used (django-otp refuses a code twice; its tolerance takes one step ahead)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += (device.last_t + 1 - totp.t()) * device.step
    return f"{totp.token():0{device.digits}d}"


def _needs_second_factor(user: User) -> bool:
    return second_factor_required(user) or user_has_device(user, confirmed=True)


class _SecondFactorMixin:
    def login(self, **credentials) -> bool:
        """Through authenticate() with a request, as the sign-in page calls it, so lockout
        (django-axes, which needs the request) is enforced here too."""
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        user = authenticate(request, **credentials)
        if user is None:
            return False
        self._login(user)
        return True

    def _login(self, user, backend=None):
        """Then what the sign-in pages do next: start the session's clocks and, for someone
        who needs a second factor, verify the session with their device."""
        super()._login(user, backend)
        session = self.session
        request = HttpRequest()
        request.session = session
        request.user = user
        signed_in_now(request)
        if _needs_second_factor(user):
            django_otp.login(request, verified_device(user))
        session.save()


class Client(_SecondFactorMixin, DjangoClient):
    pass


class APIClient(_SecondFactorMixin, DRFAPIClient):
    def force_authenticate(self, user=None, token=None):
        if user is not None and _needs_second_factor(user):
            user.otp_device = verified_device(user)
        super().force_authenticate(user=user, token=token)
