"""Sign-in: the second factor, lockout, ending sessions and password reset. Each writes its
audit event (compliance.audit) as it happens; the views only move the session along."""

import math
import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp import user_has_device, verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.audit import audit_record
from config.errors import ApplicationError, PermissionDenied
from notifications.services import notification_queue

from .lockout import email_normalise, lockout_clear, lockout_failure_record, lockout_is_active
from .models import User
from .selectors import SecondFactorStep, backup_device, totp_device_confirmed, totp_device_pending

TOTP_DIGITS = 6
DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"


class SignInLocked(ApplicationError):
    """Too many failures: the account is locked and this session must end."""

    def __init__(self) -> None:
        super().__init__("This account is locked", field=None, code="locked")


def code_normalise(code: str | None) -> str:
    """Codes as people type them: with spaces or dashes (`123 456`, `abcd-efgh`), any case."""
    return re.sub(r"[\s-]", "", code or "").lower()


# --- Password step ------------------------------------------------------------------------------


def sign_in_record(*, user: User, step: SecondFactorStep | None) -> None:
    """The password was right. When nothing more is needed the sign-in is complete and the
    failures counted against the address are forgotten."""
    audit_record(
        actor=user,
        action="account.signed_in",
        obj=user,
        detail={"second_factor": step.value if step else "not needed"},
    )
    if step is None:
        lockout_clear(user.email)


def sign_in_failure_record(*, email: str, locked: bool) -> None:
    """A refused sign-in, by the address typed (which may belong to nobody)."""
    audit_record(
        action="account.locked_out" if locked else "account.sign_in_failed",
        object_type="accounts.user",
        detail={"email": email_normalise(email)[:254]},
    )


# --- Second factor ------------------------------------------------------------------------------


def _device_for(user: User, code: str) -> Device | None:
    if code.isdigit() and len(code) == TOTP_DIGITS:
        return totp_device_confirmed(user)
    return backup_device(user)


def _wait(info: dict | None) -> str:
    until = (info or {}).get("locked_until")
    seconds = 1 if until is None else max(1, math.ceil((until - timezone.now()).total_seconds()))
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def second_factor_check(*, request: HttpRequest, user: User, code: str) -> Device:
    """The device that accepts `code` (a code from the authenticator app, or a backup code,
    which then cannot be used again).

    A wrong code counts towards the lockout as a wrong password does; the device's own throttle
    makes each attempt after a wrong one wait longer. Raises ApplicationError on `code`, or
    SignInLocked once the account is locked.
    """
    code = code_normalise(code)
    if not code:
        raise ApplicationError(
            "Enter the code from your authenticator app, or a backup code", field="code"
        )
    if lockout_is_active(request, user.email):
        sign_in_failure_record(email=user.email, locked=True)
        raise SignInLocked
    device = _device_for(user, code)
    if device is not None:
        allowed, info = device.verify_is_allowed()
        if not allowed:
            raise ApplicationError(
                f"You entered a wrong code too recently. Wait {_wait(info)}, "
                "then enter the code your app shows now",
                field="code",
            )
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            method = "backup code" if isinstance(verified, StaticDevice) else "authenticator app"
            audit_record(
                actor=user,
                action="account.second_factor_verified",
                obj=user,
                detail={"method": method},
            )
            lockout_clear(user.email)
            return verified
    audit_record(actor=user, action="account.second_factor_failed", obj=user)
    if lockout_failure_record(request, user.email):
        sign_in_failure_record(email=user.email, locked=True)
        raise SignInLocked
    raise ApplicationError(
        "The code is not right. Enter the code your authenticator app shows now, "
        "or one of your backup codes",
        field="code",
    )


def totp_device_start(*, user: User) -> TOTPDevice:
    """The authenticator to add: its secret is shown until a code from it confirms it.

    Only for someone with no second factor yet (no authenticator, no backup codes): anyone
    holding just the password of an account that has one must not be able to add their own.
    """
    if user_has_device(user, confirmed=True):
        raise PermissionDenied("You already have a second factor set up.")
    return totp_device_pending(user) or TOTPDevice.objects.create(
        user=user, name=DEVICE_NAME, confirmed=False
    )


@transaction.atomic
def totp_device_confirm(*, user: User, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator being set up with a code from it; returns it and a fresh set
    of backup codes, shown once."""
    device = totp_device_start(user=user)
    code = code_normalise(code)
    if not code:
        raise ApplicationError("Enter the 6-digit code from your authenticator app", field="code")
    if not (code.isdigit() and len(code) == TOTP_DIGITS):
        raise ApplicationError("The code must be 6 numbers", field="code")
    allowed, info = device.verify_is_allowed()
    if not allowed:
        raise ApplicationError(
            f"You entered a wrong code too recently. Wait {_wait(info)}, "
            "then enter the code your app shows now",
            field="code",
        )
    if not device.verify_token(code):
        raise ApplicationError(
            "The code is not right. Check you added the secret key correctly, then enter the "
            "code your app shows now",
            field="code",
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    codes = _backup_codes_make(user)
    audit_record(actor=user, action="account.second_factor_set_up", obj=user)
    lockout_clear(user.email)
    return device, codes


def _backup_codes_make(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def backup_codes_replace(*, user: User) -> list[str]:
    """New backup codes for someone with an authenticator; the old ones stop working."""
    if totp_device_confirmed(user) is None:
        raise PermissionDenied("Set up an authenticator app first.")
    codes = _backup_codes_make(user)
    audit_record(actor=user, action="account.backup_codes_replaced", obj=user)
    return codes


# --- Sessions -----------------------------------------------------------------------------------


@transaction.atomic
def sessions_end_everywhere(*, user: User) -> None:
    """End every session of the user, on every device: each session's stored hash stops
    matching (accounts.models.User._get_session_auth_hash)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    audit_record(actor=user, action="account.signed_out_everywhere", obj=user)


def session_expired_record(*, user: User, reason: str) -> None:
    audit_record(actor=user, action="account.session_expired", obj=user, detail={"reason": reason})


# --- Password reset -----------------------------------------------------------------------------


def _reset_accounts(email: str):
    """Active accounts with this address that may reset a password (not those made without
    one, such as accounts that only exist for records)."""
    for user in User.objects.filter(email__iexact=email_normalise(email), is_active=True):
        if user.has_usable_password():
            yield user


@transaction.atomic
def password_reset_request(*, email: str, reset_link: Callable[[str, str], str]) -> None:
    """Email a one-use reset link, through the outbox, if an account has this address.

    Says nothing either way: the page after it is the same whether or not anyone was sent
    anything. `reset_link(uidb64, token)` makes the absolute address of the reset page.
    """
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    for user in _reset_accounts(email):
        token = default_token_generator.make_token(user)
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        notification_queue(
            kind="password_reset",
            dedupe_key=f"password-reset:{user.pk}:{token}",
            to=[user.email],
            subject="Reset your password for Prevent referrals",
            body=(
                f"Dear {user.full_name or user.email},\n\n"
                "Someone asked to reset the password for your Prevent referrals account. "
                f"To choose a new password, open this link within {minutes} minutes:\n\n"
                f"{reset_link(uid, token)}\n\n"
                "The link works once. If you did not ask for this, you do not need to do "
                "anything: your password has not changed.\n\n"
                f"If you need help, email {settings.ACCOUNT_SUPPORT_EMAIL}.\n"
            ),
        )
        audit_record(actor=user, action="account.password_reset_requested", obj=user)


def password_reset_complete(*, user: User) -> None:
    """The new password is set (every other session ended with the old one). Proving control
    of the email address also lifts a lockout: whoever locked it did not have both."""
    audit_record(actor=user, action="account.password_reset_completed", obj=user)
    lockout_clear(user.email)
