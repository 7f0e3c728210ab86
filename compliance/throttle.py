"""A limit on complaints sent from one network address, counted by django-ratelimit.

Generous enough that a family or an office sharing a connection is never stopped; anyone who
does reach it is told plainly how else to reach the unit.

The counts live in Django's default cache (see CACHE_URL in config/settings/base.py): Redis
shares them between every web process and increments them atomically (production refuses to
start without it; a per-process cache would let each gunicorn worker accept its own quota).
django-ratelimit counts in fixed hourly windows (each address's window starts at its own
offset within the hour), so a limit that has been reached lifts within the hour.

A complaint is admitted by incrementing the count *before* it is accepted
(`complaint_admitted`): the increment is one atomic cache operation, so of complaints sent
together from one address exactly the limit get through, however many web processes share
the work. Reading the count first and adding to it after acceptance let each of them through.
"""

import logging

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)
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


# What django-ratelimit answers when the cache cannot be used: refuse.
_CACHE_DOWN = {"count": 0, "limit": 0, "should_limit": True, "time_left": -1}


def _usage(request: HttpRequest, *, increment: bool) -> dict | None:
    try:
        return get_usage(
            request,
            group=GROUP,
            key=_address_key,
            rate=(settings.COMPLAINTS_PER_HOUR_PER_ADDRESS, WINDOW_SECONDS),
            increment=increment,
        )
    except Exception:  # the shared cache is down: refuse, as an unreadable count does
        logger.exception("Complaint rate limit: the cache could not be used")
        return _CACHE_DOWN


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


def complaint_admitted(request: HttpRequest) -> bool:
    """Count this complaint against the sender's address, then say whether it may be accepted.

    The count is taken with the cache's atomic increment before anything is accepted, so only
    the first `COMPLAINTS_PER_HOUR_PER_ADDRESS` complaints in the window are admitted, even
    when they arrive at the same moment in different processes.
    """
    usage = _usage(request, increment=True)
    if usage is None:  # RATELIMIT_ENABLE = False
        return True
    return not usage["should_limit"]


def complaint_sent_count(request: HttpRequest) -> None:
    """Count one automated submission against the sender's address."""
    _usage(request, increment=True)
