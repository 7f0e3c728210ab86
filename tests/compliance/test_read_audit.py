"""Reads of case content are audited: who, what, when, from which role and team, through which
channel, and whether through break-glass access; and the "who has seen this case" report.
"""

import pytest
from django.urls import reverse

from accounts.roles import Role
from compliance.models import AuditEvent
from compliance.selectors import audit_case_readers
from compliance.services import case_read_record
from regions.selectors import route_local_authority
from tests.compliance.factories import (
    ComplianceOfficerFactory,
    break_glass_granted,
    case_team_member,
    document_for,
    linked_investigation,
    started_case,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
REASON = "Checking the referral's handling for complaint investigation."


@pytest.fixture
def case():
    return started_case()


@pytest.fixture
def member(case):
    return case_team_member(case, email="lee.lead@camden.example.gov.uk")


def _reads(case):
    return AuditEvent.objects.filter(case_reference=case.reference, action="case.read").order_by(
        "pk"
    )


@pytest.mark.parametrize(
    ("what", "via"), [("case page", "web"), ("attachment", "web"), ("api detail", "api")]
)
def test_a_read_records_who_what_role_and_team(case, member, what, via):
    event = case_read_record(user=member, referral=case, what=what, via=via)
    assert event.action == "case.read"
    assert event.actor == member
    assert event.actor_email == member.email
    assert event.actor_role == Role.LA_PREVENT_LEAD.value
    assert event.team == route_local_authority(case.local_authority).la_team.name
    assert event.case_reference == case.reference
    assert event.object_id == str(case.public_id)
    assert event.detail == {"what": what, "via": via}
    assert event.occurred_at is not None


def test_the_caller_may_name_the_role(case, member):
    event = case_read_record(user=member, referral=case, what="case page", role="chair")
    assert event.actor_role == "chair"


def test_a_break_glass_read_is_flagged(case):
    investigator = ComplianceOfficerFactory()
    complaint = linked_investigation(case, investigator)
    grant = break_glass_granted(investigator, case, reason=REASON)
    event = case_read_record(user=investigator, referral=case, what="case page")
    assert event.detail == {
        "what": "case page",
        "via": "web",
        "break_glass": True,
        "grant": str(grant.public_id),
        "complaint": complaint.reference,
    }
    assert event.reason == REASON
    assert event.actor_role == "standards_compliance"
    assert event.team == "Standards and Compliance Unit"


def test_the_case_page_records_a_read(client, case, member):
    client.login(username=member.email, password=PASSWORD)
    assert client.get(f"/cases/{case.public_id}/").status_code == 200
    event = _reads(case).get()
    assert event.actor == member
    assert event.detail == {"what": "case page", "via": "web"}


def test_the_api_records_a_read(client, case, member):
    client.login(username=member.email, password=PASSWORD)
    assert client.get(f"/api/v1/cases/{case.public_id}/").status_code == 200
    event = _reads(case).get()
    assert event.detail["via"] == "api"
    assert event.actor_role == Role.LA_PREVENT_LEAD.value


def test_a_document_download_records_a_read(client, case, member):
    attachment = document_for(case)
    client.login(username=member.email, password=PASSWORD)
    url = reverse("referrals:attachment_download", args=[case.public_id, attachment.public_id])
    response = client.get(url)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    event = AuditEvent.objects.get(action="attachment.downloaded")
    assert event.actor == member
    assert event.case_reference == case.reference
    assert [r["actor_email"] for r in audit_case_readers(case.reference)] == [member.email]


def test_a_refused_read_records_nothing(client, case):
    outsider = ComplianceOfficerFactory()
    client.login(username=outsider.email, password=PASSWORD)
    assert client.get(f"/cases/{case.public_id}/").status_code == 404
    assert client.get(f"/api/v1/cases/{case.public_id}/").status_code == 404
    assert not _reads(case).exists()


def test_who_has_seen_this_case(client, case, member, time_machine):
    investigator = ComplianceOfficerFactory(email="chris.compliance@example.gov.uk")
    linked_investigation(case, investigator)
    time_machine.move_to("2026-11-02 09:00 +00:00", tick=False)
    case_read_record(user=member, referral=case, what="case page")
    time_machine.move_to("2026-11-03 09:00 +00:00", tick=False)
    case_read_record(user=member, referral=case, what="api detail", via="api")
    break_glass_granted(investigator, case, reason=REASON)
    case_read_record(user=investigator, referral=case, what="case page")
    case_read_record(user=member, referral=started_case(), what="case page")  # another case

    readers = audit_case_readers(case.reference.lower())
    assert [(r["actor_email"], r["reads"], r["break_glass_reads"]) for r in readers] == [
        (member.email, 2, 0),
        (investigator.email, 1, 1),
    ]
    assert readers[0]["first_read"] < readers[0]["last_read"]
    assert readers[0]["actor_role"] == Role.LA_PREVENT_LEAD.value

    client.login(username=investigator.email, password=PASSWORD)
    page = client.get(reverse("compliance:case_readers"), {"case_reference": case.reference})
    body = page.content.decode()
    assert member.email in body and investigator.email in body
    assert body.count("Break-glass</strong>") == 1

    empty = client.get(reverse("compliance:case_readers"), {"case_reference": ""})
    assert "Enter a case reference" in empty.content.decode()


def test_who_has_seen_is_a_fixed_number_of_queries(client, case, django_assert_max_num_queries):
    officer = ComplianceOfficerFactory()
    client.login(username=officer.email, password=PASSWORD)
    url = reverse("compliance:case_readers")
    for _ in range(5):
        case_read_record(user=case_team_member(case), referral=case, what="case page")
    with django_assert_max_num_queries(10):
        response = client.get(url, {"case_reference": case.reference})
    assert len(response.context["readers"]) == 5
