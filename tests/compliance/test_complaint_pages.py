"""The unit's complaint pages: who may see them (a matrix of roles), each step through its
page, and query counts that do not grow with the number of complaints.
"""

from datetime import timedelta
from uuid import uuid4

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from compliance.models import Complaint, ComplaintLetter, ComplaintReview, ComplaintStatus
from config.task_ids import task_api_id
from tests.clients import APIClient
from tests.compliance.factories import (
    ComplianceOfficerFactory,
    InvestigatingComplaintFactory,
    ReceivedComplaintFactory,
    RespondedComplaintFactory,
    started_case,
)
from tests.factories import PASSWORD, UserFactory
from workflows.complaint.selectors import complaint_open_task, complaint_open_tasks

pytestmark = pytest.mark.django_db


def _signed_in(client, user):
    client.login(username=user.email, password=PASSWORD)
    return client


@pytest.fixture
def unit_urls():
    complaint = ReceivedComplaintFactory()
    case = started_case()
    return [
        ("get", reverse("compliance:home")),
        ("get", reverse("compliance:complaint", args=[complaint.reference])),
        ("get", reverse("compliance:complaint_step", args=[complaint.reference, "triage"])),
        ("post", reverse("compliance:complaint_step", args=[complaint.reference, "triage"])),
        ("get", reverse("compliance:break_glass", args=[case.public_id])),
        ("get", reverse("compliance:my_access")),
        ("post", reverse("compliance:break_glass_withdraw", args=[uuid4()])),
        ("get", reverse("compliance:approvals")),
        ("get", reverse("compliance:break_glass_decision", args=[uuid4()])),
        ("post", reverse("compliance:case_link_decision", args=[uuid4()])),
        ("get", reverse("compliance:approvals_report")),
        ("get", reverse("compliance:audit")),
        ("get", reverse("compliance:audit_export")),
        ("get", reverse("compliance:case_readers") + f"?case_reference={case.reference}"),
        ("post", reverse("compliance:audit_verify")),
        ("get", reverse("compliance:figures")),
    ]


@pytest.mark.parametrize("role", [r for r in Role if r != Role.COMPLIANCE])
def test_other_roles_are_refused_every_unit_page(client, unit_urls, role):
    _signed_in(client, UserFactory(role=role))
    for method, url in unit_urls:
        assert getattr(client, method)(url).status_code == 403, url


def test_staff_and_superusers_without_the_role_are_refused(client, unit_urls):
    admin = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    _signed_in(client, admin)
    for method, url in unit_urls:
        assert getattr(client, method)(url).status_code == 403, url


def test_signed_out_people_are_sent_to_sign_in(client, unit_urls):
    for method, url in unit_urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/sign-in/" in response["Location"], url


def test_the_unit_sees_its_pages(client, unit_urls):
    _signed_in(client, ComplianceOfficerFactory())
    expected = {
        reverse("compliance:audit_verify"): 302,
        reverse("compliance:approvals_report"): 403,  # the unit's head's alone
    }
    # Pages of one case, request or grant that is not this officer's (or does not exist).
    not_theirs = ("break-glass", "case-links", "/withdraw/")
    for method, url in unit_urls:
        status = expected.get(url, 404 if any(part in url for part in not_theirs) else 200)
        response = getattr(client, method)(url)
        assert response.status_code == status, url
        if method == "post" and "triage" in url:
            # The unit may submit the step: an empty answer reaches the service and is refused.
            body = response.content.decode()
            assert "govuk-error-summary" in body
            assert "Select whether the complaint is in scope" in body
            assert "Give the reason for your decision" in body
    assert Complaint.objects.get(process__isnull=False).status == ComplaintStatus.RECEIVED


def test_navigation_shows_unit_links_only_to_the_unit(client):
    officer = ComplianceOfficerFactory()
    _signed_in(client, officer)
    assert "Audit explorer" in client.get("/").content.decode()
    _signed_in(client, UserFactory(role=Role.NATIONAL))
    assert "Audit explorer" not in client.get("/").content.decode()


def test_complaint_from_triage_to_close_through_the_pages(client):
    officer = ComplianceOfficerFactory(full_name="Chris Compliance")
    reviewer = ComplianceOfficerFactory(full_name="Pat Reviewer")
    case = started_case()
    complaint = ReceivedComplaintFactory(referral_reference=case.reference)
    _signed_in(client, officer)

    def step(slug, data, status=302):
        url = reverse("compliance:complaint_step", args=[complaint.reference, slug])
        response = client.post(url, data)
        assert response.status_code == status, response.content.decode()[:2000]
        return response

    detail = client.get(reverse("compliance:complaint", args=[complaint.reference]))
    assert "Acknowledge and triage" in detail.content.decode()
    refused = step("triage", {"in_scope": "yes"}, status=200)
    assert "Give the reason for your decision" in refused.content.decode()
    assert "Select whether the complaint is in scope" not in refused.content.decode()
    step("triage", {"in_scope": "yes", "rationale": "About a referral.", "investigator": ""})
    complaint.refresh_from_db()
    assert complaint.investigator == officer

    page = client.get(reverse("compliance:complaint_step", args=[complaint.reference, "link-case"]))
    assert case.reference in page.content.decode()  # filled in from what the complainant gave
    step("link-case", {"referral_reference": case.reference})
    step("raise", {"organisation": "Example Academy", "contact": "Head", "summary": "Raised."})
    step("consent", {"given": "yes", "note": "By phone"})
    step("investigation", {"summary": "Read the records."})
    step("finding", {"finding": "partly_upheld", "rationale": "Partly right."})
    response_page = client.get(
        reverse("compliance:complaint_step", args=[complaint.reference, "response"])
    )
    assert "partly upheld" in response_page.content.decode()
    step("response", {"letter": "Dear Robin Example, ..."})
    today = timezone.localdate()
    step(
        "review-request",
        {
            "requested": "yes",
            "requested_on-day": today.day,
            "requested_on-month": today.month,
            "requested_on-year": today.year,
            "reason": "Disagrees.",
            "reviewer": reviewer.pk,
        },
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.UNDER_REVIEW
    # Only the chosen reviewer is offered the review.
    review_url = reverse("compliance:complaint_step", args=[complaint.reference, "review"])
    assert client.get(review_url).status_code == 404
    _signed_in(client, reviewer)
    step(
        "review",
        {"outcome": "stands", "rationale": "Sound.", "letter": "The finding stands."},
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.organisation_contacts.count() == 1
    assert complaint_open_tasks(complaint) == {}


def _summary(response) -> str:
    body = response.content.decode()
    return body[body.index("govuk-error-summary") : body.index("</h1>")]


def _form_errors(response) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def test_a_step_page_shows_every_problem_at_once(client):
    complaint = ReceivedComplaintFactory()
    _signed_in(client, ComplianceOfficerFactory())
    url = reverse("compliance:complaint_step", args=[complaint.reference, "triage"])
    response = client.post(url, {"in_scope": "no", "investigator": ""})
    assert response.status_code == 200
    assert _form_errors(response) == {
        "rationale": ["Give the reason for your decision"],
        "signposting": ["Say where the complainant can take their complaint"],
    }
    summary = _summary(response)
    assert 'href="#id_rationale"' in summary and 'href="#id_signposting"' in summary
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RECEIVED
    assert not complaint.letters.filter(kind=ComplaintLetter.Kind.SIGNPOSTING).exists()
    assert list(complaint_open_tasks(complaint)) == ["triage"]


def test_the_review_request_page_shows_the_services_rules_together(client):
    complaint = RespondedComplaintFactory()
    _signed_in(client, complaint.investigator)
    url = reverse("compliance:complaint_step", args=[complaint.reference, "review-request"])
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        url,
        {
            "requested": "yes",
            "requested_on-day": tomorrow.day,
            "requested_on-month": tomorrow.month,
            "requested_on-year": tomorrow.year,
            "reason": "",
            "reviewer": complaint.investigator.pk,
        },
    )
    assert response.status_code == 200
    assert _form_errors(response) == {
        "requested_on": ["The date of the request must be today or in the past"],
        "reason": ["Enter why the complainant wants a review"],
        "reviewer": ["The review must be done by a second officer, not the one who investigated"],
    }
    assert 'href="#id_requested_on-day"' in _summary(response)
    assert not ComplaintReview.objects.exists()
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RESPONDED


def test_a_date_that_is_not_real_is_refused_by_the_page_itself(client):
    complaint = RespondedComplaintFactory()
    _signed_in(client, complaint.investigator)
    url = reverse("compliance:complaint_step", args=[complaint.reference, "review-request"])
    response = client.post(
        url,
        {
            "requested": "yes",
            "requested_on-day": "31",
            "requested_on-month": "2",
            "requested_on-year": "2026",
        },
    )
    assert response.status_code == 200
    assert _form_errors(response) == {"requested_on": ["Date of the request must be a real date"]}
    assert not ComplaintReview.objects.exists()


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


IN_SCOPE = "Select whether the complaint is in scope"
REASON = "Give the reason for your decision"
SIGNPOSTING = "Say where the complainant can take their complaint"


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, {"in_scope": [IN_SCOPE], "rationale": [REASON]}),
        ({"in_scope": False}, {"rationale": [REASON], "signposting": [SIGNPOSTING]}),
        ({"in_scope": True, "rationale": " "}, {"rationale": [REASON]}),
    ],
    ids=["empty", "out-of-scope", "in-scope"],
)
def test_the_api_answers_every_problem_as_the_page_does(client, answers, expected):
    complaint = ReceivedComplaintFactory()
    officer = ComplianceOfficerFactory()
    task = complaint_open_task(complaint, "triage")
    response = _api(officer).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", answers, format="json"
    )
    assert response.status_code == 400
    api_errors = response.json()["errors"]

    _signed_in(client, officer)
    page_answers = {
        name: ("yes" if value else "no") if isinstance(value, bool) else value
        for name, value in answers.items()
    }
    page = client.post(
        reverse("compliance:complaint_step", args=[complaint.reference, "triage"]), page_answers
    )
    assert page.status_code == 200
    assert api_errors == _form_errors(page) == expected
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RECEIVED
    assert list(complaint_open_tasks(complaint)) == ["triage"]


def test_the_api_completes_the_step_once_the_answers_are_right():
    complaint = ReceivedComplaintFactory()
    officer = ComplianceOfficerFactory()
    task = complaint_open_task(complaint, "triage")
    response = _api(officer).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/",
        {"in_scope": True, "rationale": "About a referral."},
        format="json",
    )
    assert response.status_code == 204
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.INVESTIGATING
    assert complaint.investigator == officer


def test_steps_not_open_to_the_officer_are_not_found(client):
    complaint = InvestigatingComplaintFactory()
    _signed_in(client, ComplianceOfficerFactory())
    for slug in ["triage", "investigation", "link-case", "finding", "nonsense"]:
        url = reverse("compliance:complaint_step", args=[complaint.reference, slug])
        assert client.get(url).status_code == 404, slug
    assert client.get(reverse("compliance:complaint", args=["CMP-1999-000001"])).status_code == 404


def test_reassign_page(client):
    complaint = InvestigatingComplaintFactory()
    cover = ComplianceOfficerFactory()
    _signed_in(client, ComplianceOfficerFactory())
    url = reverse("compliance:complaint_step", args=[complaint.reference, "reassign"])
    assert client.post(url, {"investigator": cover.pk}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.investigator == cover


def test_list_and_detail_query_counts_do_not_grow(client, django_assert_max_num_queries):
    officer = ComplianceOfficerFactory()
    RespondedComplaintFactory(investigator=officer)
    _signed_in(client, officer)
    url = reverse("compliance:home")
    with django_assert_max_num_queries(10):
        assert client.get(url + "?status=all").status_code == 200
    for _ in range(5):
        InvestigatingComplaintFactory()
    with django_assert_max_num_queries(10):
        response = client.get(url + "?status=all")
    assert len(response.context["page"].object_list) == 6

    complaint = Complaint.objects.filter(investigator=officer).get()
    detail = reverse("compliance:complaint", args=[complaint.reference])
    with django_assert_max_num_queries(16):
        assert client.get(detail).status_code == 200
