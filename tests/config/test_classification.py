"""Material classified above OFFICIAL-SENSITIVE is refused by one rule (config/classification.py)
at every way in: the referral journey and its uploads (tests/referrals), the task pages and the
API, case notes, the complaint forms and the unit's pages, pausing a task, assigning a task."""

import pytest
from django import forms
from django.core.cache import cache
from django.urls import reverse

from compliance.models import Complaint
from config.classification import MARKED_TEXT_MESSAGE, marking_found, refuse_classified
from config.task_ids import task_api_id
from tests.cases import error_summary, open_task
from tests.clients import APIClient
from tests.compliance.factories import InvestigatingComplaintFactory
from workflows.engine.models import ClockPause
from workflows.referral import services
from workflows.referral.models import CaseNote, Deconfliction

MARKED = [
    "SECRET",
    "This is SECRET",
    "Secret",
    "TOP SECRET",
    "Top Secret",
    "ＳＥＣＲＥＴ",
    "ＴＯＰ　ＳＥＣＲＥＴ",
    "SEC\u200bRET",
    "S\u00adE\u2060C\u200dR\u200cE\ufeffT",
    "\u202eSECRET\u202c",
    "S E C R E T",
    "S.E.C.R.E.T",
    "\u0405\u0415\u0421R\u0415\u0422",  # Cyrillic look-alike capitals
    "UK SECRET//NOFORN",
    "Marking: TOP_SECRET",
]
ORDINARY = [
    "The secretary of the governors",
    "They met secretly",
    "SECRETARY of state",
    "He said it was a secret",
    "top secret plans, he joked",  # the ordinary words, in lower case
    "Trade SECRETS",
    "OFFICIAL-SENSITIVE",
    "OFFICIAL",
]


@pytest.mark.parametrize("text", MARKED)
def test_markings_are_found_in_every_spelling(text):
    assert marking_found(text) in ("SECRET", "TOP SECRET")


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_words_are_not_markings(text):
    assert marking_found(text) is None


def test_the_message_says_what_must_not_be_entered():
    assert "classified above OFFICIAL-SENSITIVE" in MARKED_TEXT_MESSAGE
    with pytest.raises(forms.ValidationError) as refused:
        refuse_classified("ＳＥＣＲＥＴ")
    assert refused.value.messages == [MARKED_TEXT_MESSAGE]


def test_every_free_text_field_of_every_form_checks_for_markings():
    """The check lives in config.forms.text/textarea, which every free-text field is built
    with: no form of the service has a text field without it."""
    stack, checked = list(forms.Form.__subclasses__()), 0
    while stack:
        form_class = stack.pop()
        stack.extend(form_class.__subclasses__())
        if not form_class.__module__.startswith(("referrals", "workflows", "compliance", "config")):
            continue
        for name, field in form_class.base_fields.items():
            if type(field) is not forms.CharField or name == "leave_blank":  # the honeypot
                continue
            assert refuse_classified in field.validators, f"{form_class.__name__}.{name}"
            checked += 1
    assert checked > 50


# --- Each way in ---------------------------------------------------------------------------------


def test_a_task_page_refuses_a_marked_answer(client, people, referral):
    task = open_task(referral, "police_acknowledge")
    client.force_login(people.police)
    response = client.get(f"/tasks/{task.pk}/")
    assert response.status_code == 200
    task = open_task(referral, "police_acknowledge")
    response = client.post(f"/tasks/{task.pk}/", {"note": "Attached: the ＳＥＣＲＥＴ report"})
    assert error_summary(response) == {"note": [MARKED_TEXT_MESSAGE]}
    assert open_task(referral, "police_acknowledge")  # still open: nothing was saved


def test_the_api_refuses_a_marked_answer_with_the_same_message(people, referral):
    services.task_acknowledge(task=open_task(referral, "police_acknowledge"), user=people.police)
    client = APIClient()
    client.force_authenticate(people.police)
    task = open_task(referral, "police_deconfliction")
    response = client.post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/",
        {"outcome": "no_conflict", "notes": "S E C R E T source"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["notes"] == [MARKED_TEXT_MESSAGE]
    assert not Deconfliction.objects.exists()


def test_the_api_refuses_a_marked_assignment_reason(people, referral):
    task = open_task(referral, "police_acknowledge")
    client = APIClient()
    client.force_authenticate(people.adviser)
    response = client.post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/assign/",
        {"assignee": people.police.email, "reason": "Top Secret cover"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": [MARKED_TEXT_MESSAGE]}
    assert open_task(referral, "police_acknowledge").owner is None


def test_a_case_note_refuses_a_marking(client, people, referral):
    client.force_login(people.la)
    response = client.post(
        reverse("workflows:note", args=[referral.public_id]),
        {"kind": "note", "text": "Secret – UK eyes only"},
    )
    assert error_summary(response) == {"text": [MARKED_TEXT_MESSAGE]}
    assert not CaseNote.objects.exists()


def test_pausing_a_task_refuses_a_marking(client, people, referral):
    task = open_task(referral, "police_acknowledge")
    client.force_login(people.police)
    response = client.post(
        reverse("workflows:pause", args=[task.pk]),
        {"waiting_on": "ＴＯＰ ＳＥＣＲＥＴ unit", "reason": "Waiting"},
    )
    assert error_summary(response) == {"waiting_on": [MARKED_TEXT_MESSAGE]}
    assert not ClockPause.objects.exists()


@pytest.fixture
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def _complaint(**overrides) -> dict:
    return {
        "category": "referral_or_decision",
        "organisation": "Example Academy",
        "referral_reference": "",
        "what_happened": "My son was referred without anyone speaking to us.",
        "outcome_sought": "An explanation.",
        "name": "Robin Example",
        "email": "robin@example.com",
        "phone": "",
        "address": "",
        "consent_to_raise": "yes",
        "leave_blank": "",
    } | overrides


@pytest.mark.parametrize("text", ["This is SECRET", "ＳＥＣＲＥＴ", "Top Secret"])
def test_the_complaint_form_refuses_a_marking(client, db, _fresh_rate_limit, text):
    response = client.post(reverse("compliance:complaint_public"), _complaint(what_happened=text))
    assert error_summary(response) == {"what_happened": [MARKED_TEXT_MESSAGE]}
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("text", ORDINARY[:4])
def test_the_complaint_form_takes_ordinary_words(client, db, _fresh_rate_limit, text):
    response = client.post(reverse("compliance:complaint_public"), _complaint(what_happened=text))
    assert response.status_code == 302
    assert Complaint.objects.get().what_happened == text


def test_the_units_pages_refuse_a_marking(client, people):
    complaint = InvestigatingComplaintFactory(investigator=people.compliance)
    client.force_login(people.compliance)
    response = client.post(
        reverse("compliance:complaint_step", args=[complaint.reference, "investigation"]),
        {"summary": "From the S.E.C.R.E.T file"},
    )
    assert error_summary(response) == {"summary": [MARKED_TEXT_MESSAGE]}
