"""Pages of a case: your tasks, the adviser's queue, the case page and the actions on a case.

Each task's own page is the engine's (workflows/engine/views.py), dispatched through the
stage registry.

Views are thin. Selectors decide what a user may see: a case or task outside the user's
reach is a 404, so its existence is never revealed. Services decide and record everything
else: their refusal is shown in the GOV.UK error summary against the field it names, nothing
is saved, and success redirects with a notification banner (POST-redirect-GET).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from compliance.selectors import break_glass_active
from compliance.services import case_read_record
from config.errors import ApplicationError
from config.forms import ServiceForm, posted, refused
from referrals.models import Referral

from ..engine.permissions import CaseRoles, adviser_region_ids, case_roles, team_ids_of
from ..engine.registry import stage_titles
from ..engine.services import tasks_assign
from ..engine.views import case_url, safe_next
from . import forms as wf
from . import selectors, services

GET_POST = require_http_methods(["GET", "POST"])


def _record_read(request: HttpRequest, referral: Referral, what: str) -> None:
    """Reading case content is itself an audited event (DESIGN.md §6), break-glass flagged."""
    case_read_record(user=request.user, referral=referral, what=what, via="web")


# --- Your tasks ------------------------------------------------------------------------------


@login_required
@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    """The open tasks of the user's teams; people in no team (referrers, the unit) are refused."""
    if not team_ids_of(request.user):
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
    titles = stage_titles()
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
            "my_team_ids": team_ids_of(user),
            "this_url": (
                safe_next(request, reverse("workflows:queue"))
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
                count = tasks_assign(
                    tasks=tasks,
                    assignee=assignee,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as exc:
                status = refused(form, exc)
            else:
                noun = "task" if count == 1 else "tasks"
                messages.success(request, f"{count} {noun} assigned to {assignee.full_name}")
                return redirect(safe_next(request, reverse("workflows:queue")))
    return _queue_page(request, assign_form=form, status=status)


# --- The case page --------------------------------------------------------------------------


@login_required
@require_GET
def case_detail(request: HttpRequest, public_id) -> HttpResponse:
    """The case as this reader may see it: police records only for the police and advisers,
    what the police shared for everyone else (need to know)."""
    referral = selectors.case_for_user(request.user, public_id)
    roles = case_roles(request.user, referral)
    grant = None if roles.staff else break_glass_active(user=request.user, referral=referral)
    _record_read(request, referral, "case page")
    reader = selectors.CaseReader.of(roles, break_glass=grant is not None)
    data = selectors.case_page_data(referral, reader)
    return render(
        request,
        "workflows/case.html",
        {
            "referral": referral,
            "case": data,
            "roles": roles,
            "break_glass": grant,
            "timeline": selectors.case_timeline(referral, reader),
            "diagram": selectors.case_diagram_svg(referral),
            "titles": stage_titles(),
        },
    )


# --- Actions on the case ----------------------------------------------------------------------


@dataclass(frozen=True)
class CaseAction:
    title: str
    submit: str
    done: str
    allowed: Callable[[CaseRoles, selectors.CasePage | None], bool]
    form: Callable[[Any, Referral], ServiceForm]
    save: Callable[[Referral, Any, dict], Any]
    intro: str = ""
    # Said instead of `intro` to the case's police (their notes stay police records).
    intro_for_police: str = ""
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
    "share": CaseAction(
        title="Share police information with partners",
        submit="Share the information",
        done="Police information shared",
        allowed=lambda roles, _: roles.police,
        form=lambda data, _: wf.DisclosureForm(data),
        save=lambda referral, user, d: services.disclosure_record(
            referral=referral, user=user, **d
        ),
        intro="Partners never see police records. Share here what the local authority or the "
        "Channel panel need to know now, for example after new information, and the lawful "
        "basis for sharing it. It is recorded in the disclosure log.",
    ),
    "note": CaseAction(
        title="Add a case note",
        submit="Add the note",
        done="Note added",
        allowed=lambda roles, _: roles.staff,
        form=lambda data, _: wf.CaseNoteForm(data),
        save=lambda referral, user, d: services.case_note_add(referral=referral, user=user, **d),
        intro_for_police="Notes the police add are police records: only the police and the "
        "regional advisers see them. To tell partners something, share it with them instead.",
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
    roles = case_roles(request.user, referral)
    reader = selectors.CaseReader.of(roles)
    page = selectors.case_page_data(referral, reader) if action.needs_page else None
    if not action.allowed(roles, page):
        raise Forbidden
    form = action.form(posted(request), referral)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            action.save(referral, request.user, form.service_kwargs())
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            messages.success(request, f"{action.done} for {referral.reference}")
            return redirect(case_url(referral))
    return render(
        request,
        "workflows/case_action.html",
        {
            "referral": referral,
            "action": action,
            "intro": (roles.police and action.intro_for_police) or action.intro,
            "form": form,
            "case_url": case_url(referral),
        },
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
case_share = _action_view("share")
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
    if not case_roles(request.user, referral).adviser:
        raise Forbidden
    duplicate = selectors.duplicate_for_case(referral, duplicate_pk)
    form = wf.DuplicateForm(posted(request))
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
            status = refused(form, exc)
        else:
            verdict = (
                "the same person" if duplicate.decision == "confirmed" else "a different person"
            )
            messages.success(
                request,
                f"{duplicate.earlier.reference} recorded as {verdict} as {referral.reference}",
            )
            return redirect(case_url(referral))
    return render(
        request,
        "workflows/duplicate.html",
        {
            "referral": referral,
            "duplicate": duplicate,
            "form": form,
            "case_url": case_url(referral),
        },
        status=status,
    )
