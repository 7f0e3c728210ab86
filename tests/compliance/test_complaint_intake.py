"""Making a complaint: the public form, the practitioner form, validation, the reference and
receipt email, the hidden field that catches automated form-fillers, and the rate limit.
"""

import re
import threading

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from accounts.roles import Role
from compliance import throttle
from compliance.models import (
    AuditEvent,
    Complaint,
    ComplaintLetter,
    ComplaintReferenceCounter,
    ComplaintStatus,
)
from config.errors import ApplicationError
from config.forms import LONG_TEXT_MAX
from notifications.models import Notification
from tests.factories import PASSWORD, UserFactory
from workflows.complaint.forms import ComplaintForm
from workflows.complaint.intake import complaint_submit
from workflows.complaint.selectors import complaint_open_tasks

pytestmark = pytest.mark.django_db

PUBLIC = reverse("compliance:complaint_public")
PRACTITIONER = reverse("compliance:complaint_practitioner")


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def answers(**overrides) -> dict:
    data = {
        "category": "referral_or_decision",
        "organisation": "Example Academy",
        "referral_reference": "prv-2026-000123",
        "what_happened": "My son was referred without anyone speaking to us.",
        "outcome_sought": "An explanation.",
        "name": "Robin Example",
        "email": "robin@example.com",
        "phone": "",
        "address": "",
        "consent_to_raise": "yes",
        "leave_blank": "",
    }
    data.update(overrides)
    return data


def test_start_page_has_exit_this_page_and_needs_no_sign_in(client):
    response = client.get(reverse("compliance:complaint_start"))
    assert response.status_code == 200
    assert b'data-module="govuk-exit-this-page"' in response.content
    form = client.get(PUBLIC)
    assert form.status_code == 200
    assert b'data-module="govuk-exit-this-page"' in form.content


def test_public_complaint_gets_a_reference_a_receipt_and_a_triage_task(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PUBLIC, answers())
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance:complaint_sent")

    complaint = Complaint.objects.get()
    assert re.fullmatch(r"CMP-\d{4}-000001", complaint.reference)
    assert complaint.source == Complaint.Source.PUBLIC
    assert complaint.submitted_by is None
    assert complaint.referral_reference == "PRV-2026-000123"
    assert complaint.consent_to_raise is True
    assert complaint.status == ComplaintStatus.RECEIVED
    assert complaint.acknowledge_by and complaint.respond_by > complaint.acknowledge_by
    assert list(complaint_open_tasks(complaint)) == ["triage"]

    confirmation = client.get(response["Location"])
    assert complaint.reference in confirmation.content.decode()

    # The receipt went through the outbox, and names the reference, not what happened.
    notification = Notification.objects.get(kind="complaint_receipt")
    assert notification.to == ["robin@example.com"]
    assert notification.status == Notification.Status.SENT
    assert len(mail.outbox) == 1
    assert complaint.reference in mail.outbox[0].subject
    assert "referred" not in mail.outbox[0].body
    assert complaint.letters.get().kind == ComplaintLetter.Kind.RECEIPT

    event = AuditEvent.objects.get(action="complaint.received")
    assert event.case_reference == complaint.reference
    assert event.actor is None
    assert "Robin" not in str(event.detail)


def test_references_count_up_within_the_year():
    first = complaint_submit(**_service_answers())
    second = complaint_submit(**_service_answers())
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1


def _service_answers(**overrides) -> dict:
    data = {
        "category": "staff_conduct",
        "what_happened": "Rude on the phone.",
        "outcome_sought": "An apology.",
        "name": "Kit Test",
        "email": "kit@example.com",
        "consent_to_raise": False,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"category": ""}, "category", "Select what your complaint is about"),
        ({"category": "nonsense"}, "category", "Select what your complaint is about"),
        ({"what_happened": "  "}, "what_happened", "Enter what happened"),
        ({"outcome_sought": ""}, "outcome_sought", "Enter what you would like to happen"),
        ({"name": ""}, "name", "Enter your full name"),
        (
            {"email": "", "address": ""},
            "email",
            "Enter an email address or a postal address so that we can reply",
        ),
        (
            {"email": "not-an-email"},
            "email",
            "Enter an email address in the correct format, like name@example.com",
        ),
        (
            {"consent_to_raise": ""},
            "consent_to_raise",
            "Select whether we may raise your complaint with the organisation concerned",
        ),
        ({"what_happened": "x" * 10_001}, "what_happened", "10,000 characters or fewer"),
    ],
)
def test_public_form_refuses_bad_answers_and_saves_nothing(client, overrides, field, message):
    response = client.post(PUBLIC, answers(**overrides))
    assert response.status_code == 200
    body = response.content.decode()
    assert "govuk-error-summary" in body
    assert f'href="#id_{field}"' in body
    assert message in body
    assert not Complaint.objects.exists()
    assert not Notification.objects.exists()


EVERY_MISSING_ANSWER = {
    "category": ["Select what your complaint is about"],
    "what_happened": ["Enter what happened"],
    "outcome_sought": ["Enter what you would like to happen"],
    "name": ["Enter your full name"],
    "email": ["Enter an email address or a postal address so that we can reply"],
    "consent_to_raise": [
        "Select whether we may raise your complaint with the organisation concerned"
    ],
}


def test_an_empty_complaint_is_refused_with_every_problem_at_once(client):
    response = client.post(PUBLIC, {})
    assert response.status_code == 200
    body = response.content.decode()
    summary = body[body.index("govuk-error-summary") : body.index("</h1>")]
    for field, [message] in EVERY_MISSING_ANSWER.items():
        assert f'href="#id_{field}"' in summary, field
        assert message in summary, field
    form = response.context["form"]
    assert {name: list(errors) for name, errors in form.errors.items()} == EVERY_MISSING_ANSWER
    assert not Complaint.objects.exists()
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="complaint.").exists()
    # No reference was used up: the first complaint that is sent still gets number 1.
    assert not ComplaintReferenceCounter.objects.exists()
    assert client.post(PUBLIC, answers()).status_code == 302
    assert Complaint.objects.get().reference.endswith("-000001")


def test_the_service_gives_every_problem_together():
    with pytest.raises(ApplicationError) as refused:
        complaint_submit(
            category="",
            what_happened=" ",
            outcome_sought="",
            name="",
            email="",
            address="  ",
            consent_to_raise=None,
        )
    assert refused.value.by_field() == EVERY_MISSING_ANSWER
    assert not Complaint.objects.exists()
    assert not ComplaintReferenceCounter.objects.exists()


def test_the_service_limits_long_answers_with_the_forms_limit():
    too_long = "x" * (LONG_TEXT_MAX + 1)
    with pytest.raises(ApplicationError) as refused:
        complaint_submit(**_service_answers(what_happened=too_long, outcome_sought=too_long))
    assert refused.value.by_field() == {
        "what_happened": ["What happened must be 10,000 characters or fewer"],
        "outcome_sought": ["What you would like to happen must be 10,000 characters or fewer"],
    }
    assert not Complaint.objects.exists()


def test_the_form_only_parses_and_leaves_the_rules_to_the_service():
    form = ComplaintForm({})
    assert form.is_valid(), form.errors
    kwargs = form.service_kwargs()
    assert kwargs["category"] is None and kwargs["consent_to_raise"] is None
    assert kwargs["what_happened"] == kwargs["name"] == kwargs["email"] == ""
    # What cannot be read is still refused by the form itself.
    unreadable = ComplaintForm(answers(category="nonsense", consent_to_raise="maybe"))
    assert not unreadable.is_valid()
    assert unreadable.errors == {
        "category": ["Select what your complaint is about"],
        "consent_to_raise": [
            "Select whether we may raise your complaint with the organisation concerned"
        ],
    }


def test_a_postal_address_is_enough(client):
    response = client.post(
        PUBLIC, answers(email="", address="1 Example Road\nExample Town\nEX1 1AA")
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    letter = complaint.letters.get()
    assert letter.method == ComplaintLetter.Method.POST
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "nope"}, "category"),
        ({"name": " "}, "name"),
        ({"email": "", "address": ""}, "email"),
        ({"consent_to_raise": None}, "consent_to_raise"),
    ],
)
def test_the_service_checks_the_same_rules(overrides, field):
    with pytest.raises(ApplicationError) as refused:
        complaint_submit(**_service_answers(**overrides))
    assert refused.value.field == field
    assert not Complaint.objects.exists()


def test_the_hidden_field_catches_form_fillers_without_recording_anything(client):
    response = client.post(PUBLIC, answers(leave_blank="http://spam.example"))
    assert response.status_code == 400
    assert "could not be sent" in response.content.decode()
    assert "Email your complaint" in response.content.decode()
    assert not Complaint.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="complaint.").exists()


def test_the_hidden_field_is_hidden_from_people(client):
    body = client.get(PUBLIC).content.decode()
    hidden = re.search(
        r'<div class="govuk-visually-hidden" aria-hidden="true">(.*?)</div>', body, re.S
    )
    assert hidden and 'name="leave_blank"' in hidden.group(1)
    assert 'tabindex="-1"' in hidden.group(1)


def test_rate_limit_per_address_with_a_clear_way_round_it(client, settings):
    settings.COMPLAINTS_PER_HOUR_PER_ADDRESS = 3
    for _ in range(3):
        assert client.post(PUBLIC, answers(), REMOTE_ADDR="203.0.113.7").status_code == 302
    limited = client.post(PUBLIC, answers(), REMOTE_ADDR="203.0.113.7")
    assert limited.status_code == 429
    body = limited.content.decode()
    assert "cannot take another one from it just now" in body
    assert "Email your complaint to" in body
    assert "My son was referred without anyone speaking to us." in body  # answers kept
    assert Complaint.objects.count() == 3

    # Someone else, on another connection, is not affected.
    assert client.post(PUBLIC, answers(), REMOTE_ADDR="198.51.100.20").status_code == 302
    assert Complaint.objects.count() == 4


def test_failed_validation_does_not_count_against_the_limit(client, settings):
    settings.COMPLAINTS_PER_HOUR_PER_ADDRESS = 1
    for _ in range(5):
        client.post(PUBLIC, answers(name=""), REMOTE_ADDR="203.0.113.9")
    assert client.post(PUBLIC, answers(), REMOTE_ADDR="203.0.113.9").status_code == 302


def test_the_limit_lifts_after_an_hour(client, settings, time_machine):
    settings.COMPLAINTS_PER_HOUR_PER_ADDRESS = 1
    time_machine.move_to("2026-11-24 10:00 +00:00", tick=False)
    assert client.post(PUBLIC, answers(), REMOTE_ADDR="203.0.113.5").status_code == 302
    assert client.post(PUBLIC, answers(), REMOTE_ADDR="203.0.113.5").status_code == 429
    time_machine.move_to("2026-11-24 11:01 +00:00", tick=False)
    assert client.post(PUBLIC, answers(), REMOTE_ADDR="203.0.113.5").status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_is_used(client, settings):
    settings.COMPLAINTS_PER_HOUR_PER_ADDRESS = 1
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    first = client.post(PUBLIC, answers(), HTTP_X_FORWARDED_FOR="203.0.113.1", **proxy)
    other = client.post(PUBLIC, answers(), HTTP_X_FORWARDED_FOR="203.0.113.2", **proxy)
    again = client.post(PUBLIC, answers(), HTTP_X_FORWARDED_FOR="203.0.113.1", **proxy)
    assert (first.status_code, other.status_code, again.status_code) == (302, 302, 429)


def test_automated_submissions_count_against_the_limit(client, settings):
    settings.COMPLAINTS_PER_HOUR_PER_ADDRESS = 2
    spam = answers(leave_blank="http://spam.example")
    assert client.post(PUBLIC, spam, REMOTE_ADDR="203.0.113.8").status_code == 400
    assert client.post(PUBLIC, answers(), REMOTE_ADDR="203.0.113.8").status_code == 302
    assert client.post(PUBLIC, answers(), REMOTE_ADDR="203.0.113.8").status_code == 429
    assert Complaint.objects.count() == 1


def test_signed_in_practitioners_are_not_limited(client, settings):
    settings.COMPLAINTS_PER_HOUR_PER_ADDRESS = 1
    assert client.post(PUBLIC, answers(), REMOTE_ADDR="203.0.113.6").status_code == 302
    assert client.post(PUBLIC, answers(), REMOTE_ADDR="203.0.113.6").status_code == 429
    client.force_login(UserFactory(role=Role.REFERRER))
    assert client.post(PRACTITIONER, answers(), REMOTE_ADDR="203.0.113.6").status_code == 302


def test_the_count_is_exact_when_complaints_arrive_together(settings):
    """Counted with the cache's atomic increment: no complaint sent at the same moment as
    another is missed, so the limit still stops the next one.
    """
    limit = settings.COMPLAINTS_PER_HOUR_PER_ADDRESS = 25
    request = RequestFactory().post(PUBLIC, REMOTE_ADDR="203.0.113.4")
    start = threading.Barrier(limit - 1)

    def send():
        start.wait()
        throttle.complaint_sent_count(request)

    threads = [threading.Thread(target=send) for _ in range(limit - 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not throttle.complaint_limit_reached(request)
    throttle.complaint_sent_count(request)
    assert throttle.complaint_limit_reached(request)
    other = RequestFactory().post(PUBLIC, REMOTE_ADDR="198.51.100.4")
    assert not throttle.complaint_limit_reached(other)


def test_practitioner_form_needs_sign_in_and_fills_in_their_details(client):
    assert client.get(PRACTITIONER).status_code == 302  # to sign in
    practitioner = UserFactory(
        role=Role.REFERRER, full_name="Sam Safeguarding", email="sam@school.example.sch.uk"
    )
    client.login(username=practitioner.email, password=PASSWORD)
    page = client.get(PRACTITIONER).content.decode()
    assert 'value="Sam Safeguarding"' in page
    assert 'value="sam@school.example.sch.uk"' in page
    assert "govuk-exit-this-page" not in page

    response = client.post(
        PRACTITIONER, answers(name="Sam Safeguarding", email="sam@school.example.sch.uk")
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.source == Complaint.Source.PRACTITIONER
    assert complaint.submitted_by == practitioner
    assert AuditEvent.objects.get(action="complaint.received").actor == practitioner


def test_confirmation_page_without_a_complaint_goes_back_to_the_start(client):
    response = client.get(reverse("compliance:complaint_sent"))
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance:complaint_start")
