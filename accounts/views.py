"""Sign-in pages: email and password, then the second factor (or setting one up), lockout,
password reset, and the account page. The rules are in services and selectors; these pages move
the session along: django.contrib.auth.login after the password, django_otp.login after the
code."""

from base64 import b32encode

import segno
from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login
from django_ratelimit.core import get_usage

from config.errors import ApplicationError, PermissionDenied
from config.forms import posted, refused

from .forms import CodeForm, PasswordResetRequestForm, SetPasswordForm, SetUpCodeForm, SignInForm
from .lockout import email_normalise
from .middleware import SIGNED_OUT_REASON, STEP_PAGES, signed_in_now
from .selectors import (
    SecondFactorStep,
    backup_codes_left,
    second_factor_required,
    second_factor_step,
    session_verified,
    totp_device_confirmed,
)
from .services import (
    SignInLocked,
    backup_codes_replace,
    password_reset_complete,
    password_reset_request,
    second_factor_check,
    sessions_end_everywhere,
    sign_in_failure_record,
    sign_in_record,
    totp_device_confirm,
    totp_device_start,
)

BACKUP_CODES_TO_SHOW = "accounts.backup_codes_to_show"  # shown once, then gone from the session
RESET_WINDOW_SECONDS = 60 * 60


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home.html")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _next_url(request: HttpRequest) -> str:
    """Where to go once signed in: a `next` on this site, or the home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def _signed_out_message(reason: str | None) -> str:
    if reason == "idle":
        return (
            f"You were signed out because you did not do anything for "
            f"{settings.SESSION_IDLE_TIMEOUT} minutes. Sign in again to continue."
        )
    if reason == "absolute":
        hours = settings.SESSION_COOKIE_AGE // 3600
        return (
            f"You were signed out because you had been signed in for {hours} hours. "
            "Sign in again to continue."
        )
    if reason == "everywhere":
        return "You have been signed out on every device. Sign in again to continue."
    return ""


def _step_redirect(step: SecondFactorStep, next_url: str) -> HttpResponse:
    return redirect_to_login(next_url, reverse(STEP_PAGES[step]))


class SignInView(auth_views.LoginView):
    """Email and password. A right password signs the session in, but staff (and anyone with
    an authenticator) reach nothing until the second factor is done (SecondFactorMiddleware)."""

    template_name = "accounts/login.html"
    form_class = SignInForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["signed_out"] = _signed_out_message(
            self.request.session.pop(SIGNED_OUT_REASON, None)
        )
        return context

    def form_valid(self, form):
        user = form.get_user()
        auth_login(self.request, user)
        signed_in_now(self.request)
        step = second_factor_step(user)
        sign_in_record(user=user, step=step)
        if step is not None:
            return _step_redirect(step, self.get_success_url())
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        email, password = form.data.get("username", ""), form.data.get("password", "")
        if email and password:  # authenticate() was asked, and refused
            locked = bool(getattr(self.request, "axes_locked_out", False))
            sign_in_failure_record(email=email, locked=locked)
        # When locked, AxesMiddleware answers with `locked_out` instead.
        return super().form_invalid(form)


def locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the same page whether or not an account has the address."""
    return render(
        request,
        "accounts/locked.html",
        {"support_email": settings.ACCOUNT_SUPPORT_EMAIL},
        status=403,
    )


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Enter the code from the authenticator app, or a backup code."""
    step = second_factor_step(request.user)
    next_url = _next_url(request)
    if step is None:
        return redirect(next_url)
    if step is SecondFactorStep.SET_UP:
        return _step_redirect(step, next_url)
    form = CodeForm(posted(request))
    status = 200
    if form.is_valid():
        try:
            device = second_factor_check(
                request=request, user=request.user, code=form.cleaned_data["code"]
            )
        except SignInLocked:
            logout(request)
            return locked_out(request)
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            otp_login(request, device)
            request.session.cycle_key()
            return redirect(next_url)
    return render(
        request,
        "accounts/second_factor.html",
        {"form": form, "next": next_url, "support_email": settings.ACCOUNT_SUPPORT_EMAIL},
        status=status,
    )


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _qr_svg(uri: str) -> str:
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app", svgclass="app-qr"
    )
    # segno's SVG of the service's own otpauth URI: no user input reaches it.
    qr = svg.replace("<svg ", '<svg role="img" focusable="false" ', 1)
    return mark_safe(qr)  # noqa: S308  # nosec B308 B703


@login_required
def second_factor_set_up(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: show its secret, confirm it with a code, then backup codes.

    Only while the account has none: with one, the session must use it (second_factor).
    """
    user = request.user
    next_url = _next_url(request)
    try:
        device = totp_device_start(user=user)
    except PermissionDenied:
        return redirect(next_url if session_verified(user) else reverse("second_factor"))
    form = SetUpCodeForm(posted(request))
    status = 200
    if form.is_valid():
        try:
            device, codes = totp_device_confirm(user=user, code=form.cleaned_data["code"])
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            otp_login(request, device)
            request.session.cycle_key()
            request.session[BACKUP_CODES_TO_SHOW] = codes
            return redirect_to_login(next_url, reverse("backup_codes"))
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/second_factor_set_up.html",
        {
            "form": form,
            "next": next_url,
            "secret": _grouped(secret),
            "otpauth_uri": device.config_url,
            "qr_svg": _qr_svg(device.config_url),
            "required": second_factor_required(user),
        },
        status=status,
    )


@login_required
def backup_codes(request: HttpRequest) -> HttpResponse:
    """The backup codes just made, once: they leave the session as the page is shown."""
    codes = request.session.pop(BACKUP_CODES_TO_SHOW, None)
    if not codes:
        return redirect("account")
    return render(
        request,
        "accounts/backup_codes.html",
        {"codes": [format_html("{} {}", c[:4], c[4:]) for c in codes], "next": _next_url(request)},
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "has_authenticator": totp_device_confirmed(user) is not None,
            "backup_codes_left": backup_codes_left(user),
            "required": second_factor_required(user),
            "idle_minutes": settings.SESSION_IDLE_TIMEOUT,
        },
    )


@login_required
@require_POST
def backup_codes_new(request: HttpRequest) -> HttpResponse:
    try:
        codes = backup_codes_replace(user=request.user)
    except PermissionDenied:
        return redirect("account")
    request.session[BACKUP_CODES_TO_SHOW] = codes
    return redirect_to_login(reverse("account"), reverse("backup_codes"))


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    sessions_end_everywhere(user=request.user)
    logout(request)
    request.session[SIGNED_OUT_REASON] = "everywhere"
    return redirect("login")


# --- Password reset -----------------------------------------------------------------------------


def _reset_allowed(request: HttpRequest, email: str) -> bool:
    """At most PASSWORD_RESETS_PER_HOUR_PER_ADDRESS emails to one address an hour, so nobody
    can fill someone's inbox; past it the page says the same and sends nothing."""
    usage = get_usage(
        request,
        group="accounts.password_reset",
        key=lambda group, request: email,
        rate=(settings.PASSWORD_RESETS_PER_HOUR_PER_ADDRESS, RESET_WINDOW_SECONDS),
        increment=True,
    )
    return usage is None or not usage["should_limit"]


def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. What follows is the same page whatever the address."""
    form = PasswordResetRequestForm(posted(request))
    if form.is_valid():
        email = email_normalise(form.cleaned_data["email"])
        if _reset_allowed(request, email):
            password_reset_request(
                email=email,
                reset_link=lambda uid, token: request.build_absolute_uri(
                    reverse("password_reset_confirm", args=[uid, token])
                ),
            )
        return redirect("password_reset_done")
    return render(request, "accounts/password_reset.html", {"form": form})


def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/password_reset_done.html",
        {"minutes": settings.PASSWORD_RESET_TIMEOUT // 60},
    )


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose a new password from the emailed link (Django checks the one-use token)."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("password_reset_complete")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        password_reset_complete(user=form.user)
        return response


def password_reset_complete_page(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_complete.html")
