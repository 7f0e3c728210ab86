"""Complaints in each meaningful state, made through the real services so each has its process
and tasks exactly as the service leaves them. People here are fictional.
"""

import factory

from accounts.roles import Role
from bench.auditgen import audit_events_bulk  # noqa: F401 - the tests' one generator
from compliance.models import BreakGlassGrant, Complaint, ComplaintCategory, Finding
from compliance.services import break_glass_decide, break_glass_request, unit_head_appoint
from regions.selectors import route_local_authority
from tests.factories import SubmittedReferralFactory, UserFactory, _add_role
from workflows.complaint import services as cs
from workflows.complaint.intake import complaint_submit
from workflows.referral.intake import referral_process_start


class ComplianceOfficerFactory(UserFactory):
    email = factory.Sequence(lambda n: f"officer{n}@compliance.example.gov.uk")
    organisation = "Standards and Compliance Unit"
    job_title = "Complaints investigator"
    role = factory.PostGeneration(
        lambda user, create, extracted, **kw: _add_role(user, create, extracted or Role.COMPLIANCE)
    )


class ReceivedComplaintFactory(factory.Factory):
    """A complaint from a member of the public, just received: triage is open."""

    class Meta:
        model = Complaint

    category = ComplaintCategory.REFERRAL_OR_DECISION
    what_happened = "My son's school referred him without speaking to us first."
    outcome_sought = "An explanation and an apology."
    name = "Robin Example"
    email = factory.Sequence(lambda n: f"complainant{n}@example.com")
    phone = ""
    address = ""
    referral_reference = ""
    organisation = "Example Academy"
    consent_to_raise = True
    submitted_by = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return complaint_submit(**kwargs)


class InvestigatingComplaintFactory(ReceivedComplaintFactory):
    """Triaged in scope: the investigation is open, assigned to `investigator`."""

    investigator = factory.SubFactory(ComplianceOfficerFactory)

    @classmethod
    def _create(cls, model_class, *args, investigator, **kwargs):
        complaint = complaint_submit(**kwargs)
        cs.complaint_triage(
            complaint=complaint,
            user=investigator,
            in_scope=True,
            rationale="About how a referral was made: within the unit's remit.",
        )
        complaint.refresh_from_db()
        return complaint


class FindingMadeComplaintFactory(InvestigatingComplaintFactory):
    """Investigated and found partly upheld: the response letter is due."""

    @classmethod
    def _create(cls, model_class, *args, investigator, **kwargs):
        complaint = super()._create(model_class, *args, investigator=investigator, **kwargs)
        cs.complaint_investigation_complete(
            complaint=complaint, user=investigator, summary="Spoke to the school and read its log."
        )
        cs.complaint_finding_record(
            complaint=complaint,
            user=investigator,
            finding=Finding.PARTLY_UPHELD,
            rationale="The referral was justified but the family should have been told.",
        )
        complaint.refresh_from_db()
        return complaint


class RespondedComplaintFactory(FindingMadeComplaintFactory):
    """The response has been sent: waiting to hear whether a review is wanted."""

    @classmethod
    def _create(cls, model_class, *args, investigator, **kwargs):
        complaint = super()._create(model_class, *args, investigator=investigator, **kwargs)
        cs.complaint_response_send(
            complaint=complaint, user=investigator, letter=cs.response_letter_draft(complaint)
        )
        complaint.refresh_from_db()
        return complaint


# --- Cases and the people on them -------------------------------------------------------------


def started_case(**kwargs):
    """A submitted referral started through the referral flow, so its teams can see it."""

    referral = SubmittedReferralFactory(**kwargs)
    referral_process_start(referral=referral, actor=referral.created_by)
    referral.refresh_from_db()
    return referral


def case_team_member(referral, role=Role.LA_PREVENT_LEAD, **kwargs):
    """Someone in the case's local-authority (or police) team, who sees it through the team."""
    route = route_local_authority(referral.local_authority)
    team = route.ctp_team if role == Role.CTP_PREVENT_OFFICER else route.la_team
    return UserFactory(role=role, teams=[team], **kwargs)


def unit_head(**kwargs):
    """An officer of the unit who is also its head (accounts.roles.UNIT_HEAD_GROUP)."""
    head = ComplianceOfficerFactory(**kwargs)
    unit_head_appoint(user=head)
    return type(head).objects.get(pk=head.pk)


BREAK_GLASS_REASON = "To check when the family were first contacted, for complaint investigation."


def break_glass_requested(user, referral, *, reason=BREAK_GLASS_REASON, minutes=None):
    """The investigator's request for sight of the case, awaiting a second officer."""
    return break_glass_request(user=user, referral=referral, reason=reason, minutes=minutes)


def break_glass_granted(
    user, referral, *, reason=BREAK_GLASS_REASON, minutes=None, approver=None
) -> BreakGlassGrant:
    """A break-glass grant as the two-person rule leaves it: asked for by `user`, approved by a
    second officer of the unit (`approver`, or a new one)."""
    grant = break_glass_requested(user, referral, reason=reason, minutes=minutes)
    return break_glass_decide(
        grant=grant,
        user=approver or ComplianceOfficerFactory(full_name="Sam Second"),
        approve=True,
        reason="The reason given is sound and the case is linked to the complaint.",
    )


def linked_investigation(referral, investigator=None) -> Complaint:
    """A complaint under investigation by `investigator`, linked to the case."""
    investigator = investigator or ComplianceOfficerFactory()
    complaint = InvestigatingComplaintFactory(
        investigator=investigator, referral_reference=referral.reference
    )
    cs.complaint_case_link(
        complaint=complaint, user=investigator, referral_reference=referral.reference
    )
    complaint.refresh_from_db()
    return complaint


# --- Audit events in bulk ---------------------------------------------------------------------

# audit_events_bulk (imported above) is shared with the verification benchmark.


def document_for(referral, name: str = "notes.pdf"):
    """A stored PDF attached to a submitted case, as the referrer's upload leaves it."""
    import hashlib

    from django.core.files.base import ContentFile

    from referrals.models import Attachment
    from tests.referrals import files

    content = files.pdf()
    return Attachment.objects.create(
        referral=referral,
        file=ContentFile(content, name=name),
        original_name=name,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=referral.created_by,
    )
