"""The GOV.UK Notify email backend, against a real HTTP server on this machine.

The fake answers as Notify's API does: it checks the JSON Web Token that GOV.UK Notify's
Python client signs with the API key, and the JSON body it sends, before accepting an email.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.test import override_settings

from notifications import services
from notifications.backends import NotifyEmailBackend, NotifyError
from notifications.models import Notification

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"prevent_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
EMAIL_PATH = "/v2/notifications/email"
EMAIL_FIELDS = {"email_address", "template_id", "personalisation", "reference"}


def _token_problem(authorization: str | None) -> str | None:
    """Why Notify would refuse this Authorization header, or None if it would accept it."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme != "Bearer" or not token:
        return "Unauthorized: authentication token must be provided"
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(
            token, SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]}
        )
    except jwt.InvalidTokenError as exc:
        return f"Invalid token: {exc}"
    if header != {"typ": "JWT", "alg": "HS256"}:
        return f"Invalid token: header {header}"
    if claims["iss"] != SERVICE_ID:
        return "Invalid token: service not found"
    if abs(claims["iat"] - time.time()) > 30:
        return "Error: Your system clock must be accurate to within 30 seconds"
    return None


def _body_problem(body: object) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if unknown := set(body) - EMAIL_FIELDS:
        return f"Additional properties are not allowed ({sorted(unknown)})"
    if not isinstance(body.get("email_address"), str) or "@" not in body["email_address"]:
        return "email_address is a required property"
    if body.get("template_id") != TEMPLATE_ID:
        return "template_id: Template not found"
    personalisation = body.get("personalisation")
    if not isinstance(personalisation, dict) or set(personalisation) != {"subject", "body"}:
        return "Missing personalisation: subject, body"
    if not all(isinstance(value, str) for value in personalisation.values()):
        return "personalisation values must be strings"
    return None


class FakeNotify(BaseHTTPRequestHandler):
    """Checks and records each request; a status set on the server overrides the answer."""

    def do_POST(self):  # noqa: N802 - the http.server spelling
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self.server.requests.append(
            {
                "path": self.path,
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "json": body,
            }
        )
        if self.path != EMAIL_PATH:
            return self._answer(404, "ResourceNotFound", "Not found")
        if problem := _token_problem(self.headers.get("Authorization")):
            return self._answer(403, "AuthError", problem)
        if self.headers.get("Content-Type") != "application/json":
            return self._answer(400, "BadRequestError", "Content-Type must be application/json")
        if problem := _body_problem(body):
            return self._answer(400, "ValidationError", problem)
        if self.server.statuses:
            return self._answer(
                self.server.statuses.pop(0), "BadRequestError", "Can't send to this recipient"
            )
        return self._answer(201)

    def _answer(self, status: int, error: str = "", message: str = ""):
        if status >= 400:
            answer = {"status_code": status, "errors": [{"error": error, "message": message}]}
        else:
            answer = {
                "id": "740e5834-3a29-46b4-9a6f-16142fde533a",
                "reference": None,
                "content": {},
                "uri": "",
                "template": {"id": TEMPLATE_ID},
            }
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def notify_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeNotify)
    server.requests, server.statuses = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def notify_settings(notify_server):
    host, port = notify_server.server_address
    with override_settings(
        EMAIL_BACKEND="notifications.backends.NotifyEmailBackend",
        NOTIFY_API_KEY=API_KEY,
        NOTIFY_TEMPLATE_ID=TEMPLATE_ID,
        NOTIFY_BASE_URL=f"http://{host}:{port}",
    ):
        yield notify_server


def test_sends_one_signed_request_per_recipient(notify_settings):
    sent = EmailMessage(
        subject="New Prevent task",
        body="A task is waiting.",
        to=["a@example.gov.uk", "b@example.gov.uk"],
    ).send()
    assert sent == 1
    assert [r["json"]["email_address"] for r in notify_settings.requests] == [
        "a@example.gov.uk",
        "b@example.gov.uk",
    ]
    request = notify_settings.requests[0]
    assert request["path"] == EMAIL_PATH
    assert request["headers"]["content-type"] == "application/json"
    assert request["json"] == {
        "email_address": "a@example.gov.uk",
        "template_id": TEMPLATE_ID,
        "personalisation": {"subject": "New Prevent task", "body": "A task is waiting."},
    }
    assert _token_problem(request["headers"]["authorization"]) is None
    assert SECRET not in json.dumps(request)


def test_the_reference_header_is_passed_to_notify(notify_settings):
    EmailMessage(
        subject="s",
        body="b",
        to=["a@example.gov.uk"],
        headers={"X-Notify-Reference": "prv-2026-000123"},
    ).send()
    assert notify_settings.requests[0]["json"]["reference"] == "prv-2026-000123"


def test_a_key_with_surrounding_whitespace_still_signs_correctly(notify_settings):
    with override_settings(NOTIFY_API_KEY=f"  {API_KEY}\n"):
        assert EmailMessage(subject="s", body="b", to=["a@example.gov.uk"]).send() == 1


def test_error_answer_raises_with_notifys_reason(notify_settings):
    notify_settings.statuses = [400]
    with pytest.raises(NotifyError) as error:
        EmailMessage(subject="s", body="b", to=["a@example.gov.uk"]).send()
    assert error.value.status == 400
    assert "BadRequestError: Can't send to this recipient" in str(error.value)
    assert SECRET not in str(error.value)


def test_a_wrong_key_is_refused_and_the_error_does_not_show_it(notify_settings):
    other_secret = "0f0f0f0f-1111-4222-8333-444455556666"
    wrong_key = override_settings(NOTIFY_API_KEY=f"prevent_test-{SERVICE_ID}-{other_secret}")
    with wrong_key, pytest.raises(NotifyError) as error:
        EmailMessage(subject="s", body="b", to=["a@example.gov.uk"]).send()
    assert error.value.status == 403
    assert "AuthError: Invalid token" in str(error.value)
    assert other_secret not in str(error.value)


def test_fail_silently_counts_only_what_was_sent(notify_settings):
    notify_settings.statuses = [500]
    backend = NotifyEmailBackend(fail_silently=True)
    messages = [EmailMessage(subject="s", body="b", to=[f"{n}@example.gov.uk"]) for n in "ab"]
    assert backend.send_messages(messages) == 1
    assert len(notify_settings.requests) == 2


def test_unreachable_service_raises(settings):
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFY_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(NotifyError, match="could not be reached") as error:
        NotifyEmailBackend().send_messages([EmailMessage("s", "b", to=["a@example.gov.uk"])])
    assert error.value.status is None
    assert SECRET not in str(error.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"NOTIFY_TEMPLATE_ID": ""}, "NOTIFY_TEMPLATE_ID"),
        ({"NOTIFY_API_KEY": ""}, "NOTIFY_API_KEY"),
        ({"NOTIFY_API_KEY": "not-a-key"}, "NOTIFY_API_KEY"),
        ({"NOTIFY_BASE_URL": "http://notify.example.com"}, "https"),
        ({"NOTIFY_BASE_URL": "ftp://127.0.0.1"}, "https"),
        ({"NOTIFY_BASE_URL": "https://notify.example.com/proxy/"}, "without a path"),
    ],
    ids=["no-template", "no-key", "malformed-key", "plain-http", "other-scheme", "path"],
)
def test_configuration_is_checked(settings, overrides, message):
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    for name, value in overrides.items():
        setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=message) as error:
        NotifyEmailBackend()
    assert SECRET not in str(error.value)


def test_plain_http_is_allowed_only_to_this_machine(settings):
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFY_BASE_URL = "http://localhost:6011/"
    assert NotifyEmailBackend().base_url == "http://localhost:6011"


def test_defaults_to_the_live_api(settings):
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    del settings.NOTIFY_BASE_URL
    backend = NotifyEmailBackend()
    assert backend.base_url == "https://api.notifications.service.gov.uk"
    assert backend.client.base_url == backend.base_url


def test_outbox_records_a_notify_failure_and_the_resend_delivers(
    db, notify_settings, django_capture_on_commit_callbacks
):
    notify_settings.statuses = [503]
    with django_capture_on_commit_callbacks(execute=True):
        notice = services.notification_queue(
            kind="test", dedupe_key="notify:1", to=["a@example.gov.uk"], subject="s", body="b"
        )
    notice.refresh_from_db()
    assert notice.status == Notification.Status.FAILED
    assert "503" in notice.last_error and SECRET not in notice.last_error
    assert services.notifications_resend_pending(older_than_seconds=0) == 1
    notice.refresh_from_db()
    assert notice.status == Notification.Status.SENT
    assert len(notify_settings.requests) == 2
    assert mail.outbox == []  # went to Notify, not to Django's test outbox
