"""Reads of the task engine: one task for its page, a task's clock.

Access is decided by the named predicates in permissions.py; a task outside the user's reach
is None, so the page answers 404 and never reveals that it exists.
"""

from django.db.models import Exists, OuterRef
from viewflow.workflow.models import Task

from referrals.models import Referral

from .models import CaseTask, ClockPause
from .permissions import may_ask_referrer, may_see_task


def task_for_page(task_pk: int):
    """A human task with its case row, or None. Access is decided by the caller."""
    task = (
        Task.objects.select_related(
            "owner",
            "process",
            "case__team",
            "case__region",
            "case__local_authority",
            "case__referral__local_authority",
            "case__referral__region",
        )
        .filter(pk=task_pk)
        .first()
    )
    if task is None or not hasattr(task, "case"):
        return None
    return task


def task_for_user(user, task_pk: int):
    """A case task the user may see now (its team, or the case's current advisers), else None."""
    task = task_for_page(task_pk)
    if task is None or not may_see_task(user, task):
        return None
    return task


def running_pause_exists():
    """Annotation: the CaseTask's clock is stopped."""
    return Exists(ClockPause.objects.filter(case_task=OuterRef("pk"), resumed_at__isnull=True))


def case_task_for_deadlines(user, task_pk: int) -> CaseTask | None:
    """A task whose clock the user may stop or restart: the one who may see the task now (its
    team, or the case's current advisers, while the case is theirs to see), else None."""
    case_task = (
        CaseTask.objects.select_related("referral", "team", "region", "task")
        .filter(task_id=task_pk)
        .first()
    )
    if case_task is None or not may_see_task(user, case_task.task):
        return None
    return case_task


def running_pause(case_task: CaseTask) -> ClockPause | None:
    return case_task.pauses.filter(resumed_at__isnull=True).select_related("paused_by").first()


def case_for_questions(user, public_id) -> Referral | None:
    """A case the user works on, so may ask its referrer a question, else None."""
    referral = Referral.objects.filter(public_id=public_id).first()
    if referral is None or not may_ask_referrer(user, referral):
        return None
    return referral
