"""Linking a complaint to a case: the case the complainant named is linked at once; any other
case is linked only once a second officer of the unit approves, never the requester. Linking is
what lets an investigator ask for break-glass sight of a case, so it is not one officer's say-so.
"""

import pytest
from django.urls import reverse

from compliance.models import AuditEvent, CaseLinkRequest, Decision
from compliance.services import break_glass_request
from config.errors import ApplicationError, PermissionDenied
from tests.cases import error_summary
from tests.compliance.factories import (
    BREAK_GLASS_REASON,
    ComplianceOfficerFactory,
    InvestigatingComplaintFactory,
    started_case,
)
from tests.factories import PASSWORD
from workflows.complaint import services as cs

pytestmark = pytest.mark.django_db
NEEDS_REASON = "Say why the complaint is about this case and not the one the complainant named"
WHY = "The school gave the complainant the reference of the brother of the person referred."


@pytest.fixture
def named():
    return started_case()


@pytest.fixture
def other():
    return started_case()


@pytest.fixture
def investigator():
    return ComplianceOfficerFactory(full_name="Chris Compliance")


@pytest.fixture
def second():
    return ComplianceOfficerFactory(full_name="Sam Second")


@pytest.fixture
def complaint(named, investigator):
    return InvestigatingComplaintFactory(
        investigator=investigator, referral_reference=named.reference
    )


def _ask(complaint, investigator, referral, reason=WHY):
    return cs.complaint_case_link(
        complaint=complaint,
        user=investigator,
        referral_reference=referral.reference,
        reason=reason,
    )


def test_the_named_case_is_linked_without_approval(complaint, investigator, named):
    result = cs.complaint_case_link(
        complaint=complaint, user=investigator, referral_reference=named.reference
    )
    assert result.linked and result.request is None
    complaint.refresh_from_db()
    assert complaint.linked_referral == named
    assert not CaseLinkRequest.objects.exists()
    event = AuditEvent.objects.get(action="complaint.case_linked")
    assert event.actor == investigator
    assert event.case_reference == named.reference
    assert event.detail["named"] == named.reference
    assert "approved_by" not in event.detail


def test_another_case_needs_a_reason(complaint, investigator, other):
    with pytest.raises(ApplicationError) as refused:
        _ask(complaint, investigator, other, reason=" ")
    assert refused.value.by_field() == {"reason": [NEEDS_REASON]}
    assert not CaseLinkRequest.objects.exists()


def test_another_case_is_a_request_not_a_link(complaint, investigator, other):
    result = _ask(complaint, investigator, other)
    assert not result.linked
    assert "another officer of the unit must approve it" in result.message
    complaint.refresh_from_db()
    assert complaint.linked_referral is None
    link = result.request
    assert link.status == Decision.REQUESTED
    assert link.referral == other and link.named_reference == complaint.referral_reference
    event = AuditEvent.objects.get(action="case_link.requested")
    assert event.actor == investigator
    assert event.case_reference == complaint.reference
    assert event.reason == WHY
    assert event.detail["case"] == other.reference
    assert event.detail["named"] == complaint.referral_reference
    # Nothing linked, so nothing to break the glass on.
    with pytest.raises(PermissionDenied):
        break_glass_request(user=investigator, referral=other, reason=BREAK_GLASS_REASON)


def test_a_complaint_that_named_no_case_needs_approval_for_any(investigator, other):
    complaint = InvestigatingComplaintFactory(investigator=investigator, referral_reference="")
    assert not _ask(complaint, investigator, other).linked


def test_the_requester_cannot_approve_their_own_link(complaint, investigator, other):
    link = _ask(complaint, investigator, other).request
    with pytest.raises(PermissionDenied, match="your own request"):
        cs.complaint_case_link_decide(link=link, user=investigator, approve=True, reason="Yes.")
    complaint.refresh_from_db()
    assert complaint.linked_referral is None
    link.refresh_from_db()
    assert link.status == Decision.REQUESTED
    event = AuditEvent.objects.get(action="case_link.self_approval_refused")
    assert event.actor == investigator
    assert event.detail["request"] == str(link.public_id)


def test_a_decision_needs_a_choice_and_a_reason(complaint, investigator, second, other):
    link = _ask(complaint, investigator, other).request
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_case_link_decide(link=link, user=second, approve=None, reason="")
    assert {field for field, _ in refused.value.errors} == {"approve", "reason"}


def test_a_second_officer_approves_and_the_case_is_linked(
    complaint, investigator, second, named, other
):
    cs.complaint_case_link(
        complaint=complaint, user=investigator, referral_reference=named.reference
    )
    grant = break_glass_request(user=investigator, referral=named, reason=BREAK_GLASS_REASON)
    link = _ask(complaint, investigator, other).request
    link = cs.complaint_case_link_decide(
        link=link, user=second, approve=True, reason="The sibling's case: agreed."
    )
    assert link.status == Decision.APPROVED and link.decided_by == second
    complaint.refresh_from_db()
    assert complaint.linked_referral == other
    approved = AuditEvent.objects.get(action="case_link.approved")
    assert approved.actor == second and approved.reason == "The sibling's case: agreed."
    linked = AuditEvent.objects.filter(action="complaint.case_linked").latest("pk")
    assert linked.case_reference == other.reference
    assert linked.detail["previous"] == named.reference
    assert linked.detail["requested_by"] == investigator.email
    assert linked.detail["approved_by"] == second.email
    # A request for sight of the case the complaint left is withdrawn.
    grant.refresh_from_db()
    assert grant.status == Decision.WITHDRAWN
    # Now the investigator may ask to see the newly linked case.
    assert break_glass_request(user=investigator, referral=other, reason=BREAK_GLASS_REASON)


def test_a_refused_link_links_nothing(complaint, investigator, second, other):
    link = _ask(complaint, investigator, other).request
    cs.complaint_case_link_decide(link=link, user=second, approve=False, reason="Not this one.")
    complaint.refresh_from_db()
    assert complaint.linked_referral is None
    assert AuditEvent.objects.get(action="case_link.refused").reason == "Not this one."
    with pytest.raises(ApplicationError, match="already been decided"):
        cs.complaint_case_link_decide(
            link=link, user=ComplianceOfficerFactory(), approve=True, reason="Yes."
        )
    complaint.refresh_from_db()
    assert complaint.linked_referral is None


def test_a_new_link_withdraws_the_waiting_request(complaint, investigator, named, other):
    link = _ask(complaint, investigator, other).request
    cs.complaint_case_link(
        complaint=complaint, user=investigator, referral_reference=named.reference
    )
    link.refresh_from_db()
    assert link.status == Decision.WITHDRAWN
    assert AuditEvent.objects.get(action="case_link.withdrawn").detail["because"] == (
        "replaced by a new link"
    )


def test_not_approved_once_the_investigation_is_over(complaint, investigator, second, other):
    link = _ask(complaint, investigator, other).request
    cs.complaint_investigation_complete(complaint=complaint, user=investigator, summary="Done.")
    link.refresh_from_db()
    assert link.status == Decision.WITHDRAWN
    with pytest.raises(ApplicationError, match="already been decided"):
        cs.complaint_case_link_decide(link=link, user=second, approve=True, reason="Yes.")


# --- The pages ------------------------------------------------------------------------------


def _signed_in(client, user):
    client.login(username=user.email, password=PASSWORD)
    return client


def test_asking_and_approving_a_link_through_the_pages(
    client, complaint, investigator, second, other
):
    _signed_in(client, investigator)
    url = reverse("compliance:complaint_step", args=[complaint.reference, "link-case"])
    refused = client.post(url, {"referral_reference": other.reference})
    assert error_summary(refused) == {"reason": [NEEDS_REASON]}
    asked = client.post(url, {"referral_reference": other.reference, "reason": WHY}, follow=True)
    body = asked.content.decode()
    assert f"Link to case {other.reference} requested" in body
    assert 'data-testid="link-requests"' in body and "Awaiting approval" in body
    link = CaseLinkRequest.objects.get()
    decision_url = reverse("compliance:case_link_decision", args=[link.public_id])
    assert client.post(decision_url, {"approve": "yes", "reason": "Mine."}).status_code == 403

    _signed_in(client, second)
    queue = client.get(reverse("compliance:approvals")).content.decode()
    assert other.reference in queue and complaint.reference in queue
    page = client.get(decision_url).content.decode()
    assert WHY in page and complaint.referral_reference in page
    assert client.post(decision_url, {"approve": "yes", "reason": "Agreed."}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.linked_referral == other
    detail = client.get(reverse("compliance:complaint", args=[complaint.reference]))
    assert "Approved" in detail.content.decode()
