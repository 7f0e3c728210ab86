"""API clients' webhooks: registered, disabled, and their outbox delivered, signed, retried.

A delivery moves through `WebhookDelivery.Status`:

* pending: new, or waiting out the back-off after a failed try;
* sending: claimed in its own committed transaction before the endpoint is called, so two
  workers never post it at once; a claim older than WEBHOOK_SENDING_TIMEOUT belongs to a
  worker that died and is tried again (delivery is at least once: receivers drop an id they
  have seen);
* delivered: the endpoint answered 2xx;
* failed: it kept failing for WEBHOOK_RETRY_HOURS after its first try.

An endpoint's address must be https:// and must not resolve to a private, loopback,
link-local or reserved address (a request from here must never reach the service's own
network). It is checked when registered and again before every delivery, since what a name
resolves to can change; redirects are never followed.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.audit import audit_record
from config.errors import ApplicationError, Problems

from .events import webhook_deliveries_enqueue
from .models import ApiClient, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status
SECRET_PREFIX = "whsec_"  # noqa: S105  # nosec B105 - a prefix, not a secret
ERROR_MAX_LENGTH = 2000
RESEND_BATCH = 1000
MAX_ENDPOINTS_PER_CLIENT = 10
LOCAL_HOSTS = {"127.0.0.1"}
USER_AGENT = "Prevent-Webhooks/1"


class UnsafeAddress(Exception):
    """The endpoint's address is not one the service may call."""


def webhook_secret(endpoint: WebhookEndpoint) -> str:
    """The endpoint's signing secret, derived from the service's key and the endpoint's salt."""
    digest = hmac.new(
        settings.WEBHOOK_SECRET_KEY.encode(), endpoint.secret_salt.encode(), hashlib.sha256
    ).hexdigest()
    return f"{SECRET_PREFIX}{digest}"


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """`v1=` and the hex HMAC-SHA256 of "{timestamp}.{body}": what a receiver recomputes."""
    signed = f"{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _address_refused(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def _resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to (the test suite replaces this)."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def webhook_url_check(url: str) -> None:
    """Raise UnsafeAddress unless `url` is https:// to a host that resolves only to public
    addresses (or http://127.0.0.1 where the settings allow it, for tests)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if (
        settings.WEBHOOK_ALLOW_LOCAL_HTTP
        and host in LOCAL_HOSTS
        and parts.scheme in ("http", "https")
    ):
        return
    if parts.scheme != "https" or not host:
        raise UnsafeAddress("Use an https:// address")
    if parts.username or parts.password:
        raise UnsafeAddress("Do not put a user name or password in the address")
    try:
        addresses = _resolve(host, parts.port or 443)
    except (OSError, UnicodeError) as exc:
        raise UnsafeAddress(f"The address's host could not be found ({exc})") from exc
    if not addresses or any(_address_refused(address) for address in addresses):
        raise UnsafeAddress("The address must not be a private, local or reserved one")


def webhook_endpoint_register(
    *, client: ApiClient, url: str, event_types: list[str] | None = None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for the client's own referrals; returns it and its secret, which
    is shown only now."""
    problems = Problems()
    url = problems.required((url or "").strip(), "url", "Enter the endpoint's https:// address")
    wanted = sorted(set(event_types or WebhookEvent.values))
    unknown = sorted(set(wanted) - set(WebhookEvent.values))
    problems.check(not unknown, "event_types", f"Unknown event type: {', '.join(unknown)}")
    if url:
        try:
            webhook_url_check(url)
        except UnsafeAddress as exc:
            problems.check(False, "url", str(exc))
    active = WebhookEndpoint.objects.filter(client=client, is_active=True).count()
    problems.check(
        active < MAX_ENDPOINTS_PER_CLIENT,
        "url",
        f"A client may have at most {MAX_ENDPOINTS_PER_CLIENT} endpoints: delete one first",
    )
    problems.raise_any()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            client=client, url=url, event_types=wanted, secret_salt=secrets.token_hex(32)
        )
        audit_record(
            actor=client.user,
            action="webhook.registered",
            obj=endpoint,
            detail={"url": url, "event_types": wanted},
        )
    return endpoint, webhook_secret(endpoint)


def webhook_endpoint_disable(*, endpoint: WebhookEndpoint) -> None:
    """Stop an endpoint: nothing new is written for it and its pending deliveries end."""
    if not endpoint.is_active:
        raise ApplicationError("This endpoint is already deleted", field="endpoint")
    now = timezone.now()
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_at=now)
        WebhookDelivery.objects.filter(endpoint=endpoint, status=Status.PENDING).update(
            status=Status.FAILED, last_error="The endpoint was deleted"
        )
        audit_record(
            actor=endpoint.client.user,
            action="webhook.deleted",
            obj=endpoint,
            detail={"url": endpoint.url},
        )
    endpoint.is_active, endpoint.disabled_at = False, now


# --- Delivery ---------------------------------------------------------------------------------


def _retry_delay(attempts: int) -> timedelta:
    """Exponential back-off with jitter: up to base × 2^(n-1), capped, never under half of it."""
    ceiling = min(
        settings.WEBHOOK_RETRY_MAX_SECONDS,
        settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    # Jitter spreads retries out; it protects nothing, so no secure generator is needed.
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311  # nosec B311


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Mark the delivery "sending" and commit, before the endpoint is called."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != Status.PENDING:
            return None
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return None  # still backing off: the beat job queues it when it is due
        if not delivery.endpoint.is_active:
            delivery.status = Status.FAILED
            delivery.last_error = "The endpoint was deleted"
            delivery.save(update_fields=["status", "last_error"])
            return None
        delivery.status = Status.SENDING
        delivery.claimed_at = now
        delivery.attempts += 1
        delivery.first_attempt_at = delivery.first_attempt_at or now
        delivery.save(update_fields=["status", "claimed_at", "attempts", "first_attempt_at"])
    return delivery


def _post(delivery: WebhookDelivery) -> int:
    """Post the signed payload; the endpoint's status code (redirects are not followed)."""
    endpoint = delivery.endpoint
    webhook_url_check(endpoint.url)
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Prevent-Webhook-Id": str(delivery.public_id),
        "Prevent-Webhook-Timestamp": str(timestamp),
        "Prevent-Webhook-Signature": webhook_signature(
            secret=webhook_secret(endpoint), timestamp=timestamp, body=body
        ),
    }
    response = requests.post(
        endpoint.url,
        data=body,
        headers=headers,
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        allow_redirects=False,
    )
    response.close()
    return response.status_code


def _record(delivery_id: int, *, code: int | None, error: str, started: float) -> None:
    """Record the try and move the delivery on: delivered, back to pending, or failed."""
    now = timezone.now()
    error = error[:ERROR_MAX_LENGTH]
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.status != Status.SENDING:
            return
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=delivery.claimed_at or now,
            response_code=code,
            error=error,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        delivery.last_response_code = code
        delivery.last_error = error
        delivery.claimed_at = None
        window = timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
        if code is not None and 200 <= code < 300:
            delivery.status = Status.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        elif now - delivery.first_attempt_at >= window:
            delivery.status = Status.FAILED
            delivery.next_attempt_at = None
            logger.warning("Webhook delivery %s failed for good: %s", delivery.pk, error)
        else:
            delivery.status = Status.PENDING
            delivery.next_attempt_at = now + _retry_delay(delivery.attempts)
        delivery.save(
            update_fields=[
                "status",
                "last_response_code",
                "last_error",
                "claimed_at",
                "next_attempt_at",
                "delivered_at",
            ]
        )


def webhook_deliver(*, delivery_id: int) -> bool:
    """Try one delivery now, if it is due; True once it is delivered.

    Idempotent: a redelivered task, or the beat job queueing a row whose own task is on its
    way, finds it claimed or done and does nothing.
    """
    delivery = _claim(delivery_id)
    if delivery is None:
        return False
    started = time.monotonic()
    code, error = None, ""
    try:
        code = _post(delivery)
        if not 200 <= code < 300:
            error = f"The endpoint answered {code}"
    except UnsafeAddress as exc:
        error = f"Not sent: {exc}"
    except requests.RequestException as exc:  # timeouts, refused connections, TLS errors
        error = f"{type(exc).__name__}: {exc}"
    _record(delivery_id, code=code, error=error, started=started)
    return code is not None and 200 <= code < 300


def webhooks_resend_pending(*, older_than_seconds: int = 30) -> int:
    """The beat job: free claims of workers that died, then queue every due delivery, oldest
    first. New rows are left for `older_than_seconds` (their own task is on its way).
    Returns how many were queued."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.WEBHOOK_SENDING_TIMEOUT)
    freed = WebhookDelivery.objects.filter(status=Status.SENDING, claimed_at__lt=stale).update(
        status=Status.PENDING,
        claimed_at=None,
        last_error="The delivery was interrupted: trying again",
    )
    if freed:
        logger.warning("%s webhook delivery(ies) interrupted; trying again", freed)
    ids = list(
        WebhookDelivery.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            status=Status.PENDING,
            created_at__lte=now - timedelta(seconds=older_than_seconds),
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:RESEND_BATCH]
    )
    webhook_deliveries_enqueue(ids)
    return len(ids)
