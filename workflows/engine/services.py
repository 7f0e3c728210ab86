"""The task engine: opening, claiming, assigning and completing human tasks, for every process.

Viewflow transitions called from code do not check permissions, so each function here checks
the acting user itself (through the named predicates) and writes its audit event in the same
transaction. Completion is written once: `task_completion` holds the process lock while a
step's service checks its rules and writes its records, then moves the flow on.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from guardian.models import GroupObjectPermission
from guardian.shortcuts import assign_perm, remove_perm
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from compliance.audit import audit_record
from config.errors import ApplicationError, PermissionDenied
from notifications.services import notification_queue
from referrals.models import Referral, ReferralStatus
from regions.selectors import route_local_authority

from .deadlines import deadline_for
from .models import OPEN_STATUSES, CaseTask
from .permissions import (
    SEE_TASK,
    WORK_TASK,
    is_member,
    is_task_region_adviser,
    is_task_team_member,
)
from .registry import step_for


def case_audit(action: str, *, user, referral: Referral, obj=None, reason: str = "", **detail):
    """An audit event about a case, by a user, with the case's reference."""
    return audit_record(
        actor=user,
        action=action,
        obj=obj or referral,
        case_reference=referral.reference or "",
        reason=reason,
        detail=detail,
    )


# How a case can leave a process and still be in the programme: at Channel, or in a police-led
# partnership. Every other outcome closes it.
CONTINUING_OUTCOMES = frozenset({"channel", "police_led"})


def case_status_record(*, referral: Referral, outcome: str) -> None:
    """The case's status, derived in this one place from how it left its latest process."""
    continuing = outcome in CONTINUING_OUTCOMES
    referral.status = ReferralStatus.IN_PROGRESS if continuing else ReferralStatus.CLOSED
    referral.closed_at = None if continuing else timezone.now()
    referral.save(update_fields=["status", "closed_at", "updated_at"])


def task_referral(task) -> Referral:
    return task.case.referral


def task_check_open(task) -> None:
    if task.status not in OPEN_STATUSES:
        raise ApplicationError("This task has already been completed.")


# --- Opening --------------------------------------------------------------------------------


def case_task_open(*, task, referral: Referral, team_kind: str) -> CaseTask:
    """Record who owns a new human task and grant that team, and only that team, access."""
    route = route_local_authority(referral.local_authority)
    team = route.team(team_kind)
    case_task = CaseTask.objects.create(
        task=task,
        referral=referral,
        team=team,
        region=route.region,
        local_authority=route.local_authority,
        stage=task.flow_task.name,
        due_on=deadline_for(task.flow_task.name, timezone.localdate()),
    )
    assign_perm(WORK_TASK, team.group, task)
    assign_perm(SEE_TASK, team.group, task)
    audit_record(
        action="task.created",
        obj=task,
        case_reference=referral.reference or "",
        team=team.name,
        detail={"stage": case_task.stage, "due_on": case_task.due_on},
    )
    _notify_team_of_task(case_task, title=str(task.flow_task.task_title or case_task.stage))
    return case_task


def _notify_team_of_task(case_task: CaseTask, *, title: str) -> None:
    team = case_task.team
    recipients = [team.email, *team.members.filter(is_active=True).values_list("email", flat=True)]
    notification_queue(
        kind="task_created",
        dedupe_key=f"task-created:{case_task.task_id}",
        to=recipients,
        subject=f"New Prevent task: {title} ({case_task.referral.reference})",
        body=(
            f"A new task, '{title}', for referral {case_task.referral.reference} is waiting for "
            f"{team.name}.\n\nDue by {case_task.due_on:%d %B %Y}.\n\n"
            "Sign in to the Prevent referrals service to see it. Do not reply to this email."
        )
        if case_task.due_on
        else f"A new task, '{title}', is waiting for {team.name}.",
        case_reference=case_task.referral.reference or "",
    )


def _case_task_close(task) -> None:
    case_task = CaseTask.objects.select_related("team__group").filter(task=task).first()
    if case_task is None:  # a complaint step: no team queue row
        return
    case_task.is_open = False
    case_task.overdue = False
    case_task.save(update_fields=["is_open", "overdue"])
    remove_perm(WORK_TASK, case_task.team.group, task)
    remove_perm(SEE_TASK, case_task.team.group, task)


# --- Claiming and assigning -----------------------------------------------------------------


@transaction.atomic
def task_claim(*, task, user) -> None:
    if not is_task_team_member(user, task):
        raise PermissionDenied()
    with task.activation() as activation:  # locks the process row and re-reads the task
        task_check_open(task)
        if task.owner_id:
            who = "you" if task.owner_id == user.pk else task.owner.get_full_name()
            raise ApplicationError(f"This task has already been claimed by {who}.")
        activation.assign(user)
    case_audit(
        "task.claimed", user=user, referral=task_referral(task), obj=task, stage=task.flow_task.name
    )


@transaction.atomic
def task_unclaim(*, task, user) -> None:
    if not (task.owner_id == user.pk or is_task_region_adviser(user, task)):
        raise PermissionDenied()
    with task.activation() as activation:
        task_check_open(task)
        if not task.owner_id:
            raise ApplicationError("This task is not claimed by anyone.")
        activation.unassign()
    case_audit("task.unclaimed", user=user, referral=task_referral(task), obj=task)


@transaction.atomic
def tasks_assign(*, tasks: Iterable, assignee, user, reason: str = "") -> int:
    """An adviser assigns or reassigns tasks (one or many), e.g. to cover an absent colleague.

    The assignee must belong to the team that owns each task. All or nothing.
    """
    count = 0
    for task in tasks:
        case_task = task.case
        if not is_task_region_adviser(user, task):
            raise PermissionDenied()
        if not is_member(assignee, case_task.team_id):
            raise ApplicationError(
                f"{assignee.get_full_name()} is not in {case_task.team.name}, so cannot be "
                f"given '{task.flow_task.task_title}' on {case_task.referral.reference}.",
                field="assignee",
            )
        with task.activation() as activation:
            task_check_open(task)
            previous = task.owner.email if task.owner_id else None
            if task.status == STATUS.NEW:
                activation.assign(assignee)
            else:
                activation.reassign(assignee)
        case_audit(
            "task.assigned",
            user=user,
            referral=case_task.referral,
            obj=task,
            reason=reason,
            assignee=assignee.email,
            previous_owner=previous,
        )
        count += 1
    return count


# --- Completing -------------------------------------------------------------------------------


@contextmanager
def task_completion(task, user) -> Iterator[None]:
    """Complete `task` as `user` around the caller's own checks and writes.

    The process row is locked first (Viewflow's SELECT ... FOR UPDATE), the task re-read and
    checked open and not someone else's; the caller's block then validates and writes; on
    leaving it the task is claimed if nobody had, started, closed in the queues and executed.
    Whoever may complete the step is the caller's to check, before entering.
    """
    with task.activation() as activation:
        task_check_open(task)
        if task.owner_id and task.owner_id != user.pk:
            raise ApplicationError(
                f"This task is assigned to {task.owner.get_full_name()}. Ask them or your "
                "regional adviser to reassign it."
            )
        yield
        if task.status == STATUS.NEW:
            activation.assign(user)
        if task.status == STATUS.ASSIGNED:
            activation.start(None)
        _case_task_close(task)
        activation.execute()


def task_work_check(*, task, user) -> Referral:
    """Refuse anyone but those the task's step allows (its registry entry's predicate).

    The one place a step's "who may complete it" is enforced, for pages, API and code alike.
    """
    step = step_for(task)
    if step is None or not step.may_work(user, task):
        raise PermissionDenied()
    return task_referral(task)


def task_complete(*, task, user, stage: str, **detail) -> None:
    """Finish a case task as `user` once its records are written, and audit it."""
    if task.flow_task.name != stage:
        raise ApplicationError("This page is for a different task.")
    task_work_check(task=task, user=user)
    with task_completion(task, user):
        pass
    case_audit(
        "task.completed", user=user, referral=task_referral(task), obj=task, stage=stage, **detail
    )


def tasks_move_to(*, referral: Referral, route) -> None:
    """After a transfer, the case's open tasks belong to the new area's teams.

    Claimed tasks whose owner is not in the new team go back to the new team's queue. Every
    other grant on the case's tasks is removed: a completed task has none (its team's went when
    it closed), so nothing of the old area's is left on any task. Completed tasks move to the
    new area too, keeping the team that did them as history; no rule reads that for access.
    """
    open_tasks = CaseTask.objects.filter(referral=referral, is_open=True).select_related(
        "task", "team__group"
    )
    for case_task in open_tasks:
        new_team = route.team(case_task.team.kind)
        task = case_task.task
        remove_perm(WORK_TASK, case_task.team.group, task)
        remove_perm(SEE_TASK, case_task.team.group, task)
        assign_perm(WORK_TASK, new_team.group, task)
        assign_perm(SEE_TASK, new_team.group, task)
        if task.owner_id and not is_member(task.owner, new_team.id):
            with task.activation() as activation:
                activation.unassign()
        case_task.team, case_task.region = new_team, route.region
        case_task.local_authority = route.local_authority
        case_task.save(update_fields=["team", "region", "local_authority"])
    CaseTask.objects.filter(referral=referral, is_open=False).update(
        region=route.region, local_authority=route.local_authority
    )
    kept = Q(pk__in=[])
    for case_task in open_tasks:  # now the new teams'
        kept |= Q(object_pk=str(case_task.task_id), group_id=case_task.team.group_id)
    _grants_on_tasks(referral).exclude(kept).delete()


def _grants_on_tasks(referral: Referral):
    """The group grants on every task of the case, open or done."""
    task_ids = CaseTask.objects.filter(referral=referral).values_list("task_id", flat=True)
    return GroupObjectPermission.objects.filter(
        content_type=ContentType.objects.get_for_model(Task),
        object_pk__in=[str(pk) for pk in task_ids],
    )
