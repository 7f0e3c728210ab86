"""Reads behind the API. Each returns a queryset with its joins fixed, so counts stay flat."""

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user
from viewflow.workflow.models import Task

from compliance.selectors import break_glass_live_grants, is_compliance_officer
from referrals.models import Referral
from workflows.models import CaseTask
from workflows.permissions import VIEW_CASE, WORK_TASK


def cases_for_user(user) -> QuerySet[Referral]:
    """Referrals the user's teams (or a break-glass grant) give them sight of."""
    visible = get_objects_for_user(
        user, VIEW_CASE, klass=Referral, accept_global_perms=False, with_superuser=False
    )
    if is_compliance_officer(user):
        # Their permission only mirrors a grant; the grant's own expiry decides.
        visible = visible.filter(pk__in=break_glass_live_grants(user).values("referral_id"))
    return visible.select_related("local_authority", "region", "process").order_by(
        "-submitted_at", "-pk"
    )


def open_tasks_for_user(user) -> QuerySet[CaseTask]:
    """Open tasks the user may work: those granted to their teams."""
    tasks = get_objects_for_user(
        user, WORK_TASK, klass=Task, accept_global_perms=False, with_superuser=False
    )
    return (
        CaseTask.objects.filter(is_open=True, task__in=tasks)
        .select_related("task__owner", "referral", "team", "local_authority")
        .order_by("due_on", "created_at")
    )
