"""Reads about a person's sign-in: whether they need a second factor, and whether this session
has given it. The middleware, the API's permission and the pages all ask these, so the rule
lives here once."""

from enum import StrEnum

from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User
from .roles import Role

# The only role that may sign in with a password alone: referrers see nothing but their own
# referrals. Everyone else (police, local authority, panel members, advisers, intervention
# providers, the Standards and Compliance Unit, the national centre, administrators) sees cases
# or the people in them.
SECOND_FACTOR_OPTIONAL_ROLES = frozenset({Role.REFERRER.value})


class SecondFactorStep(StrEnum):
    """What a signed-in session still has to do before it may use the service."""

    VERIFY = "verify"  # enter a code from the authenticator app, or a backup code
    SET_UP = "set_up"  # add an authenticator app first


def second_factor_required(user: User) -> bool:
    """Whether this person must use a second factor, whether or not they have set one up.

    Optional only for someone whose every group is a second-factor-optional role; someone in
    no group at all, or with access to the admin, needs one (fail closed: a role added later
    must not open case data on a password alone). One query.
    """
    if user.is_staff or user.is_superuser:
        return True
    names = set(user.groups.values_list("name", flat=True))
    return not names or not names <= SECOND_FACTOR_OPTIONAL_ROLES


def session_verified(user: User) -> bool:
    """Whether this session was verified by one of the user's confirmed devices.

    `otp_device` is set by django-otp's middleware from the session (and by django_otp.login
    when the code is accepted); a user object without it has not been verified.
    """
    device = getattr(user, "otp_device", None)
    return device is not None and device.confirmed and device.user_id == user.pk


def second_factor_step(user: User) -> SecondFactorStep | None:
    """What the user must still do in this session, or None when they may carry on.

    Anyone who has a confirmed device must use it, referrers included; staff without one must
    set one up. No query when the session is verified.
    """
    if not user.is_authenticated or session_verified(user):
        return None
    if user_has_device(user, confirmed=True):
        return SecondFactorStep.VERIFY
    if second_factor_required(user):
        return SecondFactorStep.SET_UP
    return None


def totp_device_confirmed(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def totp_device_pending(user: User) -> TOTPDevice | None:
    """The authenticator being set up: made, its secret shown, not yet confirmed by a code."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-pk").first()


def backup_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.devices_for_user(user, confirmed=True).first()


def backup_codes_left(user: User) -> int:
    device = backup_device(user)
    return device.token_set.count() if device else 0
