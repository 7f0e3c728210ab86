"""Rules of the complaint process. The unit's pages, the API and Celery tasks all call these.

Viewflow transitions called from code do not check permissions, so every service checks the
acting officer itself, first and alone (through the predicates in permissions.py). It then
checks every answer and raises all its problems together (`Problems`), so the page and the API
show them at once, before it writes anything. It completes its step under the process lock and
records its audit event in the same transaction. Letters to the complainant go through the
outbox: they are sent only once the change that causes them is committed.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from compliance.audit import audit_record
from compliance.models import (
    CaseLinkRequest,
    Complaint,
    ComplaintCategory,
    ComplaintLetter,
    ComplaintReferenceCounter,
    ComplaintReview,
    ComplaintStatus,
    Decision,
    Finding,
    OrganisationContact,
)
from compliance.selectors import compliance_officers
from compliance.services import (
    UNIT_NAME,
    break_glass_revoke_for_case,
    break_glass_revoke_for_complaint,
    decision_check,
    second_officer_check,
)
from config.errors import ApplicationError, PermissionDenied, Problems
from config.forms import LONG_TEXT_MAX
from config.references import yearly_reference
from notifications.services import notification_queue
from referrals.models import Referral, ReferralStatus

from ..engine.deadlines import deadline_for
from ..engine.registry import UNIT
from ..engine.services import task_completion
from .permissions import is_investigating_officer, is_unit_officer
from .selectors import complaint_open_task, complaint_open_tasks

UNIT_ROLE = UNIT


def _require_officer(user) -> None:
    if not is_unit_officer(user):
        raise PermissionDenied()


def _require_investigator(user, complaint: Complaint) -> None:
    _require_officer(user)
    if not is_investigating_officer(user, complaint):
        raise PermissionDenied("Only the investigating officer can do this.")


def _audit(action: str, *, complaint: Complaint, user=None, reason: str = "", **detail):
    return audit_record(
        actor=user,
        action=action,
        obj=complaint,
        case_reference=complaint.reference,
        reason=reason,
        role=UNIT_ROLE if user is not None else "",
        team=UNIT_NAME,
        detail={"complaint": complaint.reference, **detail},
    )


def _unit_recipients(complaint: Complaint | None = None) -> list[str]:
    recipients = [settings.COMPLAINTS_UNIT_EMAIL]
    recipients += list(compliance_officers().values_list("email", flat=True))
    if complaint is not None and complaint.investigator_id:
        recipients.append(complaint.investigator.email)
    return recipients


# --- Letters ----------------------------------------------------------------------------------


def _letter_send(
    complaint: Complaint, *, kind: str, subject: str, body: str, user=None
) -> ComplaintLetter:
    """Record the letter; email it through the outbox, or leave it to be posted."""
    email = complaint.complainant_email
    letter = ComplaintLetter.objects.create(
        complaint=complaint,
        kind=kind,
        method=ComplaintLetter.Method.EMAIL if email else ComplaintLetter.Method.POST,
        sent_to=email or complaint.complainant_address,
        subject=subject,
        body=body,
        sent_by=user,
    )
    if email:
        notification_queue(
            kind=f"complaint_{kind}",
            dedupe_key=f"complaint-letter:{letter.pk}",
            to=[email],
            subject=subject,
            body=body,
            case_reference=complaint.reference,
        )
    return letter


def _signature() -> str:
    return (
        f"\n\n{UNIT_NAME}\nHome Office Prevent\n\n"
        "Quote your reference in any reply. Do not reply to this email with sensitive details."
    )


def _receipt_body(complaint: Complaint) -> str:
    # Email is not a secure channel: the receipt names the reference, not what happened.
    return (
        f"Dear {complaint.complainant_name},\n\n"
        f"We have received your complaint. Your reference is {complaint.reference}.\n\n"
        f"We will tell you by {complaint.acknowledge_by:%-d %B %Y} whether we can investigate "
        f"it, and aim to give you our full response by {complaint.respond_by:%-d %B %Y}."
        + _signature()
    )


# --- Intake -------------------------------------------------------------------------------------


def _next_reference(year: int) -> str:
    """CMP-YYYY-NNNNNN: unique, may have gaps, drawn without a lock held to commit."""
    return yearly_reference(
        prefix="CMP", year=year, counter_model=ComplaintReferenceCounter, model=Complaint
    )


def complaint_record(
    *,
    category: str,
    what_happened: str,
    outcome_sought: str,
    name: str,
    email: str = "",
    phone: str = "",
    address: str = "",
    referral_reference: str = "",
    organisation: str = "",
    consent_to_raise: bool | None,
    submitted_by=None,
) -> Complaint:
    """Take a complaint from anyone: a reference and a receipt (intake.py starts its flow).

    `submitted_by` is the signed-in practitioner, or None for a member of the public.
    """
    problems = Problems()
    problems.check(
        category in ComplaintCategory.values, "category", "Select what your complaint is about"
    )
    what_happened = problems.required(what_happened, "what_happened", "Enter what happened")
    problems.limit(what_happened, "what_happened", "What happened", LONG_TEXT_MAX)
    outcome_sought = problems.required(
        outcome_sought, "outcome_sought", "Enter what you would like to happen"
    )
    problems.limit(outcome_sought, "outcome_sought", "What you would like to happen", LONG_TEXT_MAX)
    name = problems.required(name, "name", "Enter your full name")
    email, phone, address = (email or "").strip(), (phone or "").strip(), (address or "").strip()
    problems.check(
        bool(email or address),
        "email",
        "Enter an email address or a postal address so that we can reply",
    )
    problems.check(
        consent_to_raise is not None,
        "consent_to_raise",
        "Select whether we may raise your complaint with the organisation concerned",
    )
    problems.raise_any()
    source = Complaint.Source.PRACTITIONER if submitted_by is not None else Complaint.Source.PUBLIC
    now = timezone.now()
    today = timezone.localdate(now)
    complaint = Complaint.objects.create(
        reference=_next_reference(today.year),
        source=source,
        category=category,
        referral_reference=(referral_reference or "").strip().upper()[:40],
        organisation=(organisation or "").strip()[:200],
        what_happened=what_happened,
        outcome_sought=outcome_sought,
        complainant_name=name[:200],
        complainant_email=email.lower(),
        complainant_phone=phone[:40],
        complainant_address=address,
        submitted_by=submitted_by,
        consent_to_raise=consent_to_raise,
        consent_recorded_at=now,
        consent_note="Given on the complaint form" if consent_to_raise else "",
        received_at=now,
        acknowledge_by=deadline_for("complaint_acknowledge", today),
        respond_by=deadline_for("complaint_respond", today),
    )
    _letter_send(
        complaint,
        kind=ComplaintLetter.Kind.RECEIPT,
        subject=f"We have received your complaint: {complaint.reference}",
        body=_receipt_body(complaint),
    )
    _audit(
        "complaint.received",
        complaint=complaint,
        user=submitted_by,
        source=source,
        category=category,
        acknowledge_by=complaint.acknowledge_by,
        respond_by=complaint.respond_by,
    )
    return complaint


# --- Completing a step ------------------------------------------------------------------------


@contextmanager
def _step(complaint: Complaint, step: str, user) -> Iterator[None]:
    """Complete the complaint's open `step` as `user` around the caller's checks and writes,
    through the engine's one completion (process lock first, then the records)."""
    task = complaint_open_task(complaint, step)
    if task is None:
        raise ApplicationError("This step is not open on this complaint.")
    with task_completion(task, user):
        complaint.refresh_from_db()
        yield


# --- Triage -----------------------------------------------------------------------------------


@transaction.atomic
def complaint_triage(
    *,
    complaint: Complaint,
    user,
    in_scope: bool | None,
    rationale: str,
    signposting: str = "",
    investigator=None,
) -> Complaint:
    """In scope: an investigating officer takes it. Out of scope: signpost and close."""
    _require_officer(user)
    problems = Problems()
    problems.check(in_scope is not None, "in_scope", "Select whether the complaint is in scope")
    rationale = problems.required(rationale, "rationale", "Give the reason for your decision")
    if in_scope:
        investigator = investigator or user
        problems.check(
            is_unit_officer(investigator),
            "investigator",
            "The investigating officer must be in the Standards and Compliance Unit",
        )
    elif in_scope is False:
        signposting = problems.required(
            signposting, "signposting", "Say where the complainant can take their complaint"
        )
    problems.raise_any()
    with _step(complaint, "triage", user):
        now = timezone.now()
        complaint.in_scope = in_scope
        complaint.triage_rationale = rationale
        complaint.triaged_by = user
        complaint.acknowledged_at = now
        complaint.acknowledge_overdue = False
        if in_scope:
            complaint.investigator = investigator
            complaint.status = ComplaintStatus.INVESTIGATING
            body = (
                f"Dear {complaint.complainant_name},\n\nWe are investigating your complaint "
                f"{complaint.reference}. {investigator.get_full_name()} is the investigating "
                f"officer. We aim to send you our response by {complaint.respond_by:%-d %B %Y}."
            )
            kind, subject = ComplaintLetter.Kind.TRIAGE, "We are investigating your complaint"
        else:
            complaint.signposting = signposting.strip()
            body = (
                f"Dear {complaint.complainant_name},\n\nYour complaint {complaint.reference} is "
                f"not one the {UNIT_NAME} can investigate.\n\n{rationale}\n\n"
                f"Where you can take it instead:\n{complaint.signposting}"
            )
            kind = ComplaintLetter.Kind.SIGNPOSTING
            subject = "Your complaint: where to take it"
        complaint.save()
        _letter_send(
            complaint,
            kind=kind,
            subject=f"{subject}: {complaint.reference}",
            body=body + _signature(),
            user=user,
        )
        _audit(
            "complaint.triaged",
            complaint=complaint,
            user=user,
            reason=rationale,
            in_scope=in_scope,
            investigator=investigator.email if in_scope else None,
        )
    return complaint


# --- Investigation ----------------------------------------------------------------------------


def _require_investigating(complaint: Complaint) -> None:
    if complaint.status != ComplaintStatus.INVESTIGATING:
        raise ApplicationError("This can only be done while the complaint is being investigated.")


def _case_named(complaint: Complaint, referral: Referral) -> bool:
    """The case is the one the complainant named (or the one already linked, which was)."""
    named = (complaint.referral_reference or "").strip().upper()
    return bool(named and named == referral.reference) or (
        complaint.linked_referral_id == referral.pk
    )


def _case_link_make(complaint: Complaint, referral: Referral, *, user, approval=None) -> None:
    """Link the case; access on the complaint's account to a case it leaves ends."""
    previous = complaint.linked_referral
    complaint.linked_referral = referral
    complaint.save(update_fields=["linked_referral"])
    if previous is not None and previous.pk != referral.pk:
        break_glass_revoke_for_case(
            complaint=complaint,
            referral=previous,
            because="complaint linked to another case",
            actor=user,
        )
    detail = {
        "complaint": complaint.reference,
        "previous": previous and previous.reference,
        "named": complaint.referral_reference or None,
    }
    if approval is not None:
        detail.update(
            request=str(approval.public_id),
            requested_by=approval.requested_by.email,
            approved_by=approval.decided_by.email,
        )
    audit_record(
        actor=user,
        action="complaint.case_linked",
        obj=complaint,
        case_reference=referral.reference,
        role=UNIT_ROLE,
        team=UNIT_NAME,
        detail=detail,
    )


def _case_link_audit(action: str, link: CaseLinkRequest, *, user, reason: str = "", **more):
    return audit_record(
        actor=user,
        action=action,
        obj=link.complaint,
        case_reference=link.complaint.reference,
        reason=reason,
        role=UNIT_ROLE if user is not None else "",
        team=UNIT_NAME,
        detail={
            "complaint": link.complaint.reference,
            "case": link.referral.reference,
            "named": link.named_reference or None,
            "request": str(link.public_id),
            "requester": link.requested_by.email,
            **more,
        },
    )


def _case_link_requests_withdraw(complaint: Complaint, *, user, because: str) -> None:
    for link in complaint.case_link_requests.filter(status=Decision.REQUESTED).select_related(
        "referral", "requested_by", "complaint"
    ):
        link.status, link.decided_at, link.decision_reason = (
            Decision.WITHDRAWN,
            timezone.now(),
            because,
        )
        link.save(update_fields=["status", "decided_at", "decision_reason"])
        _case_link_audit("case_link.withdrawn", link, user=user, because=because)


@dataclass
class CaseLinkResult:
    """What linking did: linked the case at once, or asked a second officer to approve."""

    referral: Referral
    linked: bool
    request: CaseLinkRequest | None = None

    @property
    def message(self) -> str:
        if self.linked:
            return f"Case {self.referral.reference} linked"
        return (
            f"Link to case {self.referral.reference} requested: another officer of the unit "
            "must approve it, as it is not the case the complainant named"
        )


@transaction.atomic
def complaint_case_link(
    *, complaint: Complaint, user, referral_reference: str, reason: str = ""
) -> CaseLinkResult:
    """Link the complaint to the referral it is about. Reveals nothing of the case's content.

    The case the complainant named is linked at once. Any other case needs a reason and a
    second officer's approval (`complaint_case_link_decide`): linking is what lets the
    investigator ask for break-glass sight of a case, so it is not one officer's say-so.
    """
    _require_investigator(user, complaint)
    _require_investigating(complaint)
    problems = Problems()
    reference = problems.required(
        referral_reference, "referral_reference", "Enter the referral reference"
    )
    reference = (reference or "").upper()
    referral = None
    if reference:
        referral = (
            Referral.objects.exclude(status=ReferralStatus.DRAFT)
            .filter(reference=reference)
            .first()
        )
        problems.check(
            referral is not None,
            "referral_reference",
            f"No submitted referral has the reference {reference}",
        )
    named = referral is not None and _case_named(complaint, referral)
    if referral is not None and not named:
        reason = problems.required(
            reason,
            "reason",
            "Say why the complaint is about this case and not the one the complainant named",
        )
        problems.limit(reason, "reason", "The reason", LONG_TEXT_MAX)
    problems.raise_any()
    _case_link_requests_withdraw(complaint, user=user, because="replaced by a new link")
    if named:
        _case_link_make(complaint, referral, user=user)
        return CaseLinkResult(referral=referral, linked=True)
    link = CaseLinkRequest.objects.create(
        complaint=complaint,
        referral=referral,
        named_reference=complaint.referral_reference,
        reason=reason,
        requested_by=user,
        requested_at=timezone.now(),
    )
    _case_link_audit("case_link.requested", link, user=user, reason=reason)
    return CaseLinkResult(referral=referral, linked=False, request=link)


def complaint_case_link_decide(
    *, link: CaseLinkRequest, user, approve: bool | None, reason: str
) -> CaseLinkRequest:
    """A second officer of the unit approves (the case is linked now) or refuses a request to
    link a complaint to a case other than the one its complainant named. Never the requester."""
    second_officer_check(
        requester=link.requested_by,
        user=user,
        action="case_link.self_approval_refused",
        obj=link.complaint,
        case_reference=link.complaint.reference,
        detail={
            "complaint": link.complaint.reference,
            "case": link.referral.reference,
            "request": str(link.public_id),
        },
    )
    reason = decision_check(approve, reason)
    with transaction.atomic():
        link = (
            CaseLinkRequest.objects.select_for_update()
            .select_related("complaint", "referral", "requested_by")
            .get(pk=link.pk)
        )
        if link.status != Decision.REQUESTED:
            raise ApplicationError(
                f"This request has already been decided: {link.get_status_display().lower()}."
            )
        complaint = Complaint.objects.select_for_update().get(pk=link.complaint_id)
        if approve and complaint.status != ComplaintStatus.INVESTIGATING:
            raise ApplicationError(
                "The complaint is no longer being investigated, so no case can be linked to it.",
                field="approve",
            )
        link.status = Decision.APPROVED if approve else Decision.REFUSED
        link.decided_by, link.decided_at, link.decision_reason = user, timezone.now(), reason
        link.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        if approve:
            _case_link_audit("case_link.approved", link, user=user, reason=reason)
            _case_link_make(complaint, link.referral, user=user, approval=link)
        else:
            _case_link_audit("case_link.refused", link, user=user, reason=reason)
    return link


@transaction.atomic
def complaint_consent_record(
    *, complaint: Complaint, user, given: bool | None, note: str
) -> Complaint:
    """The complainant gave, or withdrew, consent to raise the complaint with the organisation."""
    _require_investigator(user, complaint)
    if not complaint.is_open:
        raise ApplicationError("This complaint is closed.")
    problems = Problems()
    problems.check(given is not None, "given", "Select whether the complainant consents")
    note = problems.required(note, "note", "Say when and how the complainant told you")
    problems.raise_any()
    complaint.consent_to_raise = given
    complaint.consent_recorded_at = timezone.now()
    complaint.consent_note = note[:300]
    complaint.save(update_fields=["consent_to_raise", "consent_recorded_at", "consent_note"])
    _audit("complaint.consent_recorded", complaint=complaint, user=user, given=given, note=note)
    return complaint


@transaction.atomic
def complaint_raise_with_organisation(
    *, complaint: Complaint, user, organisation: str, contact: str, summary: str
) -> OrganisationContact:
    """Raise the complaint with the organisation concerned: never without recorded consent."""
    _require_investigator(user, complaint)
    _require_investigating(complaint)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if not complaint.consent_to_raise:
        raise ApplicationError(
            "The complainant has not consented to the complaint being raised with the "
            "organisation concerned. Record their consent first."
        )
    problems = Problems()
    organisation = problems.required(organisation, "organisation", "Enter the organisation")
    contact = problems.required(contact, "contact", "Enter who you raised it with, and how")
    summary = problems.required(summary, "summary", "Enter what you raised with them")
    problems.raise_any()
    raised = OrganisationContact.objects.create(
        complaint=complaint,
        organisation=organisation[:200],
        contact=contact[:300],
        summary=summary,
        raised_by=user,
    )
    _audit(
        "complaint.raised_with_organisation",
        complaint=complaint,
        user=user,
        organisation=raised.organisation,
        consent_note=complaint.consent_note,
    )
    return raised


@transaction.atomic
def complaint_investigation_complete(*, complaint: Complaint, user, summary: str) -> Complaint:
    _require_investigator(user, complaint)
    problems = Problems()
    summary = problems.required(summary, "summary", "Summarise what the investigation found")
    problems.limit(summary, "summary", "The summary", LONG_TEXT_MAX)
    problems.raise_any()
    with _step(complaint, "investigation", user):
        complaint.investigation_summary = summary
        complaint.status = ComplaintStatus.AWAITING_FINDING
        complaint.save(update_fields=["investigation_summary", "status"])
        _case_link_requests_withdraw(complaint, user=user, because="investigation completed")
        _audit(
            "complaint.investigated",
            complaint=complaint,
            user=user,
            linked_case=complaint.linked_referral.reference if complaint.linked_referral else None,
        )
    return complaint


# --- Finding and response ---------------------------------------------------------------------


@transaction.atomic
def complaint_finding_record(
    *, complaint: Complaint, user, finding: str, rationale: str
) -> Complaint:
    _require_investigator(user, complaint)
    problems = Problems()
    problems.check(
        finding in Finding.values, "finding", "Select upheld, partly upheld or not upheld"
    )
    rationale = problems.required(rationale, "rationale", "Give the rationale for the finding")
    problems.limit(rationale, "rationale", "The rationale", LONG_TEXT_MAX)
    problems.raise_any()
    with _step(complaint, "finding", user):
        complaint.finding = finding
        complaint.finding_rationale = rationale
        complaint.finding_by = user
        complaint.finding_at = timezone.now()
        complaint.status = ComplaintStatus.FINDING_MADE
        complaint.save(
            update_fields=["finding", "finding_rationale", "finding_by", "finding_at", "status"]
        )
        _audit(
            "complaint.finding", complaint=complaint, user=user, reason=rationale, finding=finding
        )
    return complaint


def response_letter_draft(complaint: Complaint) -> str:
    """A starting point for the response letter, which the officer edits before sending."""
    return (
        f"Dear {complaint.complainant_name},\n\n"
        f"Thank you for your complaint, reference {complaint.reference}, which we have now "
        "investigated.\n\n"
        f"Our finding: your complaint is {complaint.get_finding_display().lower()}.\n\n"
        f"{complaint.finding_rationale}\n\n"
        "If you are not satisfied with this response you can ask for a review by a second "
        "officer who was not involved in the investigation. Reply quoting your reference "
        "and say why."
    )


@transaction.atomic
def complaint_response_send(*, complaint: Complaint, user, letter: str) -> ComplaintLetter:
    _require_investigator(user, complaint)
    problems = Problems()
    letter = problems.required(letter, "letter", "Enter the response letter")
    problems.limit(letter, "letter", "The letter", LONG_TEXT_MAX)
    problems.raise_any()
    with _step(complaint, "response_letter", user):
        now = timezone.now()
        complaint.responded_at = now
        complaint.status = ComplaintStatus.RESPONDED
        complaint.save(update_fields=["responded_at", "status"])
        sent = _letter_send(
            complaint,
            kind=ComplaintLetter.Kind.RESPONSE,
            subject=f"Our response to your complaint: {complaint.reference}",
            body=letter + _signature(),
            user=user,
        )
        _audit(
            "complaint.responded",
            complaint=complaint,
            user=user,
            finding=complaint.finding,
            on_time=bool(complaint.respond_by and timezone.localdate(now) <= complaint.respond_by),
            method=sent.method,
        )
    return sent


# --- Review by a second officer ---------------------------------------------------------------


@transaction.atomic
def complaint_review_request_record(
    *,
    complaint: Complaint,
    user,
    requested: bool | None,
    requested_on: date | None = None,
    reason: str = "",
    reviewer=None,
) -> Complaint:
    """Record the complainant's request for a review and who reviews it, or close."""
    _require_officer(user)
    problems = Problems()
    problems.check(
        requested is not None, "requested", "Select whether the complainant asked for a review"
    )
    if requested:
        if requested_on is None:
            problems.add("requested_on", "Enter the date the complainant asked for a review")
        elif requested_on > timezone.localdate():
            problems.add("requested_on", "The date of the request must be today or in the past")
        reason = problems.required(reason, "reason", "Enter why the complainant wants a review")
        if reviewer is None:
            problems.add("reviewer", "Select the reviewing officer")
        elif not is_unit_officer(reviewer):
            problems.add(
                "reviewer", "The reviewing officer must be in the Standards and Compliance Unit"
            )
        elif reviewer.pk in (complaint.investigator_id, complaint.finding_by_id):
            problems.add(
                "reviewer",
                "The review must be done by a second officer, not the one who investigated",
            )
    problems.raise_any()
    with _step(complaint, "review_request", user):
        if requested:
            ComplaintReview.objects.create(
                complaint=complaint,
                requested_on=requested_on,
                request_reason=reason,
                recorded_by=user,
                original_finding=complaint.finding,
                reviewer=reviewer,
            )
            complaint.status = ComplaintStatus.UNDER_REVIEW
            complaint.save(update_fields=["status"])
            _audit(
                "complaint.review_requested",
                complaint=complaint,
                user=user,
                reason=reason,
                reviewer=reviewer.email,
            )
        else:
            _audit("complaint.no_review_requested", complaint=complaint, user=user)
    return complaint


@transaction.atomic
def complaint_review_decide(
    *,
    complaint: Complaint,
    user,
    outcome: str,
    new_finding: str = "",
    rationale: str,
    letter: str,
) -> ComplaintReview:
    _require_officer(user)
    review = ComplaintReview.objects.filter(complaint=complaint).first()
    if review is None:
        raise ApplicationError("No review has been requested on this complaint.")
    if user.pk in (complaint.investigator_id, complaint.finding_by_id):
        raise PermissionDenied(
            "The review must be done by a second officer, not the one who investigated."
        )
    problems = Problems()
    problems.check(
        outcome in ComplaintReview.Outcome.values, "outcome", "Select whether the finding stands"
    )
    if outcome == ComplaintReview.Outcome.CHANGED:
        if new_finding not in Finding.values:
            problems.add("new_finding", "Select the new finding")
        elif new_finding == review.original_finding:
            problems.add("new_finding", "The new finding is the same as the original one")
    else:
        new_finding = ""
    rationale = problems.required(
        rationale, "rationale", "Give the rationale for the review's decision"
    )
    letter = problems.required(letter, "letter", "Enter the review response letter")
    problems.raise_any()
    with _step(complaint, "review", user):
        review.outcome = outcome
        review.new_finding = new_finding
        review.rationale = rationale
        review.reviewer = user
        review.reviewed_at = timezone.now()
        review.save()
        if new_finding:
            complaint.finding = new_finding
            complaint.save(update_fields=["finding"])
        _letter_send(
            complaint,
            kind=ComplaintLetter.Kind.REVIEW,
            subject=f"The review of your complaint: {complaint.reference}",
            body=letter + _signature(),
            user=user,
        )
        _audit(
            "complaint.reviewed",
            complaint=complaint,
            user=user,
            reason=rationale,
            outcome=outcome,
            original_finding=review.original_finding,
            finding=complaint.finding,
        )
    return review


# --- Closing, reassigning, deadlines ----------------------------------------------------------


def complaint_close(*, complaint: Complaint) -> Complaint:
    """The flow's last step: closed, and any break-glass access on its account ended."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    complaint.status = ComplaintStatus.CLOSED
    complaint.closed_at = timezone.now()
    complaint.save(update_fields=["status", "closed_at"])
    break_glass_revoke_for_complaint(complaint=complaint)
    _case_link_requests_withdraw(complaint, user=None, because="complaint closed")
    _audit(
        "complaint.closed",
        complaint=complaint,
        outcome=complaint.finding or ("out_of_scope" if complaint.in_scope is False else ""),
    )
    return complaint


@transaction.atomic
def complaint_reassign(*, complaint: Complaint, user, investigator) -> Complaint:
    """Hand an open complaint to another officer of the unit, e.g. to cover an absence."""
    _require_officer(user)
    if not complaint.is_open or complaint.investigator_id is None:
        raise ApplicationError("Only a complaint being worked on can be reassigned.")
    problems = Problems()
    review = ComplaintReview.objects.filter(complaint=complaint).first()
    if investigator is None:
        problems.add("investigator", "Select the investigating officer")
    elif not is_unit_officer(investigator):
        problems.add(
            "investigator", "The investigating officer must be in the Standards and Compliance Unit"
        )
    elif review is not None and review.reviewer_id == investigator.pk:
        problems.add(
            "investigator", "The reviewing officer cannot also be the investigating officer"
        )
    problems.raise_any()
    previous = complaint.investigator
    for task in complaint_open_tasks(complaint).values():
        if task.owner_id != previous.pk:
            continue
        with task.activation() as activation:
            activation.reassign(investigator)
    complaint.investigator = investigator
    complaint.save(update_fields=["investigator"])
    _audit(
        "complaint.reassigned",
        complaint=complaint,
        user=user,
        investigator=investigator.email,
        previous=previous.email,
    )
    return complaint


def complaints_mark_overdue() -> int:
    """Mark complaints past their acknowledgement or response date and tell the unit.

    Idempotent: each deadline is marked, and its reminder sent, once.
    """
    today = timezone.localdate()
    stages = [
        (
            "acknowledge",
            "acknowledge_overdue",
            "acknowledge_by",
            Complaint.objects.filter(
                status=ComplaintStatus.RECEIVED,
                acknowledge_overdue=False,
                acknowledge_by__lt=today,
            ),
        ),
        (
            "respond",
            "respond_overdue",
            "respond_by",
            Complaint.objects.filter(
                responded_at__isnull=True,
                respond_overdue=False,
                respond_by__lt=today,
            ).exclude(status=ComplaintStatus.CLOSED),
        ),
    ]
    marked = 0
    for stage, flag, due_field, candidates in stages:
        for complaint in candidates.select_related("investigator"):
            with transaction.atomic():
                updated = Complaint.objects.filter(pk=complaint.pk, **{flag: False}).update(
                    **{flag: True}
                )
                if not updated:
                    continue  # another run got there first
                due_on = getattr(complaint, due_field)
                what = "acknowledged and triaged" if stage == "acknowledge" else "answered"
                notification_queue(
                    kind="complaint_overdue",
                    dedupe_key=f"complaint-overdue:{complaint.pk}:{stage}:{due_on}",
                    to=_unit_recipients(complaint),
                    subject=f"Overdue complaint {complaint.reference}",
                    body=(
                        f"Complaint {complaint.reference} should have been {what} by "
                        f"{due_on:%-d %B %Y}.\n\nSign in to the Prevent referrals service to "
                        "see it."
                    ),
                    case_reference=complaint.reference,
                )
                _audit("complaint.overdue", complaint=complaint, stage=stage, due_on=due_on)
                marked += 1
    return marked
