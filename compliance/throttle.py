"""A limit on complaints sent from one network address, counted by django-ratelimit.

Generous enough that a family or an office sharing a connection is never stopped; anyone who
does reach it is told plainly how else to reach the unit.

The counts live in Django's default cache (see CACHE_URL in config/settings/base.py): Redis
shares them between every web process and increments them atomically. django-ratelimit counts
in fixed hourly windows (each address's window starts at its own offset within the hour), so
a limit that has been reached lifts within the hour.
"""

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

GROUP = "compliance.complaints"
WINDOW_SECONDS = 60 * 60


def client_address(request: HttpRequest) -> str:
    """The sender's address. Behind N trusted proxies, the Nth address from the right of
    X-Forwarded-For (set TRUSTED_PROXY_COUNT); otherwise the connection's own address.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _address_key(group: str, request: HttpRequest) -> str:
    return client_address(request)


def _usage(request: HttpRequest, *, increment: bool) -> dict | None:
    return get_usage(
        request,
        group=GROUP,
        key=_address_key,
        rate=(settings.COMPLAINTS_PER_HOUR_PER_ADDRESS, WINDOW_SECONDS),
        increment=increment,
    )


def complaint_limit_reached(request: HttpRequest) -> bool:
    """Whether the sender's address has already sent as many complaints as the hour allows.

    Only reads the count. django-ratelimit limits once the count is *over* the rate; here the
    next complaint is refused as soon as the count *reaches* it.
    """
    usage = _usage(request, increment=False)
    if usage is None:  # RATELIMIT_ENABLE = False
        return False
    # A cache that cannot be read refuses (limit 0), as django-ratelimit does by default.
    return usage["should_limit"] or usage["count"] >= usage["limit"]


def complaint_sent_count(request: HttpRequest) -> None:
    """Count one complaint (or one automated submission) against the sender's address."""
    _usage(request, increment=True)
