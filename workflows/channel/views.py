"""Pages of the Channel stage: the panel's home and meetings, withdrawal of consent, another
intervention, and intervention providers' pages. Each Channel task is worked on the engine's
task page, through steps.py.

Views are thin: selectors decide what the user may see (None means 404, so a case's existence
is never revealed), services decide and record everything else. A service's refusal is shown
in the GOV.UK error summary and nothing is saved; success redirects (POST-redirect-GET).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import Role
from compliance.services import case_read_record
from config.errors import ApplicationError
from config.forms import posted, refused

from ..engine.registry import step_for
from ..engine.selectors import task_for_user
from ..engine.views import case_url, task_page
from . import forms as cf
from . import selectors, services
from .flows import ChannelFlow
from .selectors import home_url

GET_POST = require_http_methods(["GET", "POST"])


# --- Panel home and meetings ----------------------------------------------------------------


def _panels_or_404(user):
    panels = selectors.panels_of_user(user)
    if not panels:
        raise Http404
    return panels


@login_required
@require_GET
def panel_home(request: HttpRequest) -> HttpResponse:
    panels = _panels_or_404(request.user)
    meetings = list(selectors.panel_meetings(panels))
    today = timezone.localdate()
    return render(
        request,
        "workflows/channel/home.html",
        {
            "panels": panels,
            "tasks": list(selectors.panel_open_tasks(panels)),
            "upcoming": [m for m in meetings if m.meets_on >= today],
            "recent": [m for m in reversed(meetings) if m.meets_on < today],
        },
    )


@login_required
@GET_POST
def meeting_create(request: HttpRequest) -> HttpResponse:
    panels = _panels_or_404(request.user)
    form = cf.MeetingForm(posted(request), panels=panels)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.panel_meeting_create(
                panel=form.cleaned_data["panel"],
                user=request.user,
                meets_on=form.cleaned_data["meets_on"],
                location=form.cleaned_data["location"],
            )
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            messages.success(request, f"Meeting on {meeting.meets_on:%-d %B %Y} created")
            return redirect("channel:meeting", meeting.pk)
    return render(
        request,
        "workflows/channel/meeting_create.html",
        {"form": form, "panels": panels},
        status=status,
    )


@login_required
@GET_POST
def meeting_detail(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    meeting = selectors.meeting_for_member(request.user, meeting_pk)
    if meeting is None:
        raise Http404
    form = cf.AgendaItemForm(posted(request), candidates=selectors.agenda_candidates(meeting.panel))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            item = services.agenda_add(
                meeting=meeting,
                referral=form.cleaned_data["referral"],
                purpose=form.cleaned_data["purpose"],
                user=request.user,
            )
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            messages.success(request, f"{item.referral.reference} added to the agenda")
            return redirect("channel:meeting", meeting.pk)
    return render(
        request,
        "workflows/channel/meeting.html",
        {
            "meeting": meeting,
            "agenda": selectors.meeting_agenda(meeting, request.user),
            "form": form,
        },
        status=status,
    )


# --- A Channel task -------------------------------------------------------------------------


@login_required
@GET_POST
def channel_task(request: HttpRequest, task_pk: int) -> HttpResponse:
    """The panel's address for a Channel task it works: the engine's task page. Anyone who may
    not work it, and any task of another flow, finds nothing here."""
    task = task_for_user(request.user, task_pk)
    step = step_for(task) if task is not None else None
    if (
        step is None
        or task.flow_task.flow_class is not ChannelFlow
        or not step.may_work(request.user, task)
    ):
        raise Http404
    return task_page(request, task_pk)


# --- During support: withdrawal of consent, another intervention ---------------------------


def _panel_case_or_404(user, public_id):
    referral = selectors.case_for_panel_member(user, public_id)
    if referral is None:
        raise Http404
    return referral


@login_required
@GET_POST
def consent_withdraw(request: HttpRequest, public_id) -> HttpResponse:
    referral = _panel_case_or_404(request.user, public_id)
    form = cf.ConsentWithdrawForm(posted(request), under_18=referral.is_under_18)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(
                referral=referral,
                user=request.user,
                withdrawn_on=form.cleaned_data["withdrawn_on"],
                reason=form.cleaned_data["reason"],
                given_by=form.cleaned_data["given_by"],
            )
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            messages.success(
                request,
                f"Withdrawal of consent recorded for {referral.reference}. The panel's decision "
                "on what happens next is now on your list.",
            )
            return redirect("channel:home")
    return render(
        request,
        "workflows/channel/consent_withdraw.html",
        {
            "referral": referral,
            "form": form,
            "consent_in_place": services.consent_in_place(referral),
            "case_url": case_url(referral),
        },
        status=status,
    )


@login_required
@GET_POST
def intervention_add(request: HttpRequest, public_id) -> HttpResponse:
    referral = _panel_case_or_404(request.user, public_id)
    form = cf.InterventionForm(
        posted(request),
        owners=selectors.owner_choices(referral),
        providers=selectors.provider_choices(),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.intervention_add(
                referral=referral, user=request.user, **form.as_service_item()
            )
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            messages.success(
                request, f"Intervention added to the support plan for {referral.reference}"
            )
            return redirect("channel:home")
    return render(
        request,
        "workflows/channel/intervention_add.html",
        {
            "referral": referral,
            "form": form,
            "in_support": selectors.in_support(referral),
            "case_url": case_url(referral),
        },
        status=status,
    )


# --- Intervention providers -----------------------------------------------------------------


@login_required
@require_GET
def provider_interventions(request: HttpRequest) -> HttpResponse:
    if not request.user.has_role(Role.INTERVENTION_PROVIDER):
        raise Http404
    return render(
        request,
        "workflows/channel/provider_interventions.html",
        {"interventions": list(selectors.interventions_for_provider(request.user))},
    )


@login_required
@GET_POST
def session_record(request: HttpRequest, intervention_pk: int) -> HttpResponse:
    intervention = selectors.intervention_for_session(request.user, intervention_pk)
    if intervention is None:
        raise Http404
    form = cf.SessionForm(posted(request))
    is_provider = request.user.has_role(Role.INTERVENTION_PROVIDER)
    if request.method == "GET":
        case_read_record(
            user=request.user, referral=intervention.plan.referral, what="intervention sessions"
        )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.intervention_session_record(
                intervention=intervention, user=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            messages.success(request, "Session recorded")
            if is_provider:
                return redirect("channel:interventions")
            return redirect("channel:session", intervention.pk)
    return render(
        request,
        "workflows/channel/session_record.html",
        {
            "intervention": intervention,
            "first_name": intervention.plan.referral.first_name,
            "sessions": selectors.intervention_sessions(intervention),
            "form": form,
            "back_url": reverse("channel:interventions") if is_provider else home_url(request.user),
        },
        status=status,
    )
