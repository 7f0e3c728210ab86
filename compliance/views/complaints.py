"""The unit's complaint pages: the list, one complaint, each step of the process, and opening a
linked case through break-glass access.

Views are thin: a step's page is offered only when the step is open to the officer, and the
service decides and records everything. A refusal is shown in the GOV.UK error summary and
nothing is saved; success redirects (POST-redirect-GET).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.errors import ApplicationError
from referrals.models import Referral

from .. import complaint_services as cs
from .. import selectors
from ..forms import (
    BreakGlassForm,
    CaseLinkForm,
    ConsentForm,
    FindingForm,
    InvestigationForm,
    RaiseForm,
    ReassignForm,
    ResponseForm,
    ReviewForm,
    ReviewRequestForm,
    TriageForm,
)
from ..models import AuditEvent, BreakGlassGrant, Complaint, ComplaintStatus
from ..services import break_glass_end, break_glass_open
from .common import posted, refused, unit_required

GET_POST = require_http_methods(["GET", "POST"])
STATUS_FILTERS = [("open", "Open"), ("closed", "Closed"), ("all", "All")]


# --- The list -------------------------------------------------------------------------------


@unit_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    if status not in dict(STATUS_FILTERS):
        status = "open"
    complaints = selectors.complaints_for_unit(
        status={"all": "", "closed": ComplaintStatus.CLOSED}.get(status, status)
    )
    page = Paginator(complaints, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "compliance/home.html",
        {
            "page": page,
            "status": status,
            "status_filters": STATUS_FILTERS,
            "today": timezone.localdate(),
        },
    )


# --- One complaint --------------------------------------------------------------------------


def _complaint_or_404(reference: str) -> Complaint:
    complaint = selectors.complaint_by_reference(reference)
    if complaint is None:
        raise Http404
    return complaint


def _is_investigator(complaint: Complaint, user) -> bool:
    return complaint.investigator_id == user.pk


def _is_reviewer(complaint: Complaint, user) -> bool:
    review = getattr(complaint, "review", None)
    return review is not None and review.reviewer_id == user.pk


@dataclass(frozen=True)
class Step:
    title: str
    submit: str
    done: str
    form: Callable[[Any, Complaint, Any], forms.Form]
    available: Callable[[Complaint, Any], bool]
    save: Callable[[Complaint, Any, dict, forms.Form], Any]
    intro: str = ""


def _investigating(complaint: Complaint, user) -> bool:
    return complaint.status == ComplaintStatus.INVESTIGATING and _is_investigator(complaint, user)


STEPS: dict[str, Step] = {
    "triage": Step(
        title="Acknowledge and triage",
        submit="Save and send to the complainant",
        done="Complaint triaged",
        intro=(
            "The complainant is told the result. In scope: who investigates and when to expect "
            "a response. Out of scope: where they can take their complaint instead."
        ),
        form=lambda data, complaint, user: TriageForm(data, user=user),
        available=lambda complaint, user: complaint.status == ComplaintStatus.RECEIVED,
        save=lambda complaint, user, data, form: cs.complaint_triage(
            complaint=complaint, user=user, **form.service_kwargs()
        ),
    ),
    "link-case": Step(
        title="Link the complaint to a case",
        submit="Link the case",
        done="Case linked",
        intro="Linking a case does not show you its content.",
        form=lambda data, complaint, user: CaseLinkForm(
            data,
            initial={
                "referral_reference": complaint.linked_referral.reference
                if complaint.linked_referral
                else complaint.referral_reference
            },
        ),
        available=_investigating,
        save=lambda complaint, user, data, form: cs.complaint_case_link(
            complaint=complaint, user=user, referral_reference=data["referral_reference"]
        ),
    ),
    "consent": Step(
        title="Record the complainant's consent",
        submit="Record consent",
        done="Consent recorded",
        intro="Whether the complaint may be raised with the organisation concerned.",
        form=lambda data, complaint, user: ConsentForm(data),
        available=lambda complaint, user: complaint.is_open and _is_investigator(complaint, user),
        save=lambda complaint, user, data, form: cs.complaint_consent_record(
            complaint=complaint, user=user, **form.service_kwargs()
        ),
    ),
    "raise": Step(
        title="Raise the complaint with the organisation",
        submit="Record that you raised it",
        done="Raised with the organisation",
        form=lambda data, complaint, user: RaiseForm(
            data, initial={"organisation": complaint.organisation}
        ),
        available=lambda complaint, user: (
            _investigating(complaint, user) and complaint.consent_to_raise
        ),
        save=lambda complaint, user, data, form: cs.complaint_raise_with_organisation(
            complaint=complaint, user=user, **data
        ),
    ),
    "investigation": Step(
        title="Complete the investigation",
        submit="Complete the investigation",
        done="Investigation complete",
        form=lambda data, complaint, user: InvestigationForm(data),
        available=_investigating,
        save=lambda complaint, user, data, form: cs.complaint_investigation_complete(
            complaint=complaint, user=user, summary=data["summary"]
        ),
    ),
    "finding": Step(
        title="Make a finding",
        submit="Record the finding",
        done="Finding recorded",
        form=lambda data, complaint, user: FindingForm(data),
        available=lambda complaint, user: (
            complaint.status == ComplaintStatus.AWAITING_FINDING
            and _is_investigator(complaint, user)
        ),
        save=lambda complaint, user, data, form: cs.complaint_finding_record(
            complaint=complaint, user=user, **data
        ),
    ),
    "response": Step(
        title="Send the response letter",
        submit="Send the response",
        done="Response sent",
        form=lambda data, complaint, user: ResponseForm(
            data, initial={"letter": cs.response_letter_draft(complaint)}
        ),
        available=lambda complaint, user: (
            complaint.status == ComplaintStatus.FINDING_MADE and _is_investigator(complaint, user)
        ),
        save=lambda complaint, user, data, form: cs.complaint_response_send(
            complaint=complaint, user=user, letter=data["letter"]
        ),
    ),
    "review-request": Step(
        title="Review requested?",
        submit="Save",
        done="Saved",
        intro=(
            "Record the complainant's request for a review by a second officer, or close the "
            "complaint if they have not asked for one."
        ),
        form=lambda data, complaint, user: ReviewRequestForm(data),
        available=lambda complaint, user: (
            complaint.status == ComplaintStatus.RESPONDED and _is_investigator(complaint, user)
        ),
        save=lambda complaint, user, data, form: cs.complaint_review_request_record(
            complaint=complaint, user=user, **form.service_kwargs()
        ),
    ),
    "review": Step(
        title="Review the complaint",
        submit="Record the review and send the letter",
        done="Review recorded",
        form=lambda data, complaint, user: ReviewForm(data),
        available=lambda complaint, user: (
            complaint.status == ComplaintStatus.UNDER_REVIEW and _is_reviewer(complaint, user)
        ),
        save=lambda complaint, user, data, form: cs.complaint_review_decide(
            complaint=complaint, user=user, **data
        ),
    ),
    "reassign": Step(
        title="Reassign the complaint",
        submit="Reassign",
        done="Complaint reassigned",
        form=lambda data, complaint, user: ReassignForm(data),
        available=lambda complaint, user: (
            complaint.is_open and complaint.investigator_id is not None
        ),
        save=lambda complaint, user, data, form: cs.complaint_reassign(
            complaint=complaint, user=user, investigator=data["investigator"]
        ),
    ),
}


def _can_break_glass(complaint: Complaint, user) -> bool:
    return bool(
        complaint.linked_referral_id
        and complaint.is_open
        and (
            _is_investigator(complaint, user)
            or (complaint.status == ComplaintStatus.UNDER_REVIEW and _is_reviewer(complaint, user))
        )
    )


@unit_required
@require_GET
def complaint_detail(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = _complaint_or_404(reference)
    user = request.user
    now = timezone.now()
    grants = selectors.break_glass_grants_for_complaint(complaint)
    return render(
        request,
        "compliance/complaint.html",
        {
            "complaint": complaint,
            "steps": [
                (slug, step.title)
                for slug, step in STEPS.items()
                if slug != "reassign" and step.available(complaint, user)
            ],
            "can_reassign": STEPS["reassign"].available(complaint, user),
            "open_tasks": selectors.complaint_open_tasks(complaint),
            "can_break_glass": _can_break_glass(complaint, user),
            "grants": [
                (grant, grant.revoked_at is None and grant.expires_at > now) for grant in grants
            ],
            "letters": list(complaint.letters.select_related("sent_by")),
            "contacts": list(complaint.organisation_contacts.select_related("raised_by")),
            "review": getattr(complaint, "review", None),
            "events": list(
                AuditEvent.objects.filter(case_reference=complaint.reference).order_by("sequence")[
                    :200
                ]
            ),
        },
    )


@unit_required
@GET_POST
def complaint_step(request: HttpRequest, reference: str, step: str) -> HttpResponse:
    complaint = _complaint_or_404(reference)
    action = STEPS.get(step)
    if action is None or not action.available(complaint, request.user):
        raise Http404
    form = action.form(posted(request), complaint, request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            action.save(complaint, request.user, form.cleaned_data, form)
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            messages.success(request, f"{action.done} on {complaint.reference}")
            return redirect("compliance:complaint", complaint.reference)
    return render(
        request,
        "compliance/complaint_step.html",
        {"complaint": complaint, "step": action, "slug": step, "form": form},
        status=status,
    )


# --- Break-glass access to the linked case --------------------------------------------------


@unit_required
@GET_POST
def break_glass(request: HttpRequest, public_id) -> HttpResponse:
    referral = get_object_or_404(Referral.objects.exclude(reference=None), public_id=public_id)
    complaint = next(
        (
            c
            for c in referral.complaints.select_related("review").exclude(
                status=ComplaintStatus.CLOSED
            )
            if _can_break_glass(c, request.user)
        ),
        None,
    )
    if complaint is None:
        raise Http404  # not a case this officer is investigating: say nothing about it
    form = BreakGlassForm(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            grant = break_glass_open(
                user=request.user,
                referral=referral,
                reason=form.cleaned_data["reason"],
                minutes=form.cleaned_data["minutes"],
            )
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            until = timezone.localtime(grant.expires_at)
            messages.success(
                request,
                f"You can see case {referral.reference} until {until:%-I:%M%p}".replace(
                    "AM", "am"
                ).replace("PM", "pm")
                + ". Every page you open is recorded.",
            )
            return redirect(f"/cases/{referral.public_id}/")
    return render(
        request,
        "compliance/break_glass.html",
        {"referral": referral, "complaint": complaint, "form": form},
        status=status,
    )


@unit_required
@require_GET
def my_access(request: HttpRequest) -> HttpResponse:
    """The officer's own break-glass grants: what is open now, and what has been."""
    now = timezone.now()
    grants = (
        BreakGlassGrant.objects.filter(user=request.user)
        .select_related("referral", "complaint")
        .order_by("-opened_at")[:100]
    )
    return render(
        request,
        "compliance/my_access.html",
        {
            "grants": [
                (grant, grant.revoked_at is None and grant.expires_at > now) for grant in grants
            ]
        },
    )


@unit_required
@require_POST
def break_glass_finish(request: HttpRequest, grant_id) -> HttpResponse:
    grant = get_object_or_404(
        BreakGlassGrant.objects.select_related("referral", "complaint", "user"),
        public_id=grant_id,
        user=request.user,
    )
    try:
        break_glass_end(grant=grant, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Your access to {grant.referral.reference} has ended")
    return redirect("compliance:my_access")
