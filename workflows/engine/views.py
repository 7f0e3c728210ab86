"""The task engine's pages: one task page for every step of every case process, claiming and
releasing a task, and stopping or restarting its clock.

The task page dispatches through the stage registry: the step's form parses the answers, its
service applies the rules and completes the task, and a refusal is shown in the GOV.UK error
summary with nothing saved. A task outside the user's reach is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from compliance.services import case_read_record
from config.errors import ApplicationError, PermissionDenied
from config.forms import posted, refused

from . import clocks, selectors, services
from .forms import AskReferrerForm, PauseForm
from .registry import stage_titles, step_complete, step_for

GET_POST = require_http_methods(["GET", "POST"])


def case_url(referral) -> str:
    return reverse("workflows:case", args=[referral.public_id])


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _task_or_404(user, task_pk: int):
    task = selectors.task_for_user(user, task_pk)
    if task is None:
        raise Http404("No such task")
    return task


# --- The task page ------------------------------------------------------------------------------


@login_required
@GET_POST
def task_page(request: HttpRequest, task_pk: int, **kwargs) -> HttpResponse:
    """One page per step, worked through the step's registry entry. Also the view of the
    flows' human nodes, so Viewflow's own links land here."""
    task = _task_or_404(request.user, task_pk)
    step = step_for(task)
    referral = task.case.referral
    workable = step is not None and task.case.is_open and step.may_work(request.user, task)
    form, status = None, 200
    if workable:
        form = step.form(task, posted(request), request.user)
        if request.method == "POST":
            try:
                done = step_complete(step, task, request.user, form)
            except PermissionDenied as exc:
                done, status = False, refused(form, exc)
            if done:
                messages.success(request, f"{step.done} for {referral.reference}")
                after = step.after(task, request.user) if step.after else case_url(referral)
                return redirect(after)
    elif request.method == "POST":
        raise Forbidden
    if request.method == "GET":
        case_read_record(user=request.user, referral=referral, what=f"task: {task.case.stage}")
    context = {
        "task": task,
        "case_task": task.case,
        "referral": referral,
        "stage": task.case.stage,
        "title": stage_titles().get(task.case.stage, task.case.stage),
        "can_work": workable,
        "case_url": case_url(referral),
        "submit": step.submit if step else "",
        "form": form,
        **(step.context(task, request.user) if step else {}),
    }
    template = step.template if workable else "workflows/tasks/_base.html"
    return render(request, template, context, status=status)


# --- Claiming -----------------------------------------------------------------------------------


def _claim_action(request: HttpRequest, task_pk: int, service, done: str) -> HttpResponse:
    task = _task_or_404(request.user, task_pk)
    reference = task.case.referral.reference
    title = stage_titles().get(task.case.stage, task.case.stage)
    try:
        service(task=task, user=request.user)
    except ApplicationError as exc:
        messages.warning(request, f"{title} ({reference}): {exc.message}")
    else:
        messages.success(request, f"{title} ({reference}) {done}")
    return redirect(safe_next(request, reverse("workflows:task", args=[task.pk])))


@login_required
@require_POST
def task_claim(request: HttpRequest, task_pk: int) -> HttpResponse:
    return _claim_action(request, task_pk, services.task_claim, "claimed by you")


@login_required
@require_POST
def task_unclaim(request: HttpRequest, task_pk: int) -> HttpResponse:
    return _claim_action(request, task_pk, services.task_unclaim, "released to the team")


# --- The task's clock ---------------------------------------------------------------------------


def _deadline_task_or_404(user, task_pk: int):
    case_task = selectors.case_task_for_deadlines(user, task_pk)
    if case_task is None:
        raise Http404
    return case_task


def _task_url(case_task) -> str:
    return reverse("workflows:task", args=[case_task.task_id])


@login_required
@GET_POST
def task_pause(request: HttpRequest, task_pk: int) -> HttpResponse:
    case_task = _deadline_task_or_404(request.user, task_pk)
    form = PauseForm(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            clocks.task_clock_pause(case_task=case_task, user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            messages.success(request, "The clock on this task is paused")
            return redirect(_task_url(case_task))
    return render(
        request,
        "workflows/channel/pause.html",
        {
            "case_task": case_task,
            "form": form,
            "pause": selectors.running_pause(case_task),
            "task_url": _task_url(case_task),
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
            case_task = clocks.task_clock_resume(case_task=case_task, user=request.user)
        except ApplicationError as exc:
            errors.append({"text": exc.message})
            status = 403 if isinstance(exc, PermissionDenied) else 200
        else:
            due = f" It is now due by {case_task.due_on:%-d %B %Y}." if case_task.due_on else ""
            messages.success(request, f"The clock on this task has restarted.{due}")
            return redirect(_task_url(case_task))
    return render(
        request,
        "workflows/channel/resume.html",
        {
            "case_task": case_task,
            "pause": selectors.running_pause(case_task),
            "errors": errors,
            "task_url": _task_url(case_task),
        },
        status=status,
    )


# --- Asking the referrer ------------------------------------------------------------------------


@login_required
@GET_POST
def ask_referrer(request: HttpRequest, public_id) -> HttpResponse:
    referral = selectors.case_for_questions(request.user, public_id)
    if referral is None:
        raise Http404
    form = AskReferrerForm(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            clocks.information_request_create(
                referral=referral, user=request.user, question=form.cleaned_data["question"]
            )
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            messages.success(
                request, f"Your question has been sent to the referrer of {referral.reference}"
            )
            return redirect(case_url(referral))
    return render(
        request,
        "workflows/channel/ask_referrer.html",
        {"referral": referral, "form": form, "case_url": case_url(referral)},
        status=status,
    )
