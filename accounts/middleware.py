"""Session limits and the second-factor gate, for every page.

SessionTimeoutMiddleware signs a session out after SESSION_IDLE_TIMEOUT minutes without a
request, or SESSION_COOKIE_AGE seconds after sign-in whatever happens; the sign-in page then
says why. SecondFactorMiddleware lets a signed-in session that still owes its second factor
reach nothing but the sign-in pages (the API refuses it through
accounts.permissions.SecondFactorVerified).
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from .selectors import SecondFactorStep, second_factor_step
from .services import session_expired_record

# Session keys: epoch seconds of sign-in and of the last request that was counted, and why a
# session was ended (read once by the sign-in page).
SIGNED_IN_AT = "accounts.signed_in_at"
LAST_ACTIVITY = "accounts.last_activity"
SIGNED_OUT_REASON = "accounts.signed_out_reason"

# Last activity is written at most this often (and at most a tenth of the idle limit), so a
# busy session is not saved on every request; a session may then end up to this much early.
ACTIVITY_WRITE_SECONDS = 60

# Pages a session owing its second factor may still use (URL names).
SIGN_IN_PAGES = frozenset(
    {
        "login",
        "logout",
        "second_factor",
        "second_factor_set_up",
        "backup_codes",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "healthz",
        "assets",
    }
)
STEP_PAGES = {
    SecondFactorStep.VERIFY: "second_factor",
    SecondFactorStep.SET_UP: "second_factor_set_up",
}


def _now() -> int:
    return int(timezone.now().timestamp())


def signed_in_now(request: HttpRequest) -> None:
    """Start the clocks of a session that has just signed in."""
    now = _now()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_ACTIVITY] = now


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        session, now = request.session, _now()
        idle_limit = settings.SESSION_IDLE_TIMEOUT * 60
        signed_in_at = session.get(SIGNED_IN_AT)
        last = session.get(LAST_ACTIVITY)
        reason = None
        if signed_in_at is not None and now - signed_in_at >= settings.SESSION_COOKIE_AGE:
            reason = "absolute"
        elif last is not None and now - last >= idle_limit:
            reason = "idle"
        if reason:
            user = request.user
            session_expired_record(user=user, reason=reason)
            logout(request)  # a fresh, empty session; the request goes on signed out
            request.session[SIGNED_OUT_REASON] = reason
            return
        if signed_in_at is None:
            session[SIGNED_IN_AT] = now
        if last is None or now - last >= min(ACTIVITY_WRITE_SECONDS, idle_limit // 10):
            session[LAST_ACTIVITY] = now


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or (match.namespaces and match.namespaces[0] == "api"):
            return None  # the API answers 403 itself (accounts.permissions)
        if not request.user.is_authenticated:
            return None
        step = second_factor_step(request.user)
        request.second_factor_pending = step  # the header then offers only "Sign out"
        if step is None or match.url_name in SIGN_IN_PAGES:
            return None
        return redirect_to_login(request.get_full_path(), reverse(STEP_PAGES[step]))
