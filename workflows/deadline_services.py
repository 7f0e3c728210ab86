"""Deadlines: overdue marking and escalation, and pausing the clock while waiting on others."""

from django.db import transaction
from django.utils import timezone

from compliance.services import audit_record
from config.errors import ApplicationError, PermissionDenied
from notifications.services import notification_queue
from referrals.models import InformationRequest, Referral
from regions.models import Team

from .deadlines import working_days_after, working_days_between
from .models import CaseTask, ClockPause
from .permissions import can_view_case, case_team_of, is_adviser_for, is_member


def tasks_mark_overdue() -> int:
    """Mark open, running tasks past their deadline as overdue and tell the team and adviser.

    Idempotent: a task is marked (and notified) once per deadline; running it twice sends
    nothing twice.
    """
    today = timezone.localdate()
    candidates = (
        CaseTask.objects.filter(is_open=True, overdue=False, due_on__lt=today)
        .exclude(pauses__resumed_at__isnull=True, pauses__isnull=False)
        .select_related("referral", "team", "region")
    )
    marked = 0
    for case_task in candidates:
        with transaction.atomic():
            if not CaseTask.objects.filter(pk=case_task.pk, overdue=False).update(overdue=True):
                continue  # another run got there first
            advisers = Team.objects.get(
                kind=Team.Kind.REGIONAL_ADVISERS, region_id=case_task.region_id
            )
            recipients = [
                case_task.team.email,
                advisers.email,
                *case_task.team.members.filter(is_active=True).values_list("email", flat=True),
                *advisers.members.filter(is_active=True).values_list("email", flat=True),
            ]
            reference = case_task.referral.reference or ""
            notification_queue(
                kind="task_overdue",
                dedupe_key=f"overdue:{case_task.pk}:{case_task.due_on}",
                to=recipients,
                subject=f"Overdue Prevent task on {reference}",
                body=(
                    f"A task for referral {reference} owned by {case_task.team.name} was due on "
                    f"{case_task.due_on:%d %B %Y} and is not complete.\n\n"
                    "Sign in to the Prevent referrals service to see it."
                ),
                case_reference=reference,
            )
            audit_record(
                action="task.overdue",
                object_type="viewflow.task",
                object_id=str(case_task.pk),
                case_reference=reference,
                team=case_task.team.name,
                detail={"due_on": case_task.due_on},
            )
            marked += 1
    return marked


@transaction.atomic
def task_clock_pause(
    *,
    case_task: CaseTask,
    user,
    waiting_on: str,
    reason: str,
    information_request: InformationRequest | None = None,
) -> ClockPause:
    if not (is_member(user, case_task.team_id) or is_adviser_for(user, case_task.region_id)):
        raise PermissionDenied()
    if not case_task.is_open:
        raise ApplicationError("This task is already complete.")
    if case_task.pauses.filter(resumed_at__isnull=True).exists():
        raise ApplicationError("The clock on this task is already paused.")
    if not waiting_on.strip():
        raise ApplicationError("Say who the task is waiting on", field="waiting_on")
    if not reason.strip():
        raise ApplicationError("Say what information is awaited", field="reason")
    pause = ClockPause.objects.create(
        case_task=case_task,
        waiting_on=waiting_on.strip(),
        reason=reason.strip(),
        paused_by=user,
        information_request=information_request,
    )
    audit_record(
        actor=user,
        action="task.clock_paused",
        obj=pause,
        case_reference=case_task.referral.reference or "",
        team=case_task.team.name,
        reason=reason,
        detail={"waiting_on": waiting_on},
    )
    return pause


@transaction.atomic
def task_clock_resume(*, case_task: CaseTask, user=None) -> CaseTask:
    """Restart the clock, moving the deadline on by the working days it was stopped."""
    pause = case_task.pauses.filter(resumed_at__isnull=True).first()
    if pause is None:
        raise ApplicationError("The clock on this task is not paused.")
    if user is not None and not (
        is_member(user, case_task.team_id) or is_adviser_for(user, case_task.region_id)
    ):
        raise PermissionDenied()
    now = timezone.now()
    pause.resumed_at = now
    pause.save(update_fields=["resumed_at"])
    stopped = working_days_between(
        timezone.localtime(pause.paused_at).date(), timezone.localtime(now).date()
    )
    if case_task.due_on and stopped:
        case_task.due_on = working_days_after(case_task.due_on, stopped)
    case_task.overdue = bool(case_task.due_on and case_task.due_on < timezone.localdate())
    case_task.save(update_fields=["due_on", "overdue"])
    audit_record(
        actor=user,
        action="task.clock_resumed",
        obj=pause,
        case_reference=case_task.referral.reference or "",
        team=case_task.team.name,
        detail={"working_days_stopped": stopped, "due_on": case_task.due_on},
    )
    return case_task


@transaction.atomic
def information_request_create(*, referral: Referral, user, question: str) -> InformationRequest:
    """Ask the referrer for more information; the asking team's open tasks wait for it."""
    if not can_view_case(user, referral) or case_team_of(user, referral) is None:
        raise PermissionDenied()
    if not question.strip():
        raise ApplicationError("Enter the question for the referrer", field="question")
    request = InformationRequest.objects.create(
        referral=referral, question=question.strip(), requested_by=user
    )
    for case_task in CaseTask.objects.filter(
        referral=referral, is_open=True, team__memberships__user=user
    ):
        if not case_task.pauses.filter(resumed_at__isnull=True).exists():
            task_clock_pause(
                case_task=case_task,
                user=user,
                waiting_on="the referrer",
                reason=question,
                information_request=request,
            )
    notification_queue(
        kind="information_requested",
        dedupe_key=f"information-request:{request.public_id}",
        to=[referral.referrer_email or referral.created_by.email],
        subject=f"More information needed on your Prevent referral {referral.reference}",
        body=(
            f"We need more information about referral {referral.reference}. Sign in to the "
            "Prevent referrals service and open 'Your referrals' to answer."
        ),
        case_reference=referral.reference or "",
    )
    audit_record(
        actor=user,
        action="information.requested",
        obj=request,
        case_reference=referral.reference or "",
        detail={"question": question.strip()},
    )
    return request


def information_received(*, information_request: InformationRequest) -> int:
    """The referrer answered: every task waiting on this request resumes."""
    resumed = 0
    for pause in ClockPause.objects.filter(
        information_request=information_request, resumed_at__isnull=True
    ).select_related("case_task"):
        task_clock_resume(case_task=pause.case_task)
        resumed += 1
    return resumed
