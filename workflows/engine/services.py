"""The task engine: opening, claiming, assigning and completing human tasks, for every process.

Viewflow transitions called from code do not check permissions, so each function here checks
the acting user itself (through the named predicates) and writes its audit event in the same
transaction. Completion is written once: `task_completion` holds the process lock while a
step's service checks its rules and writes its records, then moves the flow on.

Every write takes the case's process row first (workflows/engine/locking.py): `task_work_check`
and `task_completion` lock it before anything else, and `case_audit` refuses an event about a
case whose process row is not locked. Grants are written in bulk (grants.py).
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.status import STATUS

from api.events import webhook_events_record
from api.models import WebhookEvent
from config.errors import ApplicationError, PermissionDenied
from referrals.models import Referral, ReferralStatus
from referrals.selectors import referral_plain_status, referral_route

from .deadlines import deadline_for
from .locking import case_lock, case_lock_check, task_lock
from .models import OPEN_STATUSES, CaseTask
from .permissions import is_member, is_task_region_adviser, is_task_team_member, task_case
from .registry import step_for
from .writes import event_record, notify, writes_together


def case_audit(
    action: str,
    *,
    user=None,
    referral: Referral,
    obj=None,
    reason: str = "",
    team: str = "",
    **detail,
):
    """An audit event about a case, by a user (None: the service itself), with its reference.

    Only once this transaction holds the case's process row: the audit chain's lock is held
    to commit, so taking it before the process row is the deadlock the lock order forbids.
    Inside `writes_together` the event is appended with the operation's others, at its end.
    """
    case_lock_check(referral)
    event = {
        "actor": user,
        "action": action,
        "obj": obj or referral,
        "case_reference": referral.reference or "",
        "reason": reason,
        "team": team,
        "detail": detail,
    }
    event_record(event)


# How a case can leave a process and still be in the programme: at Channel, or in a police-led
# partnership. Every other outcome closes it.
CONTINUING_OUTCOMES = frozenset({"channel", "police_led"})


def case_status_record(*, referral: Referral, outcome: str) -> None:
    """The case's status, derived in this one place from how it left its latest process.

    A change the referrer would see (its plain status) is told to the webhooks of the API
    client that made the referral, in this transaction.
    """
    continuing = outcome in CONTINUING_OUTCOMES
    before = referral_plain_status(referral)
    referral.status = ReferralStatus.IN_PROGRESS if continuing else ReferralStatus.CLOSED
    referral.closed_at = None if continuing else timezone.now()
    referral.save(update_fields=["status", "closed_at", "updated_at"])
    if referral_plain_status(referral) != before:
        webhook_events_record(referral=referral, event_type=WebhookEvent.REFERRAL_STATUS_CHANGED)


def task_referral(task) -> Referral:
    return task_case(task).referral


def task_check_open(task) -> None:
    if task.status not in OPEN_STATUSES:
        raise ApplicationError("This task has already been completed.")


# --- Opening --------------------------------------------------------------------------------


def case_task_open(*, task, referral: Referral, team_kind: str) -> CaseTask:
    """Record which team's queue a new human task is in: that team, and only that team, may
    work it (`is_task_team_member` reads this row)."""
    route = referral_route(referral)
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
    case_audit(
        "task.created",
        referral=referral,
        obj=task,
        team=team.name,
        stage=case_task.stage,
        due_on=case_task.due_on,
    )
    _notify_team_of_task(case_task, title=str(task.flow_task.task_title or case_task.stage))
    return case_task


def _notify_team_of_task(case_task: CaseTask, *, title: str) -> None:
    team = case_task.team
    notify(
        kind="task_created",
        dedupe_key=f"task-created:{case_task.task_id}",
        to=[team.email],
        teams=[team.pk],
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
    """Out of the queues, and so out of its team's hands: one UPDATE (none for a complaint
    step, which has no queue row)."""
    CaseTask.objects.filter(task=task).update(is_open=False, overdue=False)


# --- Claiming and assigning -----------------------------------------------------------------


@transaction.atomic
def task_claim(*, task, user) -> None:
    task_lock(task)
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
    task_lock(task)
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

    The assignee must belong to the team that owns each task. All or nothing. The tasks'
    process rows are locked first, all of them, in one order (by process), so two advisers
    assigning overlapping tasks queue instead of deadlocking.
    """
    tasks = sorted(tasks, key=lambda t: (t.process_id, t.pk))
    for task in tasks:
        task_lock(task)
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

    The process row is locked first (a no-op when the step's service already holds it), the
    task re-read and checked open and not someone else's; the caller's block then validates
    and writes; on leaving it the task is claimed if nobody had, started, closed in the queues
    and executed. Whoever may complete the step is the caller's to check, before entering.
    """
    task_lock(task)
    case = task_case(task)
    with writes_together(), task.activation() as activation:
        process = activation.process
        if case is not None and getattr(process, "referral_id", None) == case.referral_id:
            process.referral = case.referral  # the step's own case: the tasks it opens read it
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
    Every step's service calls it (or `task_complete`) first, so it takes the process lock
    first: nothing of the step is written before its process row is held.
    """
    task_lock(task)
    step = step_for(task)
    if step is None or not step.may_work(user, task):
        raise PermissionDenied()
    return task_referral(task)


def task_complete(*, task, user, stage: str, **detail) -> None:
    """Finish a case task as `user` once its records are written, and audit it."""
    if task.flow_task.name != stage:
        raise ApplicationError("This page is for a different task.")
    referral = task_work_check(task=task, user=user)
    with writes_together():  # the completion's event in one INSERT with those of the tasks
        with task_completion(task, user):
            pass
        case_audit("task.completed", user=user, referral=referral, obj=task, stage=stage, **detail)


def tasks_move_to(*, referral: Referral, route) -> None:
    """After a transfer, the case's open tasks belong to the new area's teams.

    Claimed tasks whose owner is not in the new team go back to the new team's queue. The
    caller holds the case's process row (case_lock); the queue rows move in one UPDATE per
    team, and with them who may work each task (`is_task_team_member`). Completed tasks move
    to the new area too, keeping the team that did them as history; no rule reads that for
    access.
    """
    case_lock(referral)
    open_tasks = list(
        CaseTask.objects.filter(referral=referral, is_open=True).select_related(
            "task__owner", "team"
        )
    )
    moved: dict[int, list[int]] = {}
    for case_task in open_tasks:
        new_team = route.team(case_task.team.kind)
        task = case_task.task
        if task.owner_id and not is_member(task.owner, new_team.id):
            with task.activation() as activation:
                activation.unassign()
        moved.setdefault(new_team.pk, []).append(case_task.pk)
    for team_id, pks in moved.items():
        CaseTask.objects.filter(pk__in=pks).update(
            team_id=team_id, region=route.region, local_authority=route.local_authority
        )
    CaseTask.objects.filter(referral=referral, is_open=False).update(
        region=route.region, local_authority=route.local_authority
    )
