"""Break-glass access: compliance investigators see no case content by default; with a reason
they get a time-limited, read-only grant on a case linked to a complaint they investigate,
flagged in the audit trail, which ends on time even before the periodic job removes it.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from compliance.models import AuditEvent, BreakGlassGrant
from compliance.selectors import break_glass_active
from compliance.services import break_glass_end, break_glass_open, break_glass_revoke_expired
from compliance.tasks import break_glass_revoke_expired as revoke_task
from config.errors import ApplicationError, PermissionDenied
from tests.compliance.factories import (
    ComplianceOfficerFactory,
    InvestigatingComplaintFactory,
    case_team_member,
    document_for,
    linked_investigation,
    started_case,
)
from tests.factories import PASSWORD, UserFactory
from workflows.complaint import services as cs

pytestmark = pytest.mark.django_db
VIEW = "referrals.view_referral"
REASON = "To check when the family were first contacted, for complaint investigation."


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
def complaint(case, investigator):
    return linked_investigation(case, investigator)


def test_no_case_content_by_default(case, investigator, complaint):
    assert not fresh(investigator).has_perm(VIEW, case)
    assert break_glass_active(user=investigator, referral=case) is None


def test_refused_without_a_reason(case, investigator, complaint):
    for reason in ["", "   "]:
        with pytest.raises(ApplicationError) as refused:
            break_glass_open(user=investigator, referral=case, reason=reason)
        assert refused.value.field == "reason"
    assert not BreakGlassGrant.objects.exists()
    assert not fresh(investigator).has_perm(VIEW, case)
    assert not AuditEvent.objects.filter(action__startswith="break_glass").exists()


@pytest.mark.parametrize("minutes", [0, -5, 8 * 60 + 1])
def test_refused_for_too_long_or_no_time(case, investigator, complaint, minutes):
    with pytest.raises(ApplicationError) as refused:
        break_glass_open(user=investigator, referral=case, reason=REASON, minutes=minutes)
    assert refused.value.field == "minutes"


@pytest.mark.parametrize("role", [r for r in Role if r != Role.COMPLIANCE])
def test_only_the_unit_can_break_glass(case, role):
    with pytest.raises(PermissionDenied):
        break_glass_open(user=UserFactory(role=role), referral=case, reason=REASON)


def test_only_for_a_case_linked_to_a_complaint_the_officer_investigates(case, complaint):
    colleague = ComplianceOfficerFactory()
    with pytest.raises(PermissionDenied, match="complaint you are investigating"):
        break_glass_open(user=colleague, referral=case, reason=REASON)
    other_case = started_case()
    with pytest.raises(PermissionDenied):
        break_glass_open(user=complaint.investigator, referral=other_case, reason=REASON)


def test_not_once_the_complaint_has_moved_past_investigation_and_closed(case, investigator):
    complaint = linked_investigation(case, investigator)
    cs.complaint_investigation_complete(complaint=complaint, user=investigator, summary="x")
    cs.complaint_finding_record(
        complaint=complaint, user=investigator, finding="not_upheld", rationale="x"
    )
    cs.complaint_response_send(complaint=complaint, user=investigator, letter="x")
    cs.complaint_review_request_record(complaint=complaint, user=investigator, requested=False)
    with pytest.raises(PermissionDenied):
        break_glass_open(user=investigator, referral=case, reason=REASON)


def test_grant_is_read_only_time_limited_and_flagged(case, investigator, complaint):
    before = timezone.now()
    grant = break_glass_open(user=investigator, referral=case, reason=REASON, minutes=30)
    assert grant.complaint == complaint
    assert timedelta(minutes=29) < grant.expires_at - before <= timedelta(minutes=30, seconds=5)
    assert break_glass_active(user=investigator, referral=case) == grant
    user = fresh(investigator)
    assert user.has_perm(VIEW, case)
    # Read-only: the grant gives sight of the case, never work on its tasks.
    assert not user.has_perm("viewflow.change_task", case.process.task_set.first())

    event = AuditEvent.objects.get(action="break_glass.opened")
    assert event.actor == investigator
    assert event.case_reference == case.reference
    assert event.reason == REASON
    assert event.detail["break_glass"] is True
    assert event.detail["grant"] == str(grant.public_id)
    assert event.detail["complaint"] == complaint.reference
    assert event.actor_role == "standards_compliance"


def test_a_grant_does_not_let_the_officer_write_to_the_case(case, investigator, complaint):
    from workflows.referral import services as case_services

    break_glass_open(user=investigator, referral=case, reason=REASON)
    user = fresh(investigator)
    with pytest.raises(PermissionDenied):
        case_services.case_note_add(referral=case, user=user, kind="note", text="x")
    with pytest.raises(PermissionDenied):
        case_services.initial_discussion_record(
            referral=case, user=user, held_on=timezone.localdate(), summary="x"
        )
    for task in case.process.task_set.all():
        assert not user.has_perm("viewflow.change_task", task)


def test_expired_after_its_time_even_before_the_job_runs(
    case, investigator, complaint, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    grant = break_glass_open(user=investigator, referral=case, reason=REASON, minutes=60)
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
    assert AuditEvent.objects.get(action="break_glass.ended").detail["because"] == "expired"
    assert break_glass_revoke_expired() == 0  # idempotent


def test_an_overlapping_grant_keeps_the_permission_until_it_too_ends(
    case, investigator, complaint, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    break_glass_open(user=investigator, referral=case, reason=REASON, minutes=30)
    later = break_glass_open(user=investigator, referral=case, reason=REASON, minutes=120)
    time_machine.shift(timedelta(minutes=31))
    assert break_glass_revoke_expired() == 1
    assert fresh(investigator).has_perm(VIEW, case)
    assert break_glass_active(user=investigator, referral=case) == later
    time_machine.shift(timedelta(minutes=90))
    assert break_glass_revoke_expired() == 1
    assert not fresh(investigator).has_perm(VIEW, case)


def test_the_investigator_can_end_it_early(case, investigator, complaint):
    grant = break_glass_open(user=investigator, referral=case, reason=REASON)
    with pytest.raises(PermissionDenied):
        break_glass_end(grant=grant, user=ComplianceOfficerFactory())
    break_glass_end(grant=grant, user=investigator)
    assert break_glass_active(user=investigator, referral=case) is None
    assert not fresh(investigator).has_perm(VIEW, case)
    with pytest.raises(ApplicationError, match="already ended"):
        break_glass_end(grant=BreakGlassGrant.objects.get(), user=investigator)


def test_closing_the_complaint_ends_its_access(case, investigator, complaint):
    break_glass_open(user=investigator, referral=case, reason=REASON)
    cs.complaint_investigation_complete(complaint=complaint, user=investigator, summary="x")
    cs.complaint_finding_record(
        complaint=complaint, user=investigator, finding="not_upheld", rationale="x"
    )
    cs.complaint_response_send(complaint=complaint, user=investigator, letter="x")
    cs.complaint_review_request_record(complaint=complaint, user=investigator, requested=False)
    assert break_glass_active(user=investigator, referral=case) is None
    assert not fresh(investigator).has_perm(VIEW, case)
    assert BreakGlassGrant.objects.get().revoked_because == "complaint closed"


def test_linking_another_case_ends_access_to_the_first(case, investigator, complaint):
    break_glass_open(user=investigator, referral=case, reason=REASON)
    other = started_case()
    cs.complaint_case_link(
        complaint=complaint, user=investigator, referral_reference=other.reference
    )
    assert break_glass_active(user=investigator, referral=case) is None
    assert not fresh(investigator).has_perm(VIEW, case)


def test_the_reviewing_officer_may_open_the_case_during_the_review(case, investigator):
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
    grant = break_glass_open(user=reviewer, referral=case, reason=REASON)
    assert grant.complaint == complaint


# --- The pages ------------------------------------------------------------------------------


def _signed_in(client, user):
    client.login(username=user.email, password=PASSWORD)
    return client


def test_break_glass_page_refuses_without_a_reason_then_opens_the_case(
    client, case, investigator, complaint
):
    _signed_in(client, investigator)
    url = reverse("compliance:break_glass", args=[case.public_id])
    page = client.get(url)
    assert page.status_code == 200
    assert "break-glass access" in page.content.decode()

    refused = client.post(url, {"reason": "", "minutes": "60"})
    assert refused.status_code == 200
    assert "Enter why you need to see this case" in refused.content.decode()
    assert not BreakGlassGrant.objects.exists()

    opened = client.post(url, {"reason": REASON, "minutes": "30"})
    assert opened.status_code == 302
    assert opened["Location"] == f"/cases/{case.public_id}/"
    assert break_glass_active(user=investigator, referral=case) is not None

    # The officer's own list of access: the confirmation of what is open now.
    access = client.get(reverse("compliance:my_access")).content.decode()
    assert case.reference in access and "Open now" in access


def test_break_glass_page_is_404_for_a_case_the_officer_does_not_investigate(client, case):
    _signed_in(client, ComplianceOfficerFactory())
    assert client.get(reverse("compliance:break_glass", args=[case.public_id])).status_code == 404


def test_compliance_officer_refused_case_content_without_a_grant(
    client, case, investigator, complaint
):
    InvestigatingComplaintFactory(investigator=investigator)
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


def test_with_a_grant_the_case_page_opens_and_the_read_is_flagged(
    client, case, investigator, complaint
):
    _signed_in(client, investigator)
    client.post(
        reverse("compliance:break_glass", args=[case.public_id]),
        {"reason": REASON, "minutes": "60"},
    )
    response = client.get(f"/cases/{case.public_id}/")
    assert response.status_code == 200
    assert "break-glass" in response.content.decode()
    read = AuditEvent.objects.filter(action="case.read").latest("sequence")
    assert read.actor == investigator
    assert read.detail["break_glass"] is True
    assert read.detail["what"] == "case page"


def test_ending_access_from_the_access_page(client, case, investigator, complaint):
    grant = break_glass_open(user=investigator, referral=case, reason=REASON)
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
    break_glass_open(user=investigator, referral=case, reason=REASON, minutes=30)
    download = reverse("referrals:attachment_download", args=[case.public_id, document.public_id])
    urls = [f"/cases/{case.public_id}/", f"/api/v1/cases/{case.public_id}/", download]
    _signed_in(client, investigator)
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get("/api/v1/cases/").json()["count"] == 1

    time_machine.shift(timedelta(minutes=31))
    _signed_in(client, investigator)  # afresh: the first session has been idle for 31 minutes
    assert fresh(investigator).has_perm(VIEW, case)  # the job has not run yet
    reads_before = AuditEvent.objects.filter(action__in=["case.read", "attachment.downloaded"])
    counted = reads_before.count()
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/cases/").json()["count"] == 0
    assert reads_before.count() == counted


def test_a_document_read_under_break_glass_is_flagged(client, case, investigator, complaint):
    document = document_for(case)
    grant = break_glass_open(user=investigator, referral=case, reason=REASON)
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

    break_glass_open(user=investigator, referral=case, reason=REASON)
    with pytest.raises(PermissionDenied):
        deadline_services.information_request_create(
            referral=case, user=fresh(investigator), question="When did this start?"
        )
    assert not case.information_requests.exists()
