"""The GOV.UK Notify email backend, against a real HTTP server on this machine."""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.test import override_settings

from notifications import services
from notifications.backends import NotifyEmailBackend, NotifyError, split_api_key
from notifications.models import Notification

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"prevent_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class FakeNotify(BaseHTTPRequestHandler):
    """Records each request; answers with the status the test sets on the server."""

    def do_POST(self):  # noqa: N802 - the http.server spelling
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
        )
        status = self.server.statuses.pop(0) if self.server.statuses else 201
        if status >= 400:
            answer = {
                "status_code": status,
                "errors": [{"error": "BadRequestError", "message": "Can't send to this recipient"}],
            }
        else:
            answer = {"id": "740e5834-3a29-46b4-9a6f-16142fde533a", "content": {}}
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


def _check_token(authorization: str) -> dict:
    scheme, token = authorization.split(" ")
    assert scheme == "Bearer"
    header_b64, claims_b64, signature_b64 = token.split(".")
    expected = hmac.new(
        SECRET.encode(), f"{header_b64}.{claims_b64}".encode(), hashlib.sha256
    ).digest()
    assert hmac.compare_digest(_unb64(signature_b64), expected), "bad JWT signature"
    assert json.loads(_unb64(header_b64)) == {"typ": "JWT", "alg": "HS256"}
    return json.loads(_unb64(claims_b64))


def test_api_key_is_split_into_service_id_and_secret():
    assert split_api_key(API_KEY) == (SERVICE_ID, SECRET)
    with pytest.raises(ImproperlyConfigured):
        split_api_key("not-a-key")


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
    assert request["path"] == "/v2/notifications/email"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["json"]["template_id"] == TEMPLATE_ID
    assert request["json"]["personalisation"] == {
        "subject": "New Prevent task",
        "body": "A task is waiting.",
    }
    claims = _check_token(request["headers"]["Authorization"])
    assert claims["iss"] == SERVICE_ID
    assert abs(claims["iat"] - time.time()) < 30
    assert SECRET not in json.dumps(request)


def test_error_answer_raises_with_notifys_reason(notify_settings):
    notify_settings.statuses = [400]
    with pytest.raises(NotifyError) as error:
        EmailMessage(subject="s", body="b", to=["a@example.gov.uk"]).send()
    assert error.value.status == 400
    assert "Can't send to this recipient" in str(error.value)
    assert SECRET not in str(error.value)


def test_fail_silently_counts_only_what_was_sent(notify_settings):
    notify_settings.statuses = [500]
    backend = NotifyEmailBackend(fail_silently=True)
    messages = [EmailMessage(subject="s", body="b", to=[f"{n}@example.gov.uk"]) for n in "ab"]
    assert backend.send_messages(messages) == 1


def test_unreachable_service_raises(settings):
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFY_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(NotifyError, match="could not be reached"):
        NotifyEmailBackend().send_messages([EmailMessage("s", "b", to=["a@example.gov.uk"])])


def test_configuration_is_checked(settings):
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = ""
    with pytest.raises(ImproperlyConfigured):
        NotifyEmailBackend()
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFY_BASE_URL = "http://notify.example.com"
    with pytest.raises(ImproperlyConfigured, match="https"):
        NotifyEmailBackend()


def test_defaults_to_the_live_api(settings):
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    del settings.NOTIFY_BASE_URL
    assert NotifyEmailBackend().base_url == "https://api.notifications.service.gov.uk"


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
