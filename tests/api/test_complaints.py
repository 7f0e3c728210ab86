"""Complaints through the API: open to anyone, the complaint form's answers, rules, receipt and
hourly limit, answered with the complaint's reference only."""

import re

import pytest
from django.core import mail
from django.core.cache import cache

from compliance.models import Complaint, ComplaintLetter
from notifications.models import Notification
from tests.clients import APIClient
from workflows.complaint.selectors import complaint_open_tasks

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def answers(**overrides) -> dict:
    return {
        "category": "referral_or_decision",
        "organisation": "Example Academy",
        "referral_reference": "prv-2026-000123",
        "what_happened": "My son was referred without anyone speaking to us.",
        "outcome_sought": "An explanation.",
        "name": "Robin Example",
        "email": "robin@example.com",
        "consent_to_raise": True,
    } | overrides


def _post(body: dict, address: str = "203.0.113.7"):
    return APIClient().post(URL, body, format="json", REMOTE_ADDR=address)


def test_a_complaint_gets_its_reference_a_receipt_and_a_triage_task(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(answers())
    assert response.status_code == 201
    complaint = Complaint.objects.get()
    assert response.json() == {"reference": complaint.reference}
    assert re.fullmatch(r"CMP-\d{4}-000001", complaint.reference)
    assert complaint.source == Complaint.Source.PUBLIC and complaint.submitted_by is None
    assert complaint.referral_reference == "PRV-2026-000123"
    assert complaint.consent_to_raise is True
    assert list(complaint_open_tasks(complaint)) == ["triage"]
    assert Notification.objects.get(kind="complaint_receipt").to == ["robin@example.com"]
    assert complaint.reference in mail.outbox[0].subject
    assert complaint.letters.get().kind == ComplaintLetter.Kind.RECEIPT


def test_a_signed_in_session_still_complains_as_the_public(people):
    client = APIClient()
    client.force_login(people.referrer)
    assert client.post(URL, answers(), format="json").status_code == 201
    assert Complaint.objects.get().source == Complaint.Source.PUBLIC


def test_the_services_rules_with_the_pages_messages():
    response = _post(answers(email="", address="", consent_to_raise=None, what_happened=" "))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()["errors"]
    assert body["email"] == ["Enter an email address or a postal address so that we can reply"]
    assert body["consent_to_raise"] == [
        "Select whether we may raise your complaint with the organisation concerned"
    ]
    assert body["what_happened"] == ["Enter what happened"]
    assert not Complaint.objects.exists()


def test_answers_the_form_cannot_read_or_does_not_take():
    unreadable = _post(answers(category="weather", email="not-an-email"))
    assert unreadable.status_code == 400
    assert unreadable.json()["errors"]["category"] == ["Select what your complaint is about"]
    assert "correct format" in unreadable.json()["errors"]["email"][0]
    unknown = _post(answers(leave_blank="", priority="high"))
    assert unknown.status_code == 400
    assert set(unknown.json()["errors"]) == {"leave_blank", "priority"}
    assert unknown.json()["code"] == "invalid"
    assert not Complaint.objects.exists()


def test_the_hourly_limit_is_the_forms(client, settings):
    settings.COMPLAINTS_PER_HOUR_PER_ADDRESS = 3
    assert _post(answers()).status_code == 201
    assert (
        client.post(
            "/complaints/new/", answers(consent_to_raise="yes"), REMOTE_ADDR="203.0.113.7"
        ).status_code
        == 302
    )
    assert _post(answers()).status_code == 201
    limited = _post(answers())
    assert limited.status_code == 429
    assert "cannot take another one from it just now" in limited.json()["detail"]
    assert settings.COMPLAINTS_UNIT_EMAIL in limited.json()["detail"]
    assert Complaint.objects.count() == 3
    assert _post(answers(), address="198.51.100.20").status_code == 201  # another connection


def test_refused_answers_do_not_count_against_the_limit(settings):
    settings.COMPLAINTS_PER_HOUR_PER_ADDRESS = 1
    for _ in range(3):
        assert _post(answers(name="")).status_code == 400
    assert _post(answers()).status_code == 201
    assert _post(answers()).status_code == 429
