"""Break-glass access: compliance investigators see no case content by default. With a reason
they ask for time-limited, read-only sight of a case linked to a complaint they investigate; a
second officer of the unit approves or refuses it, never the requester. Only an approved,
unexpired grant opens the case; every request, decision, expiry and read is in the trail.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from compliance.models import AuditEvent, BreakGlassGrant, Decision
from compliance.selectors import break_glass_active
from compliance.services import (
    break_glass_decide,
    break_glass_end,
    break_glass_request,
    break_glass_revoke_expired,
    break_glass_withdraw,
)
from compliance.tasks import break_glass_revoke_expired as revoke_task
from config.errors import ApplicationError, PermissionDenied
from tests.cases import error_summary
from tests.compliance.factories import (
    BREAK_GLASS_REASON as REASON,
)
from tests.compliance.factories import (
    ComplianceOfficerFactory,
    InvestigatingComplaintFactory,
    break_glass_granted,
    break_glass_requested,
    case_team_member,
    document_for,
    linked_investigation,
    started_case,
)
from tests.factories import PASSWORD, UserFactory
from workflows.complaint import services as cs
from workflows.engine.permissions import is_task_team_member

pytestmark = pytest.mark.django_db
VIEW = "referrals.view_referral"
APPROVAL = "The reason is sound: the complaint is about this case's first contact."


def fresh(user):
    """The same user without cached permissions."""
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def case():
    return started_case()


@pytest.fixture
def investigator():
    return ComplianceOfficerFactory(full_name="Chris Compliance")


@pytest.fixture
def second():
    return ComplianceOfficerFactory(full_name="Sam Second")


@pytest.fixture
def complaint(case, investigator):
    return linked_investigation(case, investigator)


def _close(complaint, investigator):
    cs.complaint_investigation_complete(complaint=complaint, user=investigator, summary="x")
    cs.complaint_finding_record(
        complaint=complaint, user=investigator, finding="not_upheld", rationale="x"
    )
    cs.complaint_response_send(complaint=complaint, user=investigator, letter="x")
    cs.complaint_review_request_record(complaint=complaint, user=investigator, requested=False)


def test_no_case_content_by_default(case, investigator, complaint):
    assert not fresh(investigator).has_perm(VIEW, case)
    assert break_glass_active(user=investigator, referral=case) is None


# --- Asking -----------------------------------------------------------------------------------


def test_refused_without_a_reason(case, investigator, complaint):
    for reason in ["", "   "]:
        with pytest.raises(ApplicationError) as refused:
            break_glass_request(user=investigator, referral=case, reason=reason)
        assert refused.value.field == "reason"
    assert not BreakGlassGrant.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="break_glass").exists()


@pytest.mark.parametrize("minutes", [0, -5, 8 * 60 + 1])
def test_refused_for_too_long_or_no_time(case, investigator, complaint, minutes):
    with pytest.raises(ApplicationError) as refused:
        break_glass_request(user=investigator, referral=case, reason="", minutes=minutes)
    # Every problem at once: the reason and the time.
    assert {field for field, _ in refused.value.errors} == {"reason", "minutes"}


@pytest.mark.parametrize("role", [r for r in Role if r != Role.COMPLIANCE])
def test_only_the_unit_can_ask(case, role):
    with pytest.raises(PermissionDenied):
        break_glass_request(user=UserFactory(role=role), referral=case, reason=REASON)


def test_only_for_a_case_linked_to_a_complaint_the_officer_investigates(case, complaint):
    colleague = ComplianceOfficerFactory()
    with pytest.raises(PermissionDenied, match="complaint you are investigating"):
        break_glass_request(user=colleague, referral=case, reason=REASON)
    with pytest.raises(PermissionDenied):
        break_glass_request(user=complaint.investigator, referral=started_case(), reason=REASON)


def test_not_once_the_complaint_has_closed(case, investigator, complaint):
    _close(complaint, investigator)
    with pytest.raises(PermissionDenied):
        break_glass_request(user=investigator, referral=case, reason=REASON)


def test_a_request_gives_no_access_and_is_recorded(case, investigator, complaint):
    grant = break_glass_request(user=investigator, referral=case, reason=REASON, minutes=30)
    assert grant.status == Decision.REQUESTED
    assert grant.opened_at is None and grant.expires_at is None
    assert break_glass_active(user=investigator, referral=case) is None
    assert not fresh(investigator).has_perm(VIEW, case)
    event = AuditEvent.objects.get(action="break_glass.requested")
    assert event.actor == investigator
    assert event.case_reference == case.reference
    assert event.reason == REASON
    assert event.detail["break_glass"] is True
    assert event.detail["grant"] == str(grant.public_id)
    assert event.detail["complaint"] == complaint.reference
    assert event.detail["minutes"] == 30


def test_one_open_request_at_a_time(case, investigator, complaint):
    break_glass_request(user=investigator, referral=case, reason=REASON)
    with pytest.raises(ApplicationError, match="already asked"):
        break_glass_request(user=investigator, referral=case, reason=REASON)
    assert BreakGlassGrant.objects.count() == 1


# --- A second officer decides -----------------------------------------------------------------


def test_the_requester_cannot_approve_their_own_request(case, investigator, complaint):
    grant = break_glass_requested(investigator, case)
    for approve in (True, False):
        with pytest.raises(PermissionDenied, match="your own request"):
            break_glass_decide(grant=grant, user=investigator, approve=approve, reason=APPROVAL)
    grant.refresh_from_db()
    assert grant.status == Decision.REQUESTED
    assert break_glass_active(user=investigator, referral=case) is None
    refusals = AuditEvent.objects.filter(action="break_glass.self_approval_refused")
    assert refusals.count() == 2
    assert {e.actor for e in refusals} == {investigator}
    assert {e.detail["grant"] for e in refusals} == {str(grant.public_id)}


@pytest.mark.parametrize("role", [r for r in Role if r != Role.COMPLIANCE])
def test_only_the_unit_decides(case, investigator, complaint, role):
    grant = break_glass_requested(investigator, case)
    with pytest.raises(PermissionDenied):
        break_glass_decide(grant=grant, user=UserFactory(role=role), approve=True, reason=APPROVAL)
    assert break_glass_active(user=investigator, referral=case) is None


def test_a_decision_needs_a_choice_and_a_reason(case, investigator, second, complaint):
    grant = break_glass_requested(investigator, case)
    with pytest.raises(ApplicationError) as refused:
        break_glass_decide(grant=grant, user=second, approve=None, reason=" ")
    assert {field for field, _ in refused.value.errors} == {"approve", "reason"}
    grant.refresh_from_db()
    assert grant.status == Decision.REQUESTED


def test_a_second_officer_approves_read_only_time_limited_and_flagged(
    case, investigator, second, complaint, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    grant = break_glass_requested(investigator, case, minutes=30)
    time_machine.shift(timedelta(minutes=20))  # the clock starts at approval, not the request
    approved_at = timezone.now()
    grant = break_glass_decide(grant=grant, user=second, approve=True, reason=APPROVAL)
    assert grant.status == Decision.APPROVED
    assert grant.decided_by == second and grant.decision_reason == APPROVAL
    assert grant.opened_at == approved_at
    assert grant.expires_at == approved_at + timedelta(minutes=30)
    assert break_glass_active(user=investigator, referral=case) == grant
    user = fresh(investigator)
    assert user.has_perm(VIEW, case)
    # The approver gets nothing; the grant gives sight, never work on the case's tasks.
    assert break_glass_active(user=second, referral=case) is None
    assert not fresh(second).has_perm(VIEW, case)
    assert not is_task_team_member(user, case.process.task_set.first())

    event = AuditEvent.objects.get(action="break_glass.approved")
    assert event.actor == second
    assert event.case_reference == case.reference
    assert event.reason == APPROVAL
    assert event.detail["break_glass"] is True
    assert event.detail["grant"] == str(grant.public_id)
    assert event.detail["complaint"] == complaint.reference
    assert event.detail["requester"] == investigator.email
    assert event.detail["request_reason"] == REASON
    assert event.actor_role == "standards_compliance"


def test_a_refused_request_gives_no_access(case, investigator, second, complaint):
    grant = break_glass_requested(investigator, case)
    grant = break_glass_decide(grant=grant, user=second, approve=False, reason="Not needed yet.")
    assert grant.status == Decision.REFUSED
    assert break_glass_active(user=investigator, referral=case) is None
    assert not fresh(investigator).has_perm(VIEW, case)
    event = AuditEvent.objects.get(action="break_glass.refused")
    assert event.actor == second and event.reason == "Not needed yet."
    # Decided once: neither the refuser nor anyone else can approve it afterwards.
    with pytest.raises(ApplicationError, match="already been decided"):
        break_glass_decide(
            grant=grant, user=ComplianceOfficerFactory(), approve=True, reason=APPROVAL
        )
    assert break_glass_active(user=investigator, referral=case) is None


def test_not_approved_once_the_requester_no_longer_investigates(
    case, investigator, second, complaint
):
    grant = break_glass_requested(investigator, case)
    cs.complaint_reassign(complaint=complaint, user=second, investigator=second)
    with pytest.raises(ApplicationError, match="no longer investigates"):
        break_glass_decide(
            grant=grant, user=ComplianceOfficerFactory(), approve=True, reason=APPROVAL
        )
    assert break_glass_active(user=investigator, referral=case) is None


def test_a_request_nobody_decides_lapses(case, investigator, second, complaint, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    grant = break_glass_requested(investigator, case)
    time_machine.shift(timedelta(hours=24))
    with pytest.raises(ApplicationError, match="lapsed"):
        break_glass_decide(grant=grant, user=second, approve=True, reason=APPROVAL)
    assert break_glass_revoke_expired() == 1
    grant.refresh_from_db()
    assert grant.status == Decision.LAPSED
    assert AuditEvent.objects.filter(action="break_glass.request_lapsed").count() == 1
    assert break_glass_revoke_expired() == 0  # idempotent
    # The investigator can ask again.
    assert break_glass_request(user=investigator, referral=case, reason=REASON)


def test_the_requester_may_withdraw_a_request(case, investigator, second, complaint):
    grant = break_glass_requested(investigator, case)
    with pytest.raises(PermissionDenied):
        break_glass_withdraw(grant=grant, user=second)
    break_glass_withdraw(grant=grant, user=investigator)
    grant.refresh_from_db()
    assert grant.status == Decision.WITHDRAWN
    assert AuditEvent.objects.get(action="break_glass.withdrawn").actor == investigator
    with pytest.raises(ApplicationError, match="already been decided"):
        break_glass_decide(grant=grant, user=second, approve=True, reason=APPROVAL)


# --- The grant's end --------------------------------------------------------------------------


def test_a_grant_does_not_let_the_officer_write_to_the_case(case, investigator, complaint):
    from workflows.referral import services as case_services

    break_glass_granted(investigator, case)
    user = fresh(investigator)
    with pytest.raises(PermissionDenied):
        case_services.case_note_add(referral=case, user=user, kind="note", text="x")
    with pytest.raises(PermissionDenied):
        case_services.initial_discussion_record(
            referral=case, user=user, held_on=timezone.localdate(), summary="x"
        )
    for task in case.process.task_set.all():
        assert not is_task_team_member(user, task)


def test_expired_after_its_time_even_before_the_job_runs(
    case, investigator, complaint, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    grant = break_glass_granted(investigator, case, minutes=60)
    time_machine.shift(timedelta(minutes=59))
    assert break_glass_active(user=investigator, referral=case) == grant
    time_machine.shift(timedelta(minutes=1))
    # The guardian permission is still there, but the grant gives no access.
    assert fresh(investigator).has_perm(VIEW, case)
    assert break_glass_active(user=investigator, referral=case) is None

    assert revoke_task.delay().get() == 1
    grant.refresh_from_db()
    assert grant.revoked_at and grant.revoked_because == "expired"
    assert not fresh(investigator).has_perm(VIEW, case)
    ended = AuditEvent.objects.get(action="break_glass.ended")
    assert ended.detail["because"] == "expired"
    assert ended.detail["grant"] == str(grant.public_id)
    assert break_glass_revoke_expired() == 0  # idempotent


def test_an_overlapping_grant_keeps_the_permission_until_it_too_ends(
    case, investigator, complaint, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    break_glass_granted(investigator, case, minutes=30)
    later = break_glass_granted(investigator, case, minutes=120)
    time_machine.shift(timedelta(minutes=31))
    assert break_glass_revoke_expired() == 1
    assert fresh(investigator).has_perm(VIEW, case)
    assert break_glass_active(user=investigator, referral=case) == later
    time_machine.shift(timedelta(minutes=90))
    assert break_glass_revoke_expired() == 1
    assert not fresh(investigator).has_perm(VIEW, case)


def test_the_investigator_can_end_it_early(case, investigator, complaint):
    grant = break_glass_granted(investigator, case)
    with pytest.raises(PermissionDenied):
        break_glass_end(grant=grant, user=ComplianceOfficerFactory())
    break_glass_end(grant=grant, user=investigator)
    assert break_glass_active(user=investigator, referral=case) is None
    assert not fresh(investigator).has_perm(VIEW, case)
    with pytest.raises(ApplicationError, match="already ended"):
        break_glass_end(grant=BreakGlassGrant.objects.get(), user=investigator)


def test_closing_the_complaint_ends_its_access_and_its_requests(
    case, investigator, complaint, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    break_glass_granted(investigator, case, minutes=30)
    time_machine.shift(timedelta(minutes=31))
    break_glass_revoke_expired()
    break_glass_granted(investigator, case)
    pending = break_glass_requested(investigator, case)
    _close(complaint, investigator)
    assert break_glass_active(user=investigator, referral=case) is None
    assert not fresh(investigator).has_perm(VIEW, case)
    pending.refresh_from_db()
    assert pending.status == Decision.WITHDRAWN
    assert set(
        BreakGlassGrant.objects.exclude(pk=pending.pk).values_list("revoked_because", flat=True)
    ) == {"expired", "complaint closed"}


def test_linking_another_case_ends_access_to_the_first(case, investigator, second, complaint):
    break_glass_granted(investigator, case)
    other = started_case()
    asked = cs.complaint_case_link(
        complaint=complaint,
        user=investigator,
        referral_reference=other.reference,
        reason="The school gave us the wrong reference.",
    )
    # Another case needs a second officer: until then the first stays linked and open.
    assert not asked.linked
    assert break_glass_active(user=investigator, referral=case) is not None
    cs.complaint_case_link_decide(link=asked.request, user=second, approve=True, reason="Agreed.")
    assert break_glass_active(user=investigator, referral=case) is None
    assert not fresh(investigator).has_perm(VIEW, case)


def test_the_reviewing_officer_may_ask_during_the_review(case, investigator, second):
    complaint = linked_investigation(case, investigator)
    cs.complaint_investigation_complete(complaint=complaint, user=investigator, summary="x")
    cs.complaint_finding_record(
        complaint=complaint, user=investigator, finding="not_upheld", rationale="x"
    )
    cs.complaint_response_send(complaint=complaint, user=investigator, letter="x")
    reviewer = ComplianceOfficerFactory()
    cs.complaint_review_request_record(
        complaint=complaint,
        user=investigator,
        requested=True,
        requested_on=timezone.localdate(),
        reason="Wants a second look.",
        reviewer=reviewer,
    )
    grant = break_glass_granted(reviewer, case, approver=investigator)
    assert grant.complaint == complaint
    assert break_glass_active(user=reviewer, referral=case) == grant


# --- The pages ------------------------------------------------------------------------------


def _signed_in(client, user):
    client.login(username=user.email, password=PASSWORD)
    return client


def test_asking_approving_then_opening_through_the_pages(
    client, case, investigator, second, complaint
):
    _signed_in(client, investigator)
    url = reverse("compliance:break_glass", args=[case.public_id])
    page = client.get(url)
    assert page.status_code == 200
    assert "Another officer of the unit must approve" in page.content.decode()

    refused = client.post(url, {"reason": "", "minutes": "60"})
    assert refused.status_code == 200
    assert error_summary(refused) == {"reason": ["Enter why you need to see this case"]}
    assert not BreakGlassGrant.objects.exists()

    asked = client.post(url, {"reason": REASON, "minutes": "30"}, follow=True)
    assert asked.redirect_chain[-1][0] == reverse("compliance:my_access")
    body = asked.content.decode()
    assert "Another officer of the unit must approve it" in body
    assert "Awaiting approval" in body and case.reference in body
    grant = BreakGlassGrant.objects.get()
    # Asking opens nothing.
    assert client.get(f"/cases/{case.public_id}/").status_code == 404

    # The requester sees their request in the queue and on its page, with no way to decide it.
    queue = client.get(reverse("compliance:approvals")).content.decode()
    assert "Your request" in queue
    decision_url = reverse("compliance:break_glass_decision", args=[grant.public_id])
    own = client.get(decision_url)
    assert own.status_code == 200
    assert 'data-testid="own-request"' in own.content.decode()
    assert 'name="approve"' not in own.content.decode()
    self_approval = client.post(decision_url, {"approve": "yes", "reason": APPROVAL})
    assert self_approval.status_code == 403
    assert "your own request" in self_approval.content.decode()
    assert AuditEvent.objects.filter(action="break_glass.self_approval_refused").count() == 1
    assert client.get(f"/cases/{case.public_id}/").status_code == 404

    # The second officer decides: both answers are required, then approval.
    _signed_in(client, second)
    queue = client.get(reverse("compliance:approvals")).content.decode()
    assert case.reference in queue and "Decide" in queue
    missing = client.post(decision_url, {})
    assert error_summary(missing) == {
        "approve": ["Select whether you approve the request"],
        "reason": ["Give the reason for your decision"],
    }
    approved = client.post(decision_url, {"approve": "yes", "reason": APPROVAL})
    assert approved.status_code == 302
    assert approved["Location"] == reverse("compliance:approvals")
    assert case.reference not in client.get(reverse("compliance:approvals")).content.decode()

    # The requester sees it open and reads the case; the read is flagged.
    _signed_in(client, investigator)
    access = client.get(reverse("compliance:my_access")).content.decode()
    assert "Open now" in access and "Approved" in access and second.full_name in access
    response = client.get(f"/cases/{case.public_id}/")
    assert response.status_code == 200
    assert "break-glass" in response.content.decode()
    read = AuditEvent.objects.filter(action="case.read").latest("pk")
    assert read.actor == investigator
    assert read.detail["break_glass"] is True
    assert read.detail["grant"] == str(grant.public_id)


def test_a_refusal_through_the_page_is_shown_to_the_requester(
    client, case, investigator, second, complaint
):
    grant = break_glass_requested(investigator, case)
    _signed_in(client, second)
    url = reverse("compliance:break_glass_decision", args=[grant.public_id])
    client.post(url, {"approve": "no", "reason": "Ask the case team first."})
    _signed_in(client, investigator)
    access = client.get(reverse("compliance:my_access")).content.decode()
    assert "Refused" in access and "Ask the case team first." in access
    assert client.get(f"/cases/{case.public_id}/").status_code == 404
    page = client.get(reverse("compliance:complaint", args=[complaint.reference]))
    assert "Refused" in page.content.decode()


def test_withdrawing_from_the_access_page(client, case, investigator, second, complaint):
    grant = break_glass_requested(investigator, case)
    withdraw = reverse("compliance:break_glass_withdraw", args=[grant.public_id])
    _signed_in(client, second)
    assert client.post(withdraw).status_code == 404  # not theirs
    _signed_in(client, investigator)
    assert client.post(withdraw).status_code == 302
    grant.refresh_from_db()
    assert grant.status == Decision.WITHDRAWN


def test_break_glass_page_is_404_for_a_case_the_officer_does_not_investigate(client, case):
    _signed_in(client, ComplianceOfficerFactory())
    assert client.get(reverse("compliance:break_glass", args=[case.public_id])).status_code == 404


def test_compliance_officer_refused_case_content_without_a_grant(
    client, case, investigator, complaint
):
    InvestigatingComplaintFactory(investigator=investigator)
    break_glass_requested(investigator, case)  # asked for, not approved
    assert not fresh(investigator).has_perm(VIEW, case)
    assert break_glass_active(user=investigator, referral=case) is None
    _signed_in(client, investigator)
    refused = [
        f"/cases/{case.public_id}/",
        f"/api/v1/cases/{case.public_id}/",
        reverse("referrals:detail", args=[case.public_id]),
        reverse("referrals:list"),
        "/queue/",
        reverse("channel:home"),
    ]
    for url in refused:
        assert client.get(url).status_code in (403, 404), url
    # Lists open to every signed-in user show them nothing of the case.
    assert client.get("/api/v1/cases/").json()["results"] == []
    assert client.get("/tasks/").status_code == 403
    assert client.get("/api/v1/tasks/").json()["results"] == []


def test_ending_access_from_the_access_page(client, case, investigator, complaint):
    grant = break_glass_granted(investigator, case)
    _signed_in(client, investigator)
    response = client.post(reverse("compliance:break_glass_end", args=[grant.public_id]))
    assert response.status_code == 302
    assert break_glass_active(user=investigator, referral=case) is None
    # Someone else's grant is not theirs to end.
    other = ComplianceOfficerFactory()
    _signed_in(client, other)
    assert (
        client.post(reverse("compliance:break_glass_end", args=[grant.public_id])).status_code
        == 404
    )


def test_a_team_member_sees_the_case_without_break_glass(case):
    member = case_team_member(case)
    assert fresh(member).has_perm(VIEW, case)
    assert break_glass_active(user=member, referral=case) is None


def test_an_expired_grant_opens_nothing_even_before_the_job_removes_it(
    client, case, investigator, complaint, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    document = document_for(case)
    break_glass_granted(investigator, case, minutes=30)
    download = reverse("referrals:attachment_download", args=[case.public_id, document.public_id])
    urls = [f"/cases/{case.public_id}/", f"/api/v1/cases/{case.public_id}/", download]
    _signed_in(client, investigator)
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert len(client.get("/api/v1/cases/").json()["results"]) == 1

    time_machine.shift(timedelta(minutes=31))
    _signed_in(client, investigator)  # afresh: the first session has been idle for 31 minutes
    assert fresh(investigator).has_perm(VIEW, case)  # the job has not run yet
    reads_before = AuditEvent.objects.filter(action__in=["case.read", "attachment.downloaded"])
    counted = reads_before.count()
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/cases/").json()["results"] == []
    assert reads_before.count() == counted


def test_a_document_read_under_break_glass_is_flagged(client, case, investigator, complaint):
    document = document_for(case)
    grant = break_glass_granted(investigator, case)
    _signed_in(client, investigator)
    url = reverse("referrals:attachment_download", args=[case.public_id, document.public_id])
    response = client.get(url)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    event = AuditEvent.objects.get(action="attachment.downloaded")
    assert event.actor == investigator
    assert event.object_id == str(document.public_id)
    assert event.reason == REASON
    assert event.actor_role == "standards_compliance"
    assert event.detail["break_glass"] is True
    assert event.detail["grant"] == str(grant.public_id)
    assert event.detail["what"] == "attachment"


def test_a_grant_does_not_let_the_officer_ask_the_referrer_anything(case, investigator, complaint):
    from workflows.engine import clocks as deadline_services

    break_glass_granted(investigator, case)
    with pytest.raises(PermissionDenied):
        deadline_services.information_request_create(
            referral=case, user=fresh(investigator), question="When did this start?"
        )
    assert not case.information_requests.exists()
