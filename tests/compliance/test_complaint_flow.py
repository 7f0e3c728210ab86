"""Every path through the complaint flow, driven through the services the pages call, and who
may take each step.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from viewflow.workflow.status import PROCESS

from accounts.roles import Role
from compliance.models import (
    AuditEvent,
    ComplaintLetter,
    ComplaintReview,
    ComplaintStatus,
    Finding,
    OrganisationContact,
)
from config.errors import ApplicationError, PermissionDenied
from config.forms import LONG_TEXT_MAX
from tests.compliance.factories import (
    ComplianceOfficerFactory,
    FindingMadeComplaintFactory,
    InvestigatingComplaintFactory,
    ReceivedComplaintFactory,
    RespondedComplaintFactory,
    started_case,
)
from tests.factories import DraftReferralFactory, UserFactory
from workflows.complaint import services as cs
from workflows.complaint.selectors import complaint_open_tasks

pytestmark = pytest.mark.django_db


def _steps(complaint) -> list[str]:
    return sorted(complaint_open_tasks(complaint))


def _actions(complaint) -> list[str]:
    return list(
        AuditEvent.objects.filter(case_reference=complaint.reference)
        .order_by("pk")
        .values_list("action", flat=True)
    )


@pytest.fixture
def officer():
    return ComplianceOfficerFactory(full_name="Chris Compliance")


# --- Triage ----------------------------------------------------------------------------------


def test_out_of_scope_is_signposted_and_closed(officer, django_capture_on_commit_callbacks):
    complaint = ReceivedComplaintFactory()
    with django_capture_on_commit_callbacks(execute=True):
        cs.complaint_triage(
            complaint=complaint,
            user=officer,
            in_scope=False,
            rationale="About a neighbour's behaviour, not the Prevent duty.",
            signposting="The local council's antisocial behaviour team.",
        )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.in_scope is False
    assert complaint.acknowledged_at and complaint.closed_at
    assert complaint.outcome_label == "Out of scope"
    assert complaint.process.status == PROCESS.DONE
    assert _steps(complaint) == []
    letter = complaint.letters.get(kind=ComplaintLetter.Kind.SIGNPOSTING)
    assert "antisocial behaviour team" in letter.body
    assert any("where to take it" in m.subject for m in mail.outbox)
    assert _actions(complaint) == ["complaint.received", "complaint.triaged", "complaint.closed"]


def test_out_of_scope_needs_signposting(officer):
    complaint = ReceivedComplaintFactory()
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_triage(
            complaint=complaint, user=officer, in_scope=False, rationale="Not Prevent."
        )
    assert refused.value.field == "signposting"
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RECEIVED
    assert _steps(complaint) == ["triage"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"in_scope": None, "rationale": "x"}, "in_scope"),
        ({"in_scope": True, "rationale": " "}, "rationale"),
    ],
)
def test_triage_needs_a_decision_and_a_reason(officer, kwargs, field):
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_triage(complaint=ReceivedComplaintFactory(), user=officer, **kwargs)
    assert refused.value.field == field


def test_in_scope_goes_to_the_chosen_investigator(officer, django_capture_on_commit_callbacks):
    colleague = ComplianceOfficerFactory(full_name="Jo Investigator")
    complaint = ReceivedComplaintFactory()
    with django_capture_on_commit_callbacks(execute=True):
        cs.complaint_triage(
            complaint=complaint,
            user=officer,
            in_scope=True,
            rationale="About a referral.",
            investigator=colleague,
        )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.INVESTIGATING
    assert complaint.investigator == colleague
    assert complaint.triaged_by == officer
    task = complaint_open_tasks(complaint)["investigation"]
    assert task.owner == colleague
    letter = complaint.letters.get(kind=ComplaintLetter.Kind.TRIAGE)
    assert "Jo Investigator" in letter.body
    assert f"{complaint.respond_by:%-d %B %Y}" in letter.body


def test_investigator_must_be_in_the_unit(officer):
    outsider = UserFactory(role=Role.REGIONAL_ADVISER)
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_triage(
            complaint=ReceivedComplaintFactory(),
            user=officer,
            in_scope=True,
            rationale="x",
            investigator=outsider,
        )
    assert refused.value.field == "investigator"


@pytest.mark.parametrize("role", [r for r in Role if r != Role.COMPLIANCE])
def test_only_the_unit_triages(role):
    complaint = ReceivedComplaintFactory()
    with pytest.raises(PermissionDenied):
        cs.complaint_triage(
            complaint=complaint, user=UserFactory(role=role), in_scope=True, rationale="x"
        )
    assert _steps(complaint) == ["triage"]


def test_a_step_cannot_be_taken_twice(officer):
    complaint = ReceivedComplaintFactory()
    cs.complaint_triage(complaint=complaint, user=officer, in_scope=True, rationale="x")
    with pytest.raises(ApplicationError, match="not open"):
        cs.complaint_triage(complaint=complaint, user=officer, in_scope=True, rationale="y")


# --- Investigation ---------------------------------------------------------------------------


def test_link_to_the_case_the_complainant_named_by_reference(officer):
    referral = started_case()
    complaint = InvestigatingComplaintFactory(
        investigator=officer, referral_reference=referral.reference
    )
    linked = cs.complaint_case_link(
        complaint=complaint, user=officer, referral_reference=referral.reference.lower()
    )
    complaint.refresh_from_db()
    assert linked.linked
    assert linked.referral == referral == complaint.linked_referral
    event = AuditEvent.objects.get(action="complaint.case_linked")
    assert event.case_reference == referral.reference
    assert event.detail["complaint"] == complaint.reference
    # Linking shows nothing of the case: no permission on it.
    assert not officer.has_perm("referrals.view_referral", referral)


def test_link_refuses_unknown_and_draft_referrals(officer):
    complaint = InvestigatingComplaintFactory(investigator=officer)
    draft = DraftReferralFactory(reference="PRV-2026-999998")
    for reference in ["PRV-2026-999999", draft.reference]:
        with pytest.raises(ApplicationError) as refused:
            cs.complaint_case_link(complaint=complaint, user=officer, referral_reference=reference)
        assert refused.value.field == "referral_reference"


def test_only_the_investigator_links_a_case(officer):
    complaint = InvestigatingComplaintFactory(investigator=officer)
    with pytest.raises(PermissionDenied):
        cs.complaint_case_link(
            complaint=complaint,
            user=ComplianceOfficerFactory(),
            referral_reference=started_case().reference,
        )


def test_raised_with_the_organisation_only_with_recorded_consent(officer):
    complaint = InvestigatingComplaintFactory(investigator=officer, consent_to_raise=False)
    raise_it = {
        "complaint": complaint,
        "user": officer,
        "organisation": "Example Academy",
        "contact": "Head teacher, by email",
        "summary": "The family were not told about the referral.",
    }
    with pytest.raises(ApplicationError, match="not consented"):
        cs.complaint_raise_with_organisation(**raise_it)
    assert not OrganisationContact.objects.exists()

    cs.complaint_consent_record(
        complaint=complaint, user=officer, given=True, note="By phone on 2 March 2026"
    )
    raised = cs.complaint_raise_with_organisation(**raise_it)
    assert raised.organisation == "Example Academy"
    event = AuditEvent.objects.get(action="complaint.raised_with_organisation")
    assert event.detail["consent_note"] == "By phone on 2 March 2026"

    # Consent withdrawn: no further contact.
    cs.complaint_consent_record(
        complaint=complaint, user=officer, given=False, note="Withdrawn by email, 3 March 2026"
    )
    with pytest.raises(ApplicationError, match="not consented"):
        cs.complaint_raise_with_organisation(**raise_it)
    assert OrganisationContact.objects.count() == 1


def test_consent_needs_a_note_of_how_it_was_given(officer):
    complaint = InvestigatingComplaintFactory(investigator=officer, consent_to_raise=False)
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_consent_record(complaint=complaint, user=officer, given=True, note="")
    assert refused.value.field == "note"


def test_investigation_steps_are_the_investigators(officer):
    complaint = InvestigatingComplaintFactory(investigator=officer)
    colleague = ComplianceOfficerFactory()
    with pytest.raises(PermissionDenied):
        cs.complaint_investigation_complete(complaint=complaint, user=colleague, summary="x")
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_investigation_complete(complaint=complaint, user=officer, summary=" ")
    assert refused.value.field == "summary"
    assert _steps(complaint) == ["investigation"]


# --- Finding, response, review ---------------------------------------------------------------


def test_full_path_without_a_review(officer, django_capture_on_commit_callbacks):
    complaint = InvestigatingComplaintFactory(investigator=officer)
    cs.complaint_investigation_complete(
        complaint=complaint, user=officer, summary="Read the school's records."
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.AWAITING_FINDING
    assert _steps(complaint) == ["finding"]

    with pytest.raises(ApplicationError) as refused:
        cs.complaint_finding_record(
            complaint=complaint, user=officer, finding="maybe", rationale="x"
        )
    assert refused.value.field == "finding"
    cs.complaint_finding_record(
        complaint=complaint, user=officer, finding=Finding.UPHELD, rationale="Not told."
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.FINDING_MADE
    assert complaint.finding_by == officer

    draft = cs.response_letter_draft(complaint)
    assert "upheld" in draft and "review" in draft
    with django_capture_on_commit_callbacks(execute=True):
        cs.complaint_response_send(complaint=complaint, user=officer, letter=draft)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RESPONDED
    assert complaint.responded_at
    assert any("Our response" in m.subject for m in mail.outbox)
    assert AuditEvent.objects.get(action="complaint.responded").detail["on_time"] is True
    assert _steps(complaint) == ["review_request"]

    cs.complaint_review_request_record(complaint=complaint, user=officer, requested=False)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.process.status == PROCESS.DONE
    assert complaint.outcome_label == "Upheld"
    assert _actions(complaint) == [
        "complaint.received",
        "complaint.triaged",
        "complaint.investigated",
        "complaint.finding",
        "complaint.responded",
        "complaint.no_review_requested",
        "complaint.closed",
    ]


def _request_review(complaint, reviewer):
    cs.complaint_review_request_record(
        complaint=complaint,
        user=complaint.investigator,
        requested=True,
        requested_on=timezone.localdate(),
        reason="The complainant says the school's log was not read.",
        reviewer=reviewer,
    )
    complaint.refresh_from_db()


def test_review_by_a_second_officer_who_changes_the_finding():
    complaint = RespondedComplaintFactory()
    reviewer = ComplianceOfficerFactory()
    _request_review(complaint, reviewer)
    assert complaint.status == ComplaintStatus.UNDER_REVIEW
    assert complaint_open_tasks(complaint)["review"].owner == reviewer

    review = cs.complaint_review_decide(
        complaint=complaint,
        user=reviewer,
        outcome=ComplaintReview.Outcome.CHANGED,
        new_finding=Finding.UPHELD,
        rationale="The log shows the family were never contacted.",
        letter="We have reviewed your complaint and now uphold it.",
    )
    complaint.refresh_from_db()
    assert review.original_finding == Finding.PARTLY_UPHELD
    assert complaint.finding == Finding.UPHELD
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.letters.filter(kind=ComplaintLetter.Kind.REVIEW).exists()
    event = AuditEvent.objects.get(action="complaint.reviewed")
    assert event.detail["original_finding"] == Finding.PARTLY_UPHELD
    assert event.detail["finding"] == Finding.UPHELD


def test_review_where_the_finding_stands():
    complaint = RespondedComplaintFactory()
    reviewer = ComplianceOfficerFactory()
    _request_review(complaint, reviewer)
    cs.complaint_review_decide(
        complaint=complaint,
        user=reviewer,
        outcome=ComplaintReview.Outcome.STANDS,
        new_finding=Finding.UPHELD,  # ignored: the finding stands
        rationale="The investigation was thorough.",
        letter="The finding stands.",
    )
    complaint.refresh_from_db()
    assert complaint.finding == Finding.PARTLY_UPHELD
    assert complaint.review.new_finding == ""
    assert complaint.status == ComplaintStatus.CLOSED


def test_the_investigator_cannot_review_their_own_complaint():
    complaint = RespondedComplaintFactory()
    with pytest.raises(ApplicationError, match="second officer") as refused:
        _request_review(complaint, complaint.investigator)
    assert refused.value.field == "reviewer"
    assert _steps(complaint) == ["review_request"]


def test_only_the_chosen_reviewer_reviews():
    complaint = RespondedComplaintFactory()
    _request_review(complaint, ComplianceOfficerFactory())
    decide = {
        "complaint": complaint,
        "outcome": ComplaintReview.Outcome.STANDS,
        "rationale": "x",
        "letter": "y",
    }
    with pytest.raises(PermissionDenied):
        cs.complaint_review_decide(user=complaint.investigator, **decide)
    with pytest.raises(ApplicationError, match="assigned to"):
        cs.complaint_review_decide(user=ComplianceOfficerFactory(), **decide)
    assert _steps(complaint) == ["review"]


def test_review_request_needs_its_details():
    complaint = RespondedComplaintFactory()
    base = {"complaint": complaint, "user": complaint.investigator, "requested": True}
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_review_request_record(**base, reason="x", reviewer=ComplianceOfficerFactory())
    assert refused.value.field == "requested_on"
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_review_request_record(
            **base,
            requested_on=timezone.localdate() + timedelta(days=1),
            reason="x",
            reviewer=ComplianceOfficerFactory(),
        )
    assert refused.value.field == "requested_on"
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_review_request_record(**base, requested_on=timezone.localdate(), reason="x")
    assert refused.value.field == "reviewer"


def test_a_finding_needs_a_rationale():
    complaint = FindingMadeComplaintFactory()
    assert complaint.finding == Finding.PARTLY_UPHELD
    other = InvestigatingComplaintFactory()
    cs.complaint_investigation_complete(complaint=other, user=other.investigator, summary="x")
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_finding_record(
            complaint=other, user=other.investigator, finding=Finding.NOT_UPHELD, rationale=""
        )
    assert refused.value.field == "rationale"


# --- Reassigning ------------------------------------------------------------------------------


def test_reassigning_hands_over_the_open_step():
    complaint = InvestigatingComplaintFactory()
    previous = complaint.investigator
    cover = ComplianceOfficerFactory()
    cs.complaint_reassign(complaint=complaint, user=ComplianceOfficerFactory(), investigator=cover)
    complaint.refresh_from_db()
    assert complaint.investigator == cover
    assert complaint_open_tasks(complaint)["investigation"].owner == cover
    with pytest.raises(PermissionDenied):
        cs.complaint_investigation_complete(complaint=complaint, user=previous, summary="x")
    cs.complaint_investigation_complete(complaint=complaint, user=cover, summary="Done.")
    complaint.refresh_from_db()
    assert complaint_open_tasks(complaint)["finding"].owner == cover


def test_reassigning_needs_a_unit_officer():
    complaint = InvestigatingComplaintFactory()
    with pytest.raises(ApplicationError):
        cs.complaint_reassign(
            complaint=complaint,
            user=ComplianceOfficerFactory(),
            investigator=UserFactory(role=Role.NATIONAL),
        )
    with pytest.raises(PermissionDenied):
        cs.complaint_reassign(
            complaint=complaint,
            user=UserFactory(role=Role.NATIONAL),
            investigator=ComplianceOfficerFactory(),
        )


# --- Every problem at once --------------------------------------------------------------------


def test_triage_gives_every_problem_together(officer):
    complaint = ReceivedComplaintFactory()
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_triage(complaint=complaint, user=officer, in_scope=None, rationale=" ")
    assert refused.value.by_field() == {
        "in_scope": ["Select whether the complaint is in scope"],
        "rationale": ["Give the reason for your decision"],
    }
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_triage(
            complaint=complaint,
            user=officer,
            in_scope=True,
            rationale="",
            investigator=UserFactory(role=Role.REGIONAL_ADVISER),
        )
    assert refused.value.by_field() == {
        "rationale": ["Give the reason for your decision"],
        "investigator": ["The investigating officer must be in the Standards and Compliance Unit"],
    }
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_triage(complaint=complaint, user=officer, in_scope=False, rationale="")
    assert refused.value.by_field() == {
        "rationale": ["Give the reason for your decision"],
        "signposting": ["Say where the complainant can take their complaint"],
    }
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RECEIVED
    assert not complaint.letters.filter(kind=ComplaintLetter.Kind.SIGNPOSTING).exists()
    assert _steps(complaint) == ["triage"]


def test_a_permission_refusal_comes_first_and_alone():
    complaint = ReceivedComplaintFactory()
    with pytest.raises(PermissionDenied) as refused:
        cs.complaint_triage(
            complaint=complaint, user=UserFactory(role=Role.NATIONAL), in_scope=None, rationale=""
        )
    assert refused.value.errors == [(None, "You do not have permission to do that.")]
    investigating = InvestigatingComplaintFactory()
    with pytest.raises(PermissionDenied) as refused:
        cs.complaint_finding_record(
            complaint=investigating, user=ComplianceOfficerFactory(), finding="", rationale=""
        )
    assert refused.value.errors == [(None, "Only the investigating officer can do this.")]


def test_consent_and_raising_give_every_problem_together(officer):
    complaint = InvestigatingComplaintFactory(investigator=officer, consent_to_raise=True)
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_consent_record(complaint=complaint, user=officer, given=None, note="")
    assert refused.value.by_field() == {
        "given": ["Select whether the complainant consents"],
        "note": ["Say when and how the complainant told you"],
    }
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_raise_with_organisation(
            complaint=complaint, user=officer, organisation="", contact=" ", summary=""
        )
    assert refused.value.by_field() == {
        "organisation": ["Enter the organisation"],
        "contact": ["Enter who you raised it with, and how"],
        "summary": ["Enter what you raised with them"],
    }
    assert not OrganisationContact.objects.exists()
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_case_link(complaint=complaint, user=officer, referral_reference=" ")
    assert refused.value.by_field() == {"referral_reference": ["Enter the referral reference"]}
    complaint.refresh_from_db()
    assert complaint.linked_referral is None


def test_finding_gives_every_problem_together():
    complaint = InvestigatingComplaintFactory()
    officer = complaint.investigator
    cs.complaint_investigation_complete(complaint=complaint, user=officer, summary="Read it.")
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_finding_record(
            complaint=complaint, user=officer, finding="maybe", rationale="x" * 10_001
        )
    assert refused.value.by_field() == {
        "finding": ["Select upheld, partly upheld or not upheld"],
        "rationale": ["The rationale must be 10,000 characters or fewer"],
    }
    complaint.refresh_from_db()
    assert complaint.finding == "" and _steps(complaint) == ["finding"]


def test_review_request_gives_every_problem_together():
    complaint = RespondedComplaintFactory()
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_review_request_record(
            complaint=complaint,
            user=complaint.investigator,
            requested=True,
            requested_on=timezone.localdate() + timedelta(days=1),
            reason=" ",
            reviewer=complaint.investigator,
        )
    assert refused.value.by_field() == {
        "requested_on": ["The date of the request must be today or in the past"],
        "reason": ["Enter why the complainant wants a review"],
        "reviewer": ["The review must be done by a second officer, not the one who investigated"],
    }
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_review_request_record(
            complaint=complaint, user=complaint.investigator, requested=True
        )
    assert refused.value.by_field() == {
        "requested_on": ["Enter the date the complainant asked for a review"],
        "reason": ["Enter why the complainant wants a review"],
        "reviewer": ["Select the reviewing officer"],
    }
    assert not ComplaintReview.objects.exists()
    assert _steps(complaint) == ["review_request"]


def test_review_decision_gives_every_problem_together():
    complaint = RespondedComplaintFactory()
    reviewer = ComplianceOfficerFactory()
    _request_review(complaint, reviewer)
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_review_decide(
            complaint=complaint,
            user=reviewer,
            outcome=ComplaintReview.Outcome.CHANGED,
            new_finding=Finding.PARTLY_UPHELD,
            rationale="",
            letter=" ",
        )
    assert refused.value.by_field() == {
        "new_finding": ["The new finding is the same as the original one"],
        "rationale": ["Give the rationale for the review's decision"],
        "letter": ["Enter the review response letter"],
    }
    complaint.refresh_from_db()
    assert complaint.review.outcome == "" and _steps(complaint) == ["review"]


def test_response_and_investigation_use_the_forms_length_limit():
    too_long = "x" * (LONG_TEXT_MAX + 1)
    complaint = InvestigatingComplaintFactory()
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_investigation_complete(
            complaint=complaint, user=complaint.investigator, summary=too_long
        )
    assert refused.value.by_field() == {
        "summary": ["The summary must be 10,000 characters or fewer"]
    }
    found = FindingMadeComplaintFactory()
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_response_send(complaint=found, user=found.investigator, letter=too_long)
    assert refused.value.by_field() == {"letter": ["The letter must be 10,000 characters or fewer"]}
    assert not found.letters.filter(kind=ComplaintLetter.Kind.RESPONSE).exists()


def test_reassigning_needs_an_officer_chosen():
    complaint = InvestigatingComplaintFactory()
    previous = complaint.investigator
    with pytest.raises(ApplicationError) as refused:
        cs.complaint_reassign(
            complaint=complaint, user=ComplianceOfficerFactory(), investigator=None
        )
    assert refused.value.by_field() == {"investigator": ["Select the investigating officer"]}
    complaint.refresh_from_db()
    assert complaint.investigator == previous
