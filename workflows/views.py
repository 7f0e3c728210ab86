"""Pages of the referral process: your tasks, the adviser's queue, the case and its tasks.

Views are thin. Selectors decide what a user may see: a case or task outside the user's
reach is a 404, so its existence is never revealed. Services decide and record everything
else: their refusal is shown in the GOV.UK error summary against the field it names, nothing
is saved, and success redirects with a notification banner (POST-redirect-GET).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from compliance.selectors import break_glass_active
from compliance.services import case_read_record
from config.errors import ApplicationError, PermissionDenied
from referrals.models import Referral

from . import forms as wf
from . import selectors, services
from .models import InitialDiscussion
from .permissions import adviser_region_ids, can_work_task, is_adviser_for

GET_POST = require_http_methods(["GET", "POST"])


def _posted(request: HttpRequest):
    """The submitted answers, even when empty (an empty POST must still show its errors)."""
    return request.POST if request.method == "POST" else None


def _refused(form: wf.ServiceForm, exc: ApplicationError) -> int:
    """Put a service's refusal on the form; the status to answer with."""
    form.add_service_error(exc)
    return 403 if isinstance(exc, PermissionDenied) else 200


def _case_url(referral: Referral) -> str:
    return reverse("workflows:case", args=[referral.public_id])


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _record_read(request: HttpRequest, referral: Referral, what: str) -> None:
    """Reading case content is itself an audited event (DESIGN.md §6), break-glass flagged."""
    case_read_record(user=request.user, referral=referral, what=what, via="web")


# --- Your tasks ------------------------------------------------------------------------------


@login_required
@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    """The open tasks of the user's teams; people in no team (referrers, the unit) are refused."""
    if not selectors.team_ids_of(request.user):
        raise Forbidden
    page = selectors.team_queue(request.user, page=request.GET.get("page") or 1)
    return render(
        request,
        "workflows/my_tasks.html",
        {"page": page, "tasks": list(page.object_list)},
    )


# --- The regional adviser's queue -----------------------------------------------------------


def _queue_page(request: HttpRequest, *, assign_form: wf.AssignForm | None = None, status=200):
    user = request.user
    local_authorities = list(selectors.advised_local_authorities(user))
    titles = selectors.stage_titles()
    filter_form = wf.QueueFilterForm(
        request.GET,
        stages=[(name, titles[name]) for name in titles],
        local_authorities=local_authorities,
    )
    filters = filter_form.filters()
    page = selectors.adviser_queue(user, filters)
    people = selectors.assignable_people(user)
    if assign_form is None:
        assign_form = wf.AssignForm(people=people)
    return render(
        request,
        "workflows/queue.html",
        {
            "page": page,
            "tasks": list(page.object_list),
            "filter_form": filter_form,
            "filters": filters,
            "form": assign_form,
            "my_team_ids": selectors.team_ids_of(user),
            "this_url": (
                _safe_next(request, reverse("workflows:queue"))
                if request.method == "POST"
                else request.get_full_path()
            ),
            "sort": filters.sort,
        },
        status=status,
    )


def _require_adviser(user) -> None:
    if not adviser_region_ids(user):
        raise Forbidden("Only regional Prevent advisers have a regional queue.")


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    _require_adviser(request.user)
    return _queue_page(request)


@login_required
@require_POST
def queue_assign(request: HttpRequest) -> HttpResponse:
    """Assign or reassign the ticked tasks to one person (cover for an absent colleague)."""
    _require_adviser(request.user)
    form = wf.AssignForm(request.POST, people=selectors.assignable_people(request.user))
    status = 200
    if form.is_valid():
        ids = form.cleaned_data["tasks"]
        tasks = selectors.tasks_for_adviser(request.user, ids)
        assignee = User.objects.filter(pk=form.cleaned_data["assignee"]).first()
        if len(tasks) != len(ids):
            form.add_error(
                "tasks", "One or more of the tasks selected is no longer open in your region"
            )
        else:
            try:
                count = services.tasks_assign(
                    tasks=tasks,
                    assignee=assignee,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as exc:
                status = _refused(form, exc)
            else:
                noun = "task" if count == 1 else "tasks"
                messages.success(request, f"{count} {noun} assigned to {assignee.full_name}")
                return redirect(_safe_next(request, reverse("workflows:queue")))
    return _queue_page(request, assign_form=form, status=status)


# --- Claiming -------------------------------------------------------------------------------


def _task_or_404(user, task_pk: int):
    """A task the user may work, or one in a region they advise; anything else is 404."""
    task = selectors.task_for_page(task_pk)
    if task is None:
        raise Http404("No such task")
    if not (can_work_task(user, task) or is_adviser_for(user, task.case.region_id)):
        raise Http404("No such task")
    return task


def _claim_action(request: HttpRequest, task_pk: int, service, done: str) -> HttpResponse:
    task = _task_or_404(request.user, task_pk)
    reference = task.case.referral.reference
    title = selectors.stage_titles().get(task.case.stage, task.case.stage)
    try:
        service(task=task, user=request.user)
    except ApplicationError as exc:
        messages.warning(request, f"{title} ({reference}): {exc.message}")
    else:
        messages.success(request, f"{title} ({reference}) {done}")
    return redirect(_safe_next(request, reverse("workflows:task", args=[task.pk])))


@login_required
@require_POST
def task_claim(request: HttpRequest, task_pk: int) -> HttpResponse:
    return _claim_action(request, task_pk, services.task_claim, "claimed by you")


@login_required
@require_POST
def task_unclaim(request: HttpRequest, task_pk: int) -> HttpResponse:
    return _claim_action(request, task_pk, services.task_unclaim, "released to the team")


# --- The case page --------------------------------------------------------------------------


@login_required
@require_GET
def case_detail(request: HttpRequest, public_id) -> HttpResponse:
    referral = selectors.case_for_user(request.user, public_id)
    roles = selectors.case_roles(request.user, referral)
    grant = None if roles.staff else break_glass_active(user=request.user, referral=referral)
    _record_read(request, referral, "case page")
    data = selectors.case_page_data(referral)
    return render(
        request,
        "workflows/case.html",
        {
            "referral": referral,
            "case": data,
            "roles": roles,
            "break_glass": grant,
            "timeline": selectors.case_timeline(referral),
            "diagram": selectors.case_diagram_svg(referral),
            "titles": selectors.stage_titles(),
        },
    )


# --- Actions on the case ----------------------------------------------------------------------


@dataclass(frozen=True)
class CaseAction:
    title: str
    submit: str
    done: str
    allowed: Callable[[selectors.CaseRoles, selectors.CasePage | None], bool]
    form: Callable[[Any, Referral], wf.ServiceForm]
    save: Callable[[Referral, Any, dict], Any]
    intro: str = ""
    needs_page: bool = False
    shows_current_local_authority: bool = False


CASE_ACTIONS: dict[str, CaseAction] = {
    "deconfliction": CaseAction(
        title="Record another deconfliction check",
        submit="Record the check",
        done="Deconfliction check recorded",
        allowed=lambda roles, _: roles.police,
        form=lambda data, _: wf.DeconflictionRecordForm(data),
        save=lambda referral, user, d: services.deconfliction_record(
            referral=referral, user=user, **d
        ),
        intro="Check the person again against live counter-terrorism investigations whenever "
        "new information arrives.",
    ),
    "note": CaseAction(
        title="Add a case note",
        submit="Add the note",
        done="Note added",
        allowed=lambda roles, _: roles.staff,
        form=lambda data, _: wf.CaseNoteForm(data),
        save=lambda referral, user, d: services.case_note_add(referral=referral, user=user, **d),
    ),
    "initial-discussion": CaseAction(
        title="Record the initial discussion with the referrer",
        submit="Record the discussion",
        done="Initial discussion recorded",
        allowed=lambda roles, page: (
            (roles.police or roles.local_authority)
            and page is not None
            and page.initial_discussion is None
        ),
        form=lambda data, _: wf.InitialDiscussionForm(data),
        save=lambda referral, user, d: services.initial_discussion_record(
            referral=referral, user=user, **d
        ),
        intro="The initial discussion is held once, by the police or the local authority. "
        "The other team will see this record and confirm it instead of repeating it.",
        needs_page=True,
    ),
    "home-visit-risk-assessment": CaseAction(
        title="Home-visit risk assessment",
        submit="Record the assessment",
        done="Home-visit risk assessment recorded",
        allowed=lambda roles, _: roles.police,
        form=lambda data, _: wf.HomeVisitAssessmentForm(data),
        save=lambda referral, user, d: services.home_visit_assessment_record(
            referral=referral, user=user, **d
        ),
        intro="A visit can only be recorded after an assessment that finds it safe.",
    ),
    "home-visit": CaseAction(
        title="Record a home visit",
        submit="Record the visit",
        done="Home visit recorded",
        allowed=lambda roles, _: roles.police,
        form=lambda data, _: wf.HomeVisitForm(data),
        save=lambda referral, user, d: services.home_visit_record(
            referral=referral, user=user, **d
        ),
    ),
    "transfer": CaseAction(
        title="Transfer the case to another local authority",
        submit="Transfer the case",
        done="Case transferred",
        allowed=lambda roles, _: roles.adviser,
        form=lambda data, referral: wf.TransferForm(
            data, destinations=selectors.transfer_destinations(referral)
        ),
        save=lambda referral, user, d: services.case_transfer(referral=referral, user=user, **d),
        shows_current_local_authority=True,
        intro="Use this when the person moves. The case's teams, open tasks and access move "
        "with it; tasks claimed by someone outside the new teams go back to the new team.",
    ),
}


def _case_action(request: HttpRequest, public_id, name: str) -> HttpResponse:
    action = CASE_ACTIONS[name]
    referral = selectors.case_for_user(request.user, public_id)
    roles = selectors.case_roles(request.user, referral)
    page = selectors.case_page_data(referral) if action.needs_page else None
    if not action.allowed(roles, page):
        raise Forbidden
    form = action.form(_posted(request), referral)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            action.save(referral, request.user, form.service_kwargs())
        except ApplicationError as exc:
            status = _refused(form, exc)
        else:
            messages.success(request, f"{action.done} for {referral.reference}")
            return redirect(_case_url(referral))
    return render(
        request,
        "workflows/case_action.html",
        {"referral": referral, "action": action, "form": form, "case_url": _case_url(referral)},
        status=status,
    )


def _action_view(name: str):
    @login_required
    @GET_POST
    def view(request: HttpRequest, public_id) -> HttpResponse:
        return _case_action(request, public_id, name)

    view.__name__ = f"case_{name.replace('-', '_')}"
    return view


case_deconfliction = _action_view("deconfliction")
case_note = _action_view("note")
case_initial_discussion = _action_view("initial-discussion")
case_home_visit_assessment = _action_view("home-visit-risk-assessment")
case_home_visit = _action_view("home-visit")
case_transfer = _action_view("transfer")


@login_required
@GET_POST
def case_duplicate(request: HttpRequest, public_id, duplicate_pk: int) -> HttpResponse:
    """The adviser confirms or dismisses a possible earlier referral of the same person."""
    referral = selectors.case_for_user(request.user, public_id)
    if not selectors.case_roles(request.user, referral).adviser:
        raise Forbidden
    duplicate = selectors.duplicate_for_case(referral, duplicate_pk)
    form = wf.DuplicateForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.duplicate_decide(
                duplicate=duplicate,
                user=request.user,
                same_person=form.cleaned_data["same_person"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            status = _refused(form, exc)
        else:
            verdict = (
                "the same person" if duplicate.decision == "confirmed" else "a different person"
            )
            messages.success(
                request,
                f"{duplicate.earlier.reference} recorded as {verdict} as {referral.reference}",
            )
            return redirect(_case_url(referral))
    return render(
        request,
        "workflows/duplicate.html",
        {
            "referral": referral,
            "duplicate": duplicate,
            "form": form,
            "case_url": _case_url(referral),
        },
        status=status,
    )


# --- Task pages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    template: str
    form_class: type[wf.ServiceForm]
    service: Callable
    done: str
    submit: str
    show_records: bool = False


STAGES: dict[str, Stage] = {
    "police_acknowledge": Stage(
        "acknowledge",
        wf.AcknowledgeForm,
        services.task_acknowledge,
        "Referral acknowledged",
        "Acknowledge the referral",
    ),
    "la_acknowledge": Stage(
        "acknowledge",
        wf.AcknowledgeForm,
        services.task_acknowledge,
        "Referral acknowledged",
        "Acknowledge the referral",
    ),
    "police_deconfliction": Stage(
        "deconfliction",
        wf.DeconflictionForm,
        services.police_deconfliction_complete,
        "Deconfliction recorded",
        "Record the deconfliction",
    ),
    "police_gateway_checks": Stage(
        "gateway_checks",
        wf.GatewayChecksForm,
        services.police_gateway_checks_complete,
        "Gateway checks recorded",
        "Record the gateway checks",
    ),
    "police_information_gathering": Stage(
        "information_gathering",
        wf.InformationGatheringForm,
        services.police_information_gathering_complete,
        "Information gathering recorded",
        "Record the information gathered",
    ),
    "la_initial_discussion": Stage(
        "initial_discussion",
        wf.InitialDiscussionForm,
        services.la_initial_discussion_complete,
        "Initial discussion recorded",
        "Save and continue",
    ),
    "la_safeguarding_checks": Stage(
        "safeguarding",
        wf.SafeguardingForm,
        services.la_safeguarding_checks_complete,
        "Safeguarding checks recorded",
        "Record the checks",
    ),
    "threshold_decision": Stage(
        "threshold",
        wf.ThresholdForm,
        services.threshold_decide,
        "Threshold decision recorded",
        "Record the decision",
        show_records=True,
    ),
    "assurance_review": Stage(
        "assurance",
        wf.AssuranceForm,
        services.assurance_review_decide,
        "Assurance review recorded",
        "Record the review",
        show_records=True,
    ),
    "below_threshold_outcome": Stage(
        "below_threshold",
        wf.BelowThresholdForm,
        services.below_threshold_outcome_complete,
        "Outcome recorded and letter sent",
        "Record the outcome and send the letter",
        show_records=True,
    ),
    "risk_assessment": Stage(
        "risk_assessment",
        wf.RiskAssessmentForm,
        services.risk_assessment_complete,
        "Risk assessment recorded",
        "Record the risk assessment",
        show_records=True,
    ),
    "outcome_decision": Stage(
        "outcome",
        wf.OutcomeForm,
        services.outcome_decide,
        "Outcome recorded",
        "Record the outcome",
        show_records=True,
    ),
}


def _stage_form(stage_name: str, stage: Stage, task, data) -> forms.Form:
    referral = task.case.referral
    if stage_name == "la_initial_discussion":
        if InitialDiscussion.objects.filter(referral=referral).exists():
            return wf.ConfirmDiscussionForm(data)
        return wf.InitialDiscussionForm(data)
    if stage_name == "la_safeguarding_checks":
        return wf.SafeguardingForm(data, under_18=referral.is_under_18)
    if stage_name == "below_threshold_outcome":
        return wf.BelowThresholdForm(data, initial={"letter": wf.outcome_letter_draft(referral)})
    return stage.form_class(data)


def _task_context(task, stage_name: str, stage: Stage | None, can_work: bool) -> dict:
    referral = task.case.referral
    context = {
        "task": task,
        "case_task": task.case,
        "referral": referral,
        "stage": stage_name,
        "title": selectors.stage_titles().get(stage_name, stage_name),
        "can_work": can_work and task.case.is_open,
        "case_url": _case_url(referral),
        "submit": stage.submit if stage else "",
    }
    if stage_name == "la_initial_discussion":
        context["discussion"] = (
            InitialDiscussion.objects.filter(referral=referral)
            .select_related("held_by", "held_by_team")
            .first()
        )
    if stage and stage.show_records:
        context["case"] = selectors.case_page_data(referral)
        if stage_name == "assurance_review" and context["case"].threshold_decisions:
            context["decision"] = context["case"].threshold_decisions[-1]
    return context


@login_required
@GET_POST
def task_page(request: HttpRequest, task_pk: int, **kwargs) -> HttpResponse:
    """One page per stage. Also the view of the flow's human nodes (see flows.py)."""
    task = _task_or_404(request.user, task_pk)
    stage_name = task.case.stage
    can_work = can_work_task(request.user, task)
    if not selectors.is_referral_stage(stage_name):
        if can_work and task.case.is_open:
            return redirect("channel:task", task.pk)
        stage = None
    else:
        stage = STAGES[stage_name]
    referral = task.case.referral
    form = None
    status = 200
    if stage is not None and can_work and task.case.is_open:
        form = _stage_form(stage_name, stage, task, _posted(request))
        if request.method == "POST" and form.is_valid():
            try:
                stage.service(task=task, user=request.user, **form.service_kwargs())
            except ApplicationError as exc:
                status = _refused(form, exc)
            else:
                messages.success(request, f"{stage.done} for {referral.reference}")
                return redirect(_case_url(referral))
    elif request.method == "POST":
        raise Forbidden
    if request.method == "GET":
        _record_read(request, referral, f"task: {stage_name}")
    context = _task_context(task, stage_name, stage, can_work)
    context["form"] = form
    template = f"workflows/tasks/{stage.template}.html" if stage else "workflows/tasks/_base.html"
    return render(request, template, context, status=status)
