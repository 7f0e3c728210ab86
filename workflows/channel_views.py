"""Pages of the Channel stage, intervention providers' pages, and pausing a task's clock.

Views are thin: selectors decide what the user may see (None means 404, so a case's existence
is never revealed), services decide and record everything else. A service's refusal is shown
in the GOV.UK error summary and nothing is saved; success redirects (POST-redirect-GET).
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import Role
from compliance.services import case_read_record
from config.errors import ApplicationError, PermissionDenied

from . import channel_forms as cf
from . import channel_selectors as selectors
from . import channel_services, deadline_services
from .permissions import can_work_task

GET_POST = require_http_methods(["GET", "POST"])


def _posted(request: HttpRequest):
    """The submitted answers, even when empty (an empty POST must still show its errors)."""
    return request.POST if request.method == "POST" else None


def _add_error(form: forms.Form, exc: ApplicationError) -> None:
    field = exc.field if exc.field in form.fields else None
    if field and isinstance(form.fields[field].widget, forms.HiddenInput):
        field = None
    form.add_error(field, exc.message)


def _refused(form: forms.Form, exc: ApplicationError) -> int:
    """Put a service's refusal on the form; the status to answer with."""
    _add_error(form, exc)
    return 403 if isinstance(exc, PermissionDenied) else 200


def _case_url(referral) -> str:
    return f"/cases/{referral.public_id}/"


def _task_url(user, case_task) -> str:
    """Where a task is worked: the Channel page for Channel stages, else the main task page."""
    if selectors.is_channel_stage(case_task) and can_work_task(user, case_task.task):
        return reverse("channel:task", args=[case_task.task_id])
    return f"/tasks/{case_task.task_id}/"


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
    form = cf.MeetingForm(_posted(request), panels=panels)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            meeting = channel_services.panel_meeting_create(
                panel=form.cleaned_data["panel"],
                user=request.user,
                meets_on=form.cleaned_data["meets_on"],
                location=form.cleaned_data["location"],
            )
        except ApplicationError as exc:
            status = _refused(form, exc)
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
    form = cf.AgendaItemForm(
        _posted(request), candidates=selectors.agenda_candidates(meeting.panel)
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            item = channel_services.agenda_add(
                meeting=meeting,
                referral=form.cleaned_data["referral"],
                purpose=form.cleaned_data["purpose"],
                user=request.user,
            )
        except ApplicationError as exc:
            status = _refused(form, exc)
        else:
            messages.success(request, f"{item.referral.reference} added to the agenda")
            return redirect("channel:meeting", meeting.pk)
    return render(
        request,
        "workflows/channel/meeting.html",
        {"meeting": meeting, "agenda": selectors.meeting_agenda(meeting), "form": form},
        status=status,
    )


# --- Channel tasks --------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    template: str
    form_class: type[forms.Form]
    done: str  # the success message

    def form_kwargs(self, task) -> dict[str, Any]:
        referral = task.case.referral
        if self.form_class in (cf.AdoptionForm, cf.PanelReviewForm):
            return {"meetings": selectors.meeting_choices(task.case.team_id)}
        if self.form_class is cf.ConsentForm:
            return {"under_18": referral.is_under_18}
        return {}


def _adoption(task, user, data):
    return channel_services.adoption_decide(
        task=task,
        user=user,
        adopt=data["adopt"],
        rationale=data["rationale"],
        meeting=data["meeting"],
    )


def _not_adopted(task, user, data):
    return channel_services.not_adopted_outcome_decide(
        task=task, user=user, result=data["result"], rationale=data["rationale"]
    )


def _consent(task, user, data):
    return channel_services.consent_record(
        task=task,
        user=user,
        person_given=data["person_given"],
        person_on=data["person_on"],
        person_how=data["person_how"],
        parent_given=data.get("parent_given"),
        parent_name=data.get("parent_name", ""),
        parent_on=data.get("parent_on"),
        parent_how=data.get("parent_how", ""),
    )


def _consent_outcome(task, user, data):
    return channel_services.consent_outcome_decide(
        task=task, user=user, result=data["result"], rationale=data["rationale"]
    )


def _panel_review(task, user, data):
    return channel_services.panel_review_complete(task=task, user=user, **data)


def _post_exit_review(task, user, data):
    return channel_services.post_exit_review_complete(
        task=task, user=user, assessment=data["assessment"], concern=data["concern"]
    )


STAGES: dict[str, tuple[Stage, Any]] = {
    "adoption_decision": (
        Stage("workflows/channel/adoption.html", cf.AdoptionForm, "Adoption decision recorded"),
        _adoption,
    ),
    "not_adopted_outcome": (
        Stage("workflows/channel/outcome.html", cf.OutcomeForm, "Decision recorded"),
        _not_adopted,
    ),
    "consent": (
        Stage("workflows/channel/consent.html", cf.ConsentForm, "Consent recorded"),
        _consent,
    ),
    "consent_outcome": (
        Stage("workflows/channel/outcome.html", cf.OutcomeForm, "Decision recorded"),
        _consent_outcome,
    ),
    "panel_review": (
        Stage("workflows/channel/panel_review.html", cf.PanelReviewForm, "Panel review recorded"),
        _panel_review,
    ),
    "post_exit_review_6": (
        Stage("workflows/channel/post_exit_review.html", cf.PostExitReviewForm, "Review recorded"),
        _post_exit_review,
    ),
    "post_exit_review_12": (
        Stage("workflows/channel/post_exit_review.html", cf.PostExitReviewForm, "Review recorded"),
        _post_exit_review,
    ),
}


def _task_or_404(user, task_pk: int):
    task = selectors.channel_task_for(user, task_pk)
    if task is None:
        raise Http404
    return task


def _home_url(user) -> str:
    return reverse("channel:home") if selectors.panels_of_user(user) else reverse("home")


def _after_task(request, task, message: str) -> HttpResponse:
    messages.success(request, f"{message} for {task.case.referral.reference}")
    return redirect(_home_url(request.user))


def _task_context(request, task, **extra) -> dict:
    referral = task.case.referral
    if request.method == "GET":
        case_read_record(user=request.user, referral=referral, what=f"task: {task.flow_task.name}")
    context = selectors.task_page_context(task)
    context.update(
        task=task,
        stage=task.flow_task.name,
        title=str(task.flow_task.task_title),
        case_url=_case_url(referral),
        back_url=_home_url(request.user),
        in_support=task.flow_task.name in selectors.SUPPORT_STAGES,
        **extra,
    )
    if task.flow_task.name.startswith("post_exit_review_"):
        months = int(task.flow_task.name.rsplit("_", 1)[1])
        context["months"] = months
        context["due_on"] = channel_services.post_exit_due_on(referral, months)
    return context


@login_required
@GET_POST
def channel_task(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = _task_or_404(request.user, task_pk)
    if task.flow_task.name == "support_plan":
        return _support_plan(request, task)
    if task.flow_task.name not in STAGES:
        raise Http404
    stage, save = STAGES[task.flow_task.name]
    form = stage.form_class(_posted(request), **stage.form_kwargs(task))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            save(task, request.user, form.cleaned_data)
        except ApplicationError as exc:
            status = _refused(form, exc)
        else:
            return _after_task(request, task, stage.done)
    return render(request, stage.template, _task_context(request, task, form=form), status=status)


SUPPORT_PLAN_ROWS = 3


def _support_plan(request: HttpRequest, task) -> HttpResponse:
    """A summary and up to three interventions; rows left wholly empty are ignored."""
    referral = task.case.referral
    data = _posted(request)
    choices = {
        "owners": selectors.owner_choices(referral),
        "providers": selectors.provider_choices(),
    }
    form = cf.SupportPlanForm(data)
    rows = [
        cf.InterventionForm(data, prefix=f"intervention-{n}", **choices)
        for n in range(1, SUPPORT_PLAN_ROWS + 1)
    ]
    row_errors: list[dict] = []
    status = 200
    if request.method == "POST":
        filled = [row for row in rows if not row.is_blank()]
        summary_valid = form.is_valid()
        rows_valid = [row.is_valid() for row in filled]  # every row, so every error shows
        valid = summary_valid and all(rows_valid)
        if not filled:
            row_errors.append(
                {
                    "text": "Add at least one intervention to the support plan",
                    "href": f"#{rows[0]['kind'].auto_id}",
                }
            )
        for number, row in enumerate(rows, start=1):
            for field in row:
                row_errors += [
                    {"text": f"Intervention {number}: {error}", "href": f"#{field.auto_id}"}
                    for error in field.errors
                ]
        if valid and filled:
            try:
                channel_services.support_plan_complete(
                    task=task,
                    user=request.user,
                    summary=form.cleaned_data["summary"],
                    interventions=[row.as_service_item() for row in filled],
                )
            except ApplicationError as exc:
                if exc.field == "summary":
                    form.add_error("summary", exc.message)
                else:
                    row_errors.append({"text": exc.message})
                status = 403 if isinstance(exc, PermissionDenied) else 200
            else:
                return _after_task(request, task, "Support plan recorded")
    return render(
        request,
        "workflows/channel/support_plan.html",
        _task_context(request, task, form=form, rows=rows, errors=row_errors),
        status=status,
    )


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
    form = cf.ConsentWithdrawForm(_posted(request), under_18=referral.is_under_18)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            channel_services.consent_withdraw(
                referral=referral,
                user=request.user,
                withdrawn_on=form.cleaned_data["withdrawn_on"],
                reason=form.cleaned_data["reason"],
                given_by=form.cleaned_data["given_by"],
            )
        except ApplicationError as exc:
            status = _refused(form, exc)
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
            "consent_in_place": channel_services.consent_in_place(referral),
            "case_url": _case_url(referral),
        },
        status=status,
    )


@login_required
@GET_POST
def intervention_add(request: HttpRequest, public_id) -> HttpResponse:
    referral = _panel_case_or_404(request.user, public_id)
    form = cf.InterventionForm(
        _posted(request),
        owners=selectors.owner_choices(referral),
        providers=selectors.provider_choices(),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            channel_services.intervention_add(
                referral=referral, user=request.user, **form.as_service_item()
            )
        except ApplicationError as exc:
            status = _refused(form, exc)
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
            "case_url": _case_url(referral),
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
    form = cf.SessionForm(_posted(request))
    is_provider = request.user.has_role(Role.INTERVENTION_PROVIDER)
    if request.method == "GET":
        case_read_record(
            user=request.user, referral=intervention.plan.referral, what="intervention sessions"
        )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            channel_services.intervention_session_record(
                intervention=intervention, user=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            status = _refused(form, exc)
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
            "back_url": reverse("channel:interventions")
            if is_provider
            else _home_url(request.user),
        },
        status=status,
    )


# --- Deadlines: pausing the clock, asking the referrer --------------------------------------


def _deadline_task_or_404(user, task_pk: int):
    case_task = selectors.case_task_for_deadlines(user, task_pk)
    if case_task is None:
        raise Http404
    return case_task


@login_required
@GET_POST
def task_pause(request: HttpRequest, task_pk: int) -> HttpResponse:
    case_task = _deadline_task_or_404(request.user, task_pk)
    form = cf.PauseForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            deadline_services.task_clock_pause(
                case_task=case_task, user=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            status = _refused(form, exc)
        else:
            messages.success(request, "The clock on this task is paused")
            return redirect(_task_url(request.user, case_task))
    return render(
        request,
        "workflows/channel/pause.html",
        {
            "case_task": case_task,
            "form": form,
            "pause": selectors.running_pause(case_task),
            "task_url": _task_url(request.user, case_task),
        },
        status=status,
    )


@login_required
@GET_POST
def task_resume(request: HttpRequest, task_pk: int) -> HttpResponse:
    case_task = _deadline_task_or_404(request.user, task_pk)
    errors, status = [], 200
    if request.method == "POST":
        try:
            case_task = deadline_services.task_clock_resume(case_task=case_task, user=request.user)
        except ApplicationError as exc:
            errors.append({"text": exc.message})
            status = 403 if isinstance(exc, PermissionDenied) else 200
        else:
            due = f" It is now due by {case_task.due_on:%-d %B %Y}." if case_task.due_on else ""
            messages.success(request, f"The clock on this task has restarted.{due}")
            return redirect(_task_url(request.user, case_task))
    return render(
        request,
        "workflows/channel/resume.html",
        {
            "case_task": case_task,
            "pause": selectors.running_pause(case_task),
            "errors": errors,
            "task_url": _task_url(request.user, case_task),
        },
        status=status,
    )


@login_required
@GET_POST
def ask_referrer(request: HttpRequest, public_id) -> HttpResponse:
    referral = selectors.case_for_questions(request.user, public_id)
    if referral is None:
        raise Http404
    form = cf.AskReferrerForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            deadline_services.information_request_create(
                referral=referral, user=request.user, question=form.cleaned_data["question"]
            )
        except ApplicationError as exc:
            status = _refused(form, exc)
        else:
            messages.success(
                request, f"Your question has been sent to the referrer of {referral.reference}"
            )
            return redirect(_case_url(referral))
    return render(
        request,
        "workflows/channel/ask_referrer.html",
        {"referral": referral, "form": form, "case_url": _case_url(referral)},
        status=status,
    )
