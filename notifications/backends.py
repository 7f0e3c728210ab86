"""A Django email backend that sends through GOV.UK Notify.

Select it with `EMAIL_BACKEND = "notifications.backends.NotifyEmailBackend"` and set:

* `NOTIFY_API_KEY`: the key as Notify shows it, `{name}-{service id}-{secret}`;
* `NOTIFY_TEMPLATE_ID`: an email template whose subject is `((subject))` and whose body is
  `((body))`, so one template carries every message of the service;
* `NOTIFY_BASE_URL` (optional): defaults to the live API.

Requests go through GOV.UK Notify's own Python client, which signs each one with a JSON Web
Token made from the API key. This module checks the configuration before the client sees it
(an https:// address, a key of the right shape) and turns the client's errors into
`NotifyError`, whose message never contains the key.

Any failure raises (unless `fail_silently`), so the outbox in notifications/services.py records
it and the periodic resend tries again. A failure after the request may have reached Notify (no
answer came back) says so (`NotifyError.outcome_unknown`): the outbox then asks Notify, by the
email's `reference`, whether it was accepted (`sent_with_reference`) instead of sending again.
Notify does not refuse a second email with the same reference; the reference is what lets us
find the first one.
"""

import urllib.parse

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"
UUID_LENGTH = 36
# `{name}-{service id}-{secret}`: the client reads the last two UUIDs, so nothing shorter works.
API_KEY_MIN_LENGTH = 2 * UUID_LENGTH + 1
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class NotifyError(Exception):
    """Notify refused or could not be reached. The message never contains the API key."""

    def __init__(self, message: str, *, status: int | None = None, outcome_unknown: bool = False):
        super().__init__(message)
        self.status = status
        # True when the request may have reached Notify but no answer came back (a read
        # timeout, a dropped connection): the email may or may not have been accepted.
        self.outcome_unknown = outcome_unknown


def _checked_api_key(api_key: str) -> str:
    key = (api_key or "").strip()
    if len(key) < API_KEY_MIN_LENGTH:
        raise ImproperlyConfigured("NOTIFY_API_KEY is not a GOV.UK Notify API key")
    return key


def _checked_base_url(base_url: str) -> str:
    parsed = urllib.parse.urlsplit(base_url)
    if not (
        parsed.scheme == "https" or (parsed.scheme == "http" and parsed.hostname in LOCAL_HOSTS)
    ):
        raise ImproperlyConfigured("NOTIFY_BASE_URL must be an https:// address")
    # The client joins "/v2/notifications/..." onto the address, dropping any path in it.
    if parsed.path.strip("/") or parsed.query or parsed.fragment:
        raise ImproperlyConfigured("NOTIFY_BASE_URL must be the API's address without a path")
    return base_url.rstrip("/")


class NotifyEmailBackend(BaseEmailBackend):
    """One Notify request per recipient (Notify sends each email to one address)."""

    def __init__(self, fail_silently: bool = False, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        api_key = _checked_api_key(kwargs.get("api_key") or getattr(settings, "NOTIFY_API_KEY", ""))
        self.template_id = kwargs.get("template_id") or getattr(settings, "NOTIFY_TEMPLATE_ID", "")
        self.base_url = _checked_base_url(
            kwargs.get("base_url") or getattr(settings, "NOTIFY_BASE_URL", "") or DEFAULT_BASE_URL
        )
        self.timeout = kwargs.get("timeout") or getattr(settings, "NOTIFY_TIMEOUT", 10)
        if not self.template_id:
            raise ImproperlyConfigured("NOTIFY_TEMPLATE_ID is required for the Notify backend")
        self._secrets = (api_key, api_key[-UUID_LENGTH:])
        self.client = NotificationsAPIClient(api_key, base_url=self.base_url, timeout=self.timeout)

    def close(self) -> None:
        """Let go of the connections the client keeps open between requests."""
        self.client.request_session.close()

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            try:
                for address in message.recipients():
                    self._send_one(address, message)
            except NotifyError:
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent

    def _send_one(self, address: str, message) -> dict:
        try:
            return self.client.send_email_notification(
                email_address=address,
                template_id=self.template_id,
                personalisation={"subject": str(message.subject), "body": str(message.body)},
                reference=message.extra_headers.get("X-Notify-Reference") or None,
            )
        except APIError as exc:
            raise NotifyError(
                self._without_secrets(_describe(exc)),
                status=_status(exc),
                outcome_unknown=_outcome_unknown(exc),
            ) from None

    def sent_with_reference(self, reference: str) -> bool:
        """Whether Notify holds an email sent with this reference (any status: it was accepted).

        Raises NotifyError when Notify cannot say, so the caller keeps the question open.
        """
        try:
            answer = self.client.get_all_notifications(reference=reference)
        except APIError as exc:
            raise NotifyError(
                self._without_secrets(_describe(exc)), status=_status(exc), outcome_unknown=True
            ) from None
        return any(n.get("reference") == reference for n in (answer or {}).get("notifications", []))

    def _without_secrets(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[NOTIFY_API_KEY]")
        return text


def _status(exc: APIError) -> int | None:
    """Notify's HTTP status; None when no answer came (the client then reports a 503)."""
    return exc.status_code if exc.response is not None else None


def _outcome_unknown(exc: APIError) -> bool:
    """No answer, and not because the connection could never be made."""
    if exc.response is not None:
        return False
    cause = exc.__cause__
    if isinstance(cause, requests.ConnectTimeout):
        return False
    if isinstance(cause, requests.ConnectionError):
        # urllib3 says "Failed to establish a new connection" when nothing was ever sent.
        return "Failed to establish a new connection" not in str(cause)
    return True


def _describe(exc: APIError) -> str:
    if exc.response is None:
        cause = exc.__cause__
        return f"Notify could not be reached: {cause or 'no answer'}"
    return f"Notify answered {exc.status_code}: {_notify_errors(exc)}"


def _notify_errors(exc: APIError) -> str:
    """Notify's own explanation ({"errors": [{"error": ..., "message": ...}]}), if it gave one."""
    details = exc.message
    if isinstance(details, list):
        try:
            return "; ".join(f"{e.get('error')}: {e.get('message')}" for e in details)
        except AttributeError:
            pass
    return str(details or exc.response.reason or "no details")
