"""Task clocks: overdue marking and escalation, pausing the clock while waiting on others, and
the referrer's answer that restarts it."""

from django.db import transaction
from django.utils import timezone

from accounts.roles import Role
from compliance.audit import audit_record
from config.errors import ApplicationError, PermissionDenied, Problems
from notifications.services import notification_queue
from referrals.forms import InformationAnswerForm
from referrals.models import InformationRequest, Referral, ReferralStatus
from referrals.permissions import is_author, is_referrer
from referrals.services import validated
from regions.models import Team

from .deadlines import working_days_after, working_days_between
from .locking import case_lock
from .models import CaseTask, ClockPause
from .permissions import may_ask_referrer, may_see_task


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
            case_lock(case_task.referral)
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
    case_lock(case_task.referral)
    if not may_see_task(user, case_task.task):
        raise PermissionDenied()
    if not case_task.is_open:
        raise ApplicationError("This task is already complete.")
    if case_task.pauses.filter(resumed_at__isnull=True).exists():
        raise ApplicationError("The clock on this task is already paused.")
    problems = Problems()
    waiting_on = problems.required(waiting_on, "waiting_on", "Say who the task is waiting on")
    reason = problems.required(reason, "reason", "Say what information is awaited")
    problems.raise_any()
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
    case_lock(case_task.referral)
    pause = case_task.pauses.filter(resumed_at__isnull=True).first()
    if pause is None:
        raise ApplicationError("The clock on this task is not paused.")
    if user is not None and not may_see_task(user, case_task.task):
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
    case_lock(referral)
    if not may_ask_referrer(user, referral):
        raise PermissionDenied()
    problems = Problems()
    question = problems.required(question, "question", "Enter the question for the referrer")
    problems.raise_any()
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


def information_request_answer(
    *, user, information_request: InformationRequest, answer: str
) -> InformationRequest:
    """The referrer answers a question put to them about their referral."""
    form = validated(InformationAnswerForm(data={"answer": answer}))
    with transaction.atomic():
        case_lock(information_request.referral)
        locked = (
            InformationRequest.objects.select_for_update()
            .select_related("referral", "requested_by")
            .filter(pk=information_request.pk)
            .first()
        )
        if locked is None or not (is_referrer(user) and is_author(user, locked.referral)):
            raise PermissionDenied()
        if locked.answered_at is not None:
            raise ApplicationError("You have already answered this question", field="answer")
        if locked.referral.status not in {ReferralStatus.SUBMITTED, ReferralStatus.IN_PROGRESS}:
            raise ApplicationError(
                "This referral is closed, so answers can no longer be added", field="answer"
            )
        locked.answer = form.cleaned_data["answer"]
        locked.answered_at = timezone.now()
        locked.save(update_fields=["answer", "answered_at"])
        reference = locked.referral.reference or ""
        audit_record(
            actor=user,
            action="information_request.answered",
            obj=locked,
            case_reference=reference,
            role=Role.REFERRER,
            detail={"referral": str(locked.referral.public_id)},
        )
        # Task clocks paused while waiting for this answer start again.
        information_received(information_request=locked)
        notification_queue(
            kind="information_request_answered",
            dedupe_key=f"information-request-answered:{locked.public_id}",
            to=[locked.requested_by.email],
            subject=f"The referrer has answered your question on {reference}",
            body=(
                f"The referrer has answered your question on referral {reference}.\n\n"
                "Sign in to the service to read the answer."
            ),
            case_reference=reference,
        )
    return locked
