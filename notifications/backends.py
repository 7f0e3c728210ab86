"""A Django email backend that sends through GOV.UK Notify.

Select it with `EMAIL_BACKEND = "notifications.backends.NotifyEmailBackend"` and set:

* `NOTIFY_API_KEY`: the key as Notify shows it, `{name}-{service id}-{secret}`;
* `NOTIFY_TEMPLATE_ID`: an email template whose subject is `((subject))` and whose body is
  `((body))`, so one template carries every message of the service;
* `NOTIFY_BASE_URL` (optional): defaults to the live API.

Standard library only. Notify authenticates each request with a JSON Web Token signed with
HS256 using the secret half of the API key; its claims are the service id (`iss`) and the
time of issue (`iat`, which Notify accepts within 30 seconds of its own clock).

Any failure raises (unless `fail_silently`), so the outbox in notifications/services.py records
it and the periodic resend tries again.
"""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"
EMAIL_PATH = "/v2/notifications/email"
UUID_LENGTH = 36
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class NotifyError(Exception):
    """Notify refused or could not be reached. The message never contains the API key."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def split_api_key(api_key: str) -> tuple[str, str]:
    """(service id, secret) from a Notify API key: both are the last two UUIDs in it."""
    key = (api_key or "").strip()
    if len(key) < 2 * UUID_LENGTH + 1:
        raise ImproperlyConfigured("NOTIFY_API_KEY is not a GOV.UK Notify API key")
    service_id = key[-(2 * UUID_LENGTH + 1) : -(UUID_LENGTH + 1)]
    secret = key[-UUID_LENGTH:]
    return service_id, secret


def notify_token(service_id: str, secret: str, *, issued_at: int | None = None) -> str:
    header = {"typ": "JWT", "alg": "HS256"}
    claims = {"iss": service_id, "iat": int(time.time() if issued_at is None else issued_at)}
    signing_input = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _checked_base_url(base_url: str) -> str:
    parsed = urllib.parse.urlsplit(base_url)
    if parsed.scheme == "https" or (parsed.scheme == "http" and parsed.hostname in LOCAL_HOSTS):
        return base_url.rstrip("/")
    raise ImproperlyConfigured("NOTIFY_BASE_URL must be an https:// address")


class NotifyEmailBackend(BaseEmailBackend):
    """One Notify request per recipient (Notify sends each email to one address)."""

    def __init__(self, fail_silently: bool = False, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.api_key = kwargs.get("api_key") or getattr(settings, "NOTIFY_API_KEY", "")
        self.template_id = kwargs.get("template_id") or getattr(settings, "NOTIFY_TEMPLATE_ID", "")
        self.base_url = _checked_base_url(
            kwargs.get("base_url") or getattr(settings, "NOTIFY_BASE_URL", "") or DEFAULT_BASE_URL
        )
        self.timeout = kwargs.get("timeout") or getattr(settings, "NOTIFY_TIMEOUT", 10)
        if not self.template_id:
            raise ImproperlyConfigured("NOTIFY_TEMPLATE_ID is required for the Notify backend")
        self.service_id, self.secret = split_api_key(self.api_key)

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            try:
                for address in message.recipients():
                    self._send_one(address, message)
            except (NotifyError, OSError):
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent

    def _send_one(self, address: str, message) -> dict:
        payload = {
            "email_address": address,
            "template_id": self.template_id,
            "personalisation": {"subject": message.subject, "body": message.body},
        }
        reference = message.extra_headers.get("X-Notify-Reference")
        if reference:
            payload["reference"] = reference
        request = urllib.request.Request(  # noqa: S310 - scheme checked in _checked_base_url
            self.base_url + EMAIL_PATH,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {notify_token(self.service_id, self.secret)}",
                "Content-Type": "application/json",
                "User-Agent": "prevent-referrals-notify-backend",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise NotifyError(
                f"Notify answered {exc.code}: {_notify_errors(exc)}", status=exc.code
            ) from None
        except urllib.error.URLError as exc:
            raise NotifyError(f"Notify could not be reached: {exc.reason}") from None


def _notify_errors(exc: urllib.error.HTTPError) -> str:
    """Notify's own explanation ({"errors": [{"error": ..., "message": ...}]}), if it gave one."""
    try:
        body = json.loads(exc.read() or b"{}")
        return "; ".join(f"{e.get('error')}: {e.get('message')}" for e in body["errors"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return exc.reason or "no details"
