"""The unit's complaint pages: who may see them (a matrix of roles), each step through its
page, and query counts that do not grow with the number of complaints.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from compliance.models import Complaint, ComplaintStatus
from tests.compliance.factories import (
    ComplianceOfficerFactory,
    InvestigatingComplaintFactory,
    ReceivedComplaintFactory,
    RespondedComplaintFactory,
    started_case,
)
from tests.factories import PASSWORD, UserFactory
from workflows.complaint.selectors import complaint_open_tasks

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
    expected = {reverse("compliance:audit_verify"): 302}
    for method, url in unit_urls:
        if method == "post" and "triage" in url:
            continue
        status = expected.get(url, 404 if "break-glass" in url else 200)
        assert getattr(client, method)(url).status_code == status, url


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
    refused = step("triage", {"triage-in_scope": "yes"}, status=200)
    assert "Give the reason for your decision" in refused.content.decode()
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
