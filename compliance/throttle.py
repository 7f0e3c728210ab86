"""A limit on complaints sent from one network address, kept in Django's cache.

Generous enough that a family or an office sharing a connection is never stopped; anyone who
does reach it is told plainly how else to reach the unit.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 60 * 60


def _limit() -> int:
    return settings.COMPLAINTS_PER_HOUR_PER_ADDRESS


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


def _key(request: HttpRequest) -> str:
    return f"complaints:sent-from:{client_address(request)}"


def complaint_limit_reached(request: HttpRequest) -> bool:
    return (cache.get(_key(request)) or 0) >= _limit()


def complaint_sent_count(request: HttpRequest) -> None:
    """Count one complaint (or one automated submission) against the sender's address."""
    key = _key(request)
    if not cache.add(key, 1, WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, WINDOW_SECONDS)
