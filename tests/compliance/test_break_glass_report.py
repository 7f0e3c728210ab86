"""The report the head of the unit reviews: every break-glass request (who asked, who decided,
when, for which case and complaint, for how long, and what was read under it) and every request
to link a complaint to a case its complainant did not name. Only the head sees it."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.models import AuditEvent
from compliance.selectors import is_unit_head
from compliance.services import break_glass_decide, case_read_record
from config.errors import PermissionDenied
from tests.compliance.factories import (
    ComplianceOfficerFactory,
    InvestigatingComplaintFactory,
    break_glass_granted,
    break_glass_requested,
    document_for,
    linked_investigation,
    started_case,
    unit_head,
)
from tests.factories import PASSWORD
from workflows.complaint import services as cs

pytestmark = pytest.mark.django_db
REPORT = "/compliance/approvals/report/"


def _signed_in(client, user):
    client.login(username=user.email, password=PASSWORD)
    return client


@pytest.fixture
def head():
    return unit_head(full_name="Hayden Head")


def _rows(body: str) -> list[str]:
    table = body.split('data-testid="report"', 1)[1].split("</table>", 1)[0]
    return [re.sub(r"\s+", " ", row) for row in table.split("<tr")[2:]]


def test_only_the_head_sees_the_report(client, head):
    officer = ComplianceOfficerFactory()
    assert not is_unit_head(officer) and is_unit_head(head)
    _signed_in(client, officer)
    assert client.get(REPORT).status_code == 403
    assert "Break-glass and case link report" not in client.get("/compliance/").content.decode()
    _signed_in(client, head)
    assert client.get(REPORT).status_code == 200
    assert "Break-glass and case link report" in client.get("/compliance/").content.decode()


def test_the_report_lists_requests_decisions_and_what_was_read(client, head):
    case = started_case()
    investigator = ComplianceOfficerFactory(full_name="Chris Compliance")
    second = ComplianceOfficerFactory(full_name="Sam Second")
    complaint = linked_investigation(case, investigator)
    grant = break_glass_granted(investigator, case, minutes=120, approver=second)
    case_read_record(user=investigator, referral=case, what="case page")
    case_read_record(user=investigator, referral=case, what="case page")
    case_read_record(
        user=investigator,
        referral=case,
        what="attachment",
        action="attachment.downloaded",
        obj=document_for(case),
    )
    refused = break_glass_requested(investigator, case, reason="Another look, please.")
    with pytest.raises(PermissionDenied):
        break_glass_decide(grant=refused, user=investigator, approve=True, reason="Mine.")
    break_glass_decide(grant=refused, user=head, approve=False, reason="You have seen it today.")

    _signed_in(client, head)
    newest, oldest = _rows(client.get(REPORT).content.decode())
    assert "Chris Compliance" in oldest and "Sam Second" in oldest
    assert case.reference in oldest and complaint.reference in oldest
    assert "120 minutes asked" in oldest and "Approved" in oldest
    assert "Case page: 2 times" in oldest and "Attachment: 1 time" in oldest
    assert grant.reason in oldest
    assert "Refused" in newest and "Hayden Head" in newest
    assert "You have seen it today." in newest
    assert "Tried to approve their own request: 1 time" in newest


def test_the_case_links_report(client, head):
    investigator = ComplianceOfficerFactory(full_name="Chris Compliance")
    complaint = InvestigatingComplaintFactory(investigator=investigator, referral_reference="")
    other = started_case()
    asked = cs.complaint_case_link(
        complaint=complaint,
        user=investigator,
        referral_reference=other.reference,
        reason="The complainant gave no reference; the school named this case.",
    )
    cs.complaint_case_link_decide(link=asked.request, user=head, approve=True, reason="Agreed.")
    _signed_in(client, head)
    (row,) = _rows(client.get(REPORT, {"show": "case-links"}).content.decode())
    assert complaint.reference in row and other.reference in row
    assert "None given" in row and "Chris Compliance" in row
    assert "Approved" in row and "Hayden Head" in row and "Agreed." in row


def test_report_and_queue_are_a_fixed_number_of_queries(client, head):
    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def grants(n):
        for _ in range(n):
            case = started_case()
            investigator = ComplianceOfficerFactory()
            linked_investigation(case, investigator)
            break_glass_granted(investigator, case)
            case_read_record(user=investigator, referral=case, what="case page")
            break_glass_requested(investigator, case)

    grants(1)
    _signed_in(client, head)
    few = queries(REPORT), queries(reverse("compliance:approvals"))
    grants(4)
    assert (queries(REPORT), queries(reverse("compliance:approvals"))) == few
    assert AuditEvent.objects.filter(action="break_glass.requested").count() == 10
