"""Webhooks: an organisation's system hears of its own referrals' plain status, signed, retried,
and never anyone else's."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient as PlainAPIClient

from api import webhook_services
from api.intake import EXAMPLE_DOCUMENT
from api.models import (
    Organisation,
    Scope,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from api.services import api_client_create
from api.webhook_services import webhook_deliver, webhooks_resend_pending
from referrals.models import Referral
from tests.factories import DraftReferralFactory, ReferrerFactory, postcodes_load
from workflows.engine.services import case_status_record
from workflows.referral.intake import referral_submit

PROBLEM = "application/problem+json"
ALL = [Scope.REFERRALS_SUBMIT, Scope.REFERRALS_READ_OWN, Scope.WEBHOOKS_MANAGE]
Status = WebhookDelivery.Status


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the standard library's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"headers": dict(self.headers), "body": body})
        self.send_response(self.server.answer)
        self.end_headers()

    def log_message(self, *args) -> None:
        return


@pytest.fixture
def receiver():
    """A system's endpoint on this machine: keeps what it is sent, answers `answer`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received, server.answer = [], 204
    server.url = f"http://127.0.0.1:{server.server_address[1]}/prevent-hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def school(people):
    postcodes_load()
    return Organisation.objects.create(name="Example Academy", kind=Organisation.Kind.SCHOOL)


def _client(school, scopes=ALL, name="Safeguarding system"):
    return api_client_create(organisation=school, name=name, scopes=scopes)


def _as(raw: str) -> PlainAPIClient:
    api = PlainAPIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def _register(raw: str, url: str, **extra):
    return _as(raw).post("/api/v1/webhooks/", {"url": url, **extra}, format="json")


def _verified(secret: str, request: dict) -> bool:
    headers = request["headers"]
    signed = f"{headers['Prevent-Webhook-Timestamp']}.".encode() + request["body"]
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["Prevent-Webhook-Signature"])


# --- Registering ---------------------------------------------------------------------------


def test_registering_shows_the_secret_once_and_never_stores_it(school, receiver):
    client, raw = _client(school)
    response = _register(raw, receiver.url)
    assert response.status_code == 201, response.json()
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert set(body["event_types"]) == set(WebhookEvent.values)
    endpoint = WebhookEndpoint.objects.get(public_id=body["id"])
    assert secret not in str(WebhookEndpoint.objects.values().get())
    listed = _as(raw).get("/api/v1/webhooks/").json()["results"]
    shown = _as(raw).get(f"/api/v1/webhooks/{endpoint.public_id}/").json()
    assert [item["id"] for item in listed] == [str(endpoint.public_id)]
    assert "secret" not in listed[0] and "secret" not in shown


@pytest.mark.parametrize(
    ("url", "resolves_to"),
    [
        ("http://hooks.example.com/prevent", ["203.0.113.10"]),
        ("https://10.1.2.3/prevent", None),
        ("https://hooks.example.com/prevent", ["192.168.1.20"]),
        ("https://hooks.example.com/prevent", ["93.184.216.34", "169.254.169.254"]),
        ("https://hooks.example.com/prevent", ["::1"]),
        ("https://hooks.example.com/prevent", ["240.0.0.1"]),
        ("ftp://hooks.example.com/prevent", ["93.184.216.34"]),
    ],
    ids=["http", "private-ip", "private-name", "link-local", "loopback-v6", "reserved", "ftp"],
)
def test_an_unsafe_address_is_refused(school, monkeypatch, url, resolves_to):
    monkeypatch.setattr(webhook_services, "_resolve", lambda host, port: resolves_to or [host])
    _client_row, raw = _client(school)
    response = _register(raw, url)
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert "url" in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_loopback_is_refused_unless_the_test_settings_allow_it(school, settings):
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = False
    _client_row, raw = _client(school)
    for url in ("http://127.0.0.1:8000/hook", "https://127.0.0.1/hook", "https://localhost/"):
        assert _register(raw, url).status_code == 400, url


def test_a_public_https_address_is_accepted(school, monkeypatch):
    monkeypatch.setattr(webhook_services, "_resolve", lambda host, port: ["93.184.216.34"])
    _client_row, raw = _client(school)
    response = _register(
        raw, "https://hooks.example.com/prevent", event_types=["referral.submitted"]
    )
    assert response.status_code == 201 and response.json()["event_types"] == ["referral.submitted"]


def test_unknown_events_are_refused(school, receiver):
    _client_row, raw = _client(school)
    response = _register(raw, receiver.url, event_types=["referral.police_notes"])
    assert response.status_code == 400 and "event_types.0" in response.json()["errors"]


def test_a_client_without_the_scope_is_refused(school, receiver):
    _client_row, raw = _client(school, scopes=[Scope.REFERRALS_SUBMIT])
    assert _register(raw, receiver.url).status_code == 403
    assert _as(raw).get("/api/v1/webhooks/").status_code == 403


def test_no_token_is_a_401_and_a_person_is_refused(school, receiver, people):
    response = PlainAPIClient().get("/api/v1/webhooks/")
    assert response.status_code == 401 and response["Content-Type"] == PROBLEM
    person = PlainAPIClient()
    person.force_authenticate(people.referrer)
    assert person.get("/api/v1/webhooks/").status_code == 403
    assert person.post("/api/v1/webhooks/", {"url": receiver.url}).status_code == 403


def test_another_clients_endpoint_is_not_found(school, receiver):
    _mine, raw = _client(school)
    _theirs, other = _client(school, name="Another system")
    endpoint_id = _register(raw, receiver.url).json()["id"]
    for path in (f"/api/v1/webhooks/{endpoint_id}/", f"/api/v1/webhooks/{endpoint_id}/deliveries/"):
        response = _as(other).get(path)
        assert response.status_code == 404 and response["Content-Type"] == PROBLEM, path
    assert _as(other).delete(f"/api/v1/webhooks/{endpoint_id}/").status_code == 404
    assert _as(other).get("/api/v1/webhooks/").json()["results"] == []
    assert WebhookEndpoint.objects.get(public_id=endpoint_id).is_active


def test_a_deleted_endpoint_hears_nothing_more(
    school, receiver, django_capture_on_commit_callbacks
):
    _client_row, raw = _client(school)
    endpoint_id = _register(raw, receiver.url).json()["id"]
    assert _as(raw).delete(f"/api/v1/webhooks/{endpoint_id}/").status_code == 204
    assert _as(raw).get(f"/api/v1/webhooks/{endpoint_id}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            _as(raw).post("/api/v1/referrals/", EXAMPLE_DOCUMENT, format="json").status_code == 201
        )
    assert not WebhookDelivery.objects.exists() and receiver.received == []


# --- Events and deliveries -----------------------------------------------------------------


def _submitted_by_client(school, receiver, django_capture_on_commit_callbacks, **extra):
    client, raw = _client(school)
    secret = _register(raw, receiver.url, **extra).json()["secret"]
    with django_capture_on_commit_callbacks(execute=True):
        response = _as(raw).post("/api/v1/referrals/", EXAMPLE_DOCUMENT, format="json")
    assert response.status_code == 201
    return client, raw, secret, Referral.objects.get(public_id=response.json()["id"])


def test_a_signed_delivery_tells_only_the_plain_status(
    school, receiver, django_capture_on_commit_callbacks
):
    _client_row, raw, secret, referral = _submitted_by_client(
        school, receiver, django_capture_on_commit_callbacks
    )
    [request] = receiver.received
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.DELIVERED and delivery.last_response_code == 204
    assert request["headers"]["Prevent-Webhook-Id"] == str(delivery.public_id)
    assert _verified(secret, request)
    assert not _verified(secret + "x", request)
    body = json.loads(request["body"])
    assert set(body) == {"id", "type", "created_at", "referral"}
    assert body["type"] == "referral.submitted" and body["id"] == str(delivery.public_id)
    status = _as(raw).get(f"/api/v1/referrals/{referral.public_id}/").json()["status"]
    assert body["referral"] == {
        "id": str(referral.public_id),
        "reference": referral.reference,
        "status": status,
    }
    assert status in {"Submitted", "Being assessed"}
    text = request["body"].decode()
    for secret_detail in (referral.first_name, referral.last_name, referral.narrative, "police"):
        assert secret_detail not in text


def test_a_status_change_writes_its_event_in_its_own_transaction(
    school, receiver, django_capture_on_commit_callbacks
):
    _client_row, _raw, _secret, referral = _submitted_by_client(
        school, receiver, django_capture_on_commit_callbacks
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        case_status_record(referral=referral, outcome="no_further_action")
        assert WebhookDelivery.objects.filter(event_type="referral.status_changed").count() == 1
        raise RuntimeError("the change fails after the event was written")
    assert not WebhookDelivery.objects.filter(event_type="referral.status_changed").exists()
    referral.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        case_status_record(referral=referral, outcome="no_further_action")
    changed = WebhookDelivery.objects.get(event_type="referral.status_changed")
    assert changed.payload["referral"]["status"] == "Closed" and changed.status == Status.DELIVERED
    assert json.loads(receiver.received[-1]["body"])["referral"]["status"] == "Closed"


def test_only_subscribed_events_are_written(school, receiver, django_capture_on_commit_callbacks):
    _client_row, _raw, _secret, referral = _submitted_by_client(
        school,
        receiver,
        django_capture_on_commit_callbacks,
        event_types=["referral.status_changed"],
    )
    assert not WebhookDelivery.objects.exists()
    case_status_record(referral=referral, outcome="no_further_action")
    assert WebhookDelivery.objects.get().event_type == "referral.status_changed"


def test_every_endpoint_of_the_client_hears_of_it_in_one_insert(
    school, receiver, django_capture_on_commit_callbacks
):
    client, raw, _secret, referral = _submitted_by_client(
        school, receiver, django_capture_on_commit_callbacks
    )
    _register(raw, receiver.url.replace("prevent-hooks", "second"))
    with CaptureQueriesContext(connection) as queries:
        case_status_record(referral=referral, outcome="no_further_action")
    inserts = [
        q["sql"] for q in queries if "INSERT" in q["sql"] and "api_webhookdelivery" in q["sql"]
    ]
    assert len(inserts) == 1
    assert WebhookDelivery.objects.filter(event_type="referral.status_changed").count() == 2


def test_a_persons_referral_writes_no_webhook_rows(school, receiver):
    _client_row, raw = _client(school)
    _register(raw, receiver.url)
    referrer = ReferrerFactory(full_name="Sam Safeguarding", organisation="Example Academy")
    referral = referral_submit(
        user=referrer,
        referral=DraftReferralFactory(created_by=referrer),
        declaration_confirmed=True,
    )
    case_status_record(referral=referral, outcome="no_further_action")
    assert not WebhookDelivery.objects.exists()


def test_a_failing_endpoint_is_retried_with_back_off_then_marked_failed(
    school, receiver, django_capture_on_commit_callbacks, time_machine
):
    receiver.answer = 500
    time_machine.move_to(timezone.now(), tick=False)
    _client_row, raw, _secret, _referral = _submitted_by_client(
        school, receiver, django_capture_on_commit_callbacks
    )
    delivery = WebhookDelivery.objects.get()
    first_try = delivery.first_attempt_at
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        Status.PENDING,
        1,
        500,
    )
    assert delivery.next_attempt_at > timezone.now()
    assert webhook_deliver(delivery_id=delivery.pk) is False  # not due yet: nothing is sent
    assert len(receiver.received) == 1
    delays = []
    while delivery.status == Status.PENDING:
        time_machine.move_to(delivery.next_attempt_at + timedelta(seconds=1), tick=False)
        webhooks_resend_pending()
        previous, delivery = delivery, WebhookDelivery.objects.get()
        if delivery.status == Status.PENDING:
            delays.append(delivery.next_attempt_at - previous.next_attempt_at)
    assert delivery.status == Status.FAILED
    assert timezone.now() - first_try >= timedelta(hours=24)
    assert delays[-1] > delays[0] * 4, "the delay grows"
    assert len(receiver.received) == delivery.attempts == WebhookAttempt.objects.count()
    endpoint_id = delivery.endpoint.public_id
    [listed] = _as(raw).get(f"/api/v1/webhooks/{endpoint_id}/deliveries/").json()["results"]
    assert listed["status"] == "failed" and listed["attempts"] == delivery.attempts
    assert len(listed["tries"]) == delivery.attempts
    assert {attempt["response_code"] for attempt in listed["tries"]} == {500}


def test_an_address_that_turns_private_is_not_called(
    school, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(webhook_services, "_resolve", lambda host, port: ["93.184.216.34"])
    _client_row, raw = _client(school)
    _register(raw, "https://hooks.example.com/prevent")
    monkeypatch.setattr(webhook_services, "_resolve", lambda host, port: ["10.0.0.8"])
    with django_capture_on_commit_callbacks(execute=True):
        _as(raw).post("/api/v1/referrals/", EXAMPLE_DOCUMENT, format="json")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PENDING and delivery.last_response_code is None
    assert "private, local or reserved" in delivery.last_error


def test_an_interrupted_delivery_is_tried_again(
    school, receiver, django_capture_on_commit_callbacks
):
    receiver.answer = 500
    _client_row, _raw, _secret, _referral = _submitted_by_client(
        school, receiver, django_capture_on_commit_callbacks
    )
    receiver.answer = 200
    stale = timezone.now() - timedelta(hours=1)
    WebhookDelivery.objects.update(status=Status.SENDING, claimed_at=stale, next_attempt_at=None)
    WebhookDelivery.objects.update(created_at=stale)
    assert webhooks_resend_pending() == 1
    assert WebhookDelivery.objects.get().status == Status.DELIVERED


def _deliveries_page_queries(raw: str, endpoint: WebhookEndpoint, count: int) -> int:
    for number in range(count):
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type=WebhookEvent.REFERRAL_STATUS_CHANGED,
            referral_public_id=endpoint.public_id,
            payload={"n": number},
            attempts=2,
        )
        WebhookAttempt.objects.bulk_create(
            WebhookAttempt(delivery=delivery, attempted_at=timezone.now(), response_code=503)
            for _ in range(2)
        )
    with CaptureQueriesContext(connection) as queries:
        response = _as(raw).get(f"/api/v1/webhooks/{endpoint.public_id}/deliveries/")
    assert response.status_code == 200
    assert all(len(item["tries"]) == 2 for item in response.json()["results"])
    return len(queries)


def test_listing_deliveries_costs_the_same_whatever_their_number(school, receiver):
    _client_row, raw = _client(school)
    _register(raw, receiver.url)
    endpoint = WebhookEndpoint.objects.get()
    few = _deliveries_page_queries(raw, endpoint, 2)
    many = _deliveries_page_queries(raw, endpoint, 8)
    assert few == many
