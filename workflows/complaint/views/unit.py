"""The unit's complaint pages: the list, one complaint, and each step of the process.

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
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from compliance.models import AuditEvent, Complaint, ComplaintStatus
from compliance.selectors import (
    break_glass_grants_for_complaint,
    case_link_requests_for_complaint,
    is_unit_head,
)
from compliance.views.common import unit_required
from config.errors import ApplicationError
from config.forms import posted, refused

from ...engine.registry import step_for
from .. import forms as f
from .. import selectors
from .. import services as cs
from ..permissions import is_investigating_officer, is_reviewing_officer

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
            "unit_head": is_unit_head(request.user),
        },
    )


# --- One complaint --------------------------------------------------------------------------


def _complaint_or_404(reference: str) -> Complaint:
    complaint = selectors.complaint_by_reference(reference)
    if complaint is None:
        raise Http404
    return complaint


@dataclass(frozen=True)
class Action:
    """A page on a complaint. One that completes a step of the complaint flow names its `node`
    and is worked through that step's entry in steps.py (who may, form, service); the others
    (linking a case, consent, raising it, reassigning) carry their own."""

    title: str
    intro: str = ""
    node: str = ""
    submit: str = ""
    done: str = ""
    form: Callable[[Any, Complaint, Any], forms.Form] | None = None
    available: Callable[[Complaint, Any], bool] | None = None
    save: Callable[[Complaint, Any, forms.Form], Any] | None = None
    # The banner after saving, from what `save` returned, where it depends on it.
    done_for: Callable[[Any], str] | None = None


def _investigating(complaint: Complaint, user) -> bool:
    return complaint.status == ComplaintStatus.INVESTIGATING and is_investigating_officer(
        user, complaint
    )


ACTIONS: dict[str, Action] = {
    "triage": Action(
        title="Acknowledge and triage",
        node="triage",
        intro=(
            "The complainant is told the result. In scope: who investigates and when to expect "
            "a response. Out of scope: where they can take their complaint instead."
        ),
    ),
    "link-case": Action(
        title="Link the complaint to a case",
        submit="Link the case",
        done="Case linked",
        intro=(
            "Linking a case does not show you its content. The case the complainant named is "
            "linked at once; another officer of the unit must approve a link to any other case."
        ),
        form=lambda data, complaint, user: f.CaseLinkForm(
            data,
            initial={
                "referral_reference": complaint.linked_referral.reference
                if complaint.linked_referral
                else complaint.referral_reference
            },
        ),
        available=_investigating,
        save=lambda complaint, user, form: cs.complaint_case_link(
            complaint=complaint, user=user, **form.service_kwargs()
        ),
        done_for=lambda result: result.message,
    ),
    "consent": Action(
        title="Record the complainant's consent",
        submit="Record consent",
        done="Consent recorded",
        intro="Whether the complaint may be raised with the organisation concerned.",
        form=lambda data, complaint, user: f.ConsentForm(data),
        available=lambda complaint, user: (
            complaint.is_open and is_investigating_officer(user, complaint)
        ),
        save=lambda complaint, user, form: cs.complaint_consent_record(
            complaint=complaint, user=user, **form.service_kwargs()
        ),
    ),
    "raise": Action(
        title="Raise the complaint with the organisation",
        submit="Record that you raised it",
        done="Raised with the organisation",
        form=lambda data, complaint, user: f.RaiseForm(
            data, initial={"organisation": complaint.organisation}
        ),
        available=lambda complaint, user: (
            _investigating(complaint, user) and complaint.consent_to_raise
        ),
        save=lambda complaint, user, form: cs.complaint_raise_with_organisation(
            complaint=complaint, user=user, **form.service_kwargs()
        ),
    ),
    "investigation": Action(title="Complete the investigation", node="investigation"),
    "finding": Action(title="Make a finding", node="finding"),
    "response": Action(title="Send the response letter", node="response_letter"),
    "review-request": Action(
        title="Review requested?",
        node="review_request",
        intro=(
            "Record the complainant's request for a review by a second officer, or close the "
            "complaint if they have not asked for one."
        ),
    ),
    "review": Action(title="Review the complaint", node="review"),
    "reassign": Action(
        title="Reassign the complaint",
        submit="Reassign",
        done="Complaint reassigned",
        form=lambda data, complaint, user: f.ReassignForm(data),
        available=lambda complaint, user: (
            complaint.is_open and complaint.investigator_id is not None
        ),
        save=lambda complaint, user, form: cs.complaint_reassign(
            complaint=complaint, user=user, **form.service_kwargs()
        ),
    ),
}


def _open_step(complaint: Complaint, action: Action, user, open_tasks=None):
    """The open task and its registry entry, if `user` may complete it now."""
    if open_tasks is None:
        open_tasks = selectors.complaint_open_tasks(complaint)
    task = open_tasks.get(action.node)
    step = step_for(task) if task is not None else None
    if step is None or not step.may_work(user, task):
        return None, None
    return task, step


def _available(action: Action, complaint: Complaint, user, open_tasks=None) -> bool:
    if action.node:
        return _open_step(complaint, action, user, open_tasks)[0] is not None
    return action.available(complaint, user)


def can_break_glass(complaint: Complaint, user) -> bool:
    return bool(
        complaint.linked_referral_id
        and complaint.is_open
        and (
            is_investigating_officer(user, complaint)
            or (
                complaint.status == ComplaintStatus.UNDER_REVIEW
                and is_reviewing_officer(user, complaint)
            )
        )
    )


@unit_required
@require_GET
def complaint_detail(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = _complaint_or_404(reference)
    user = request.user
    grants = break_glass_grants_for_complaint(complaint)
    open_tasks = selectors.complaint_open_tasks(complaint)
    link_requests = case_link_requests_for_complaint(complaint)
    return render(
        request,
        "compliance/complaint.html",
        {
            "complaint": complaint,
            "steps": [
                (slug, step.title)
                for slug, step in ACTIONS.items()
                if slug != "reassign" and _available(step, complaint, user, open_tasks)
            ],
            "can_reassign": _available(ACTIONS["reassign"], complaint, user),
            "open_tasks": open_tasks,
            "can_break_glass": can_break_glass(complaint, user),
            "grants": grants,
            "link_requests": link_requests,
            "letters": list(complaint.letters.select_related("sent_by")),
            "contacts": list(complaint.organisation_contacts.select_related("raised_by")),
            "review": getattr(complaint, "review", None),
            "events": list(
                AuditEvent.objects.filter(case_reference=complaint.reference).order_by("pk")[:200]
            ),
        },
    )


@unit_required
@GET_POST
def complaint_step(request: HttpRequest, reference: str, step: str) -> HttpResponse:
    complaint = _complaint_or_404(reference)
    action = ACTIONS.get(step)
    if action is None or not _available(action, complaint, request.user):
        raise Http404
    task, flow_step = _open_step(complaint, action, request.user) if action.node else (None, None)
    data = posted(request)
    if flow_step is not None:
        form = flow_step.form(task, data, request.user)
        submit, done = flow_step.submit, flow_step.done
    else:
        form = action.form(data, complaint, request.user)
        submit, done = action.submit, action.done
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            if flow_step is not None:
                result = flow_step.service(task=task, user=request.user, **form.service_kwargs())
            else:
                result = action.save(complaint, request.user, form)
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            done = action.done_for(result) if action.done_for else done
            messages.success(request, f"{done} on {complaint.reference}")
            return redirect("compliance:complaint", complaint.reference)
    return render(
        request,
        "compliance/complaint_step.html",
        {
            "complaint": complaint,
            "step": action,
            "submit": submit,
            "slug": step,
            "form": form,
        },
        status=status,
    )
