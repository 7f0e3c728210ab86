"""Lockout after repeated failures, counted by django-axes against the email address typed.

Axes counts what `authenticate()` refuses (wrong passwords, and any attempt once locked); the
second-factor page adds wrong codes to the same count, so guessing codes locks the account
as guessing passwords does. An address is counted whether or not an account has it, so the
lockout page says nothing about which addresses exist.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.http import HttpRequest


def email_normalise(value: str | None) -> str:
    """How an email address typed at sign-in is compared: trimmed and lower case, as stored."""
    return (value or "").strip().lower()


def username_of(request: HttpRequest, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the address an attempt counts against, however it was typed."""
    if credentials and credentials.get("username"):
        return email_normalise(credentials["username"])
    data = getattr(request, "POST", None) or {}
    return email_normalise(data.get("username")) or None


def _credentials(email: str) -> dict:
    return {"username": email_normalise(email)}


def lockout_is_active(request: HttpRequest, email: str) -> bool:
    """Whether the address has reached the failure limit (and its cool-off, if any, is on)."""
    if not settings.AXES_ENABLED:
        return False
    return AxesProxyHandler.is_locked(request, _credentials(email))


def lockout_failure_record(request: HttpRequest, email: str) -> bool:
    """Count one failure against the address outside `authenticate()` (a wrong code).

    Returns whether the address is now locked.
    """
    AxesProxyHandler.user_login_failed(
        sender=__name__, credentials=_credentials(email), request=request
    )
    return bool(getattr(request, "axes_locked_out", False))


def lockout_clear(email: str) -> int:
    """Forget the failures counted against an address: unlocks it. Returns how many rows went.

    Called when a sign-in is complete (password and, where needed, second factor): clearing on
    the password alone would let someone holding it guess codes without ever being locked.
    """
    return AxesProxyHandler.reset_attempts(username=email_normalise(email))
