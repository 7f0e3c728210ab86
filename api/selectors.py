"""Reads behind the API. Each returns a queryset with its joins fixed, so counts stay flat.

Which cases and tasks a user may see come from the same named rules as the pages
(workflows/engine/permissions.py).
"""

from django.db.models import Prefetch, QuerySet
from viewflow.workflow.models import Task

from referrals.models import Referral
from workflows.engine.models import CaseTask
from workflows.engine.permissions import cases_visible_to, tasks_workable_by
from workflows.engine.registry import step_for
from workflows.referral.permissions import disclosures_visible
from workflows.referral.selectors import CaseReader, case_police_records

from .models import ApiClient, WebhookAttempt, WebhookDelivery, WebhookEndpoint


def cases_for_user(user) -> QuerySet[Referral]:
    """Referrals the user's teams (or a live break-glass grant) give them sight of."""
    return (
        cases_visible_to(user)
        .select_related("local_authority", "region", "process")
        .order_by("-submitted_at", "-pk")
    )


def open_tasks_for_user(user) -> QuerySet[CaseTask]:
    """Open case tasks the user may work: those of their teams."""
    return (
        tasks_workable_by(user)
        .select_related("task__owner", "referral", "team", "local_authority")
        .order_by("due_on", "created_at")
    )


def task_to_complete(user, task_pk: int):
    """Any process's task (referral, Channel, complaint) whose step `user` may complete, else
    None: the step's own predicate decides, as on its page."""
    task = Task.objects.select_related("process", "owner").filter(pk=task_pk).first()
    if task is None:
        return None
    step = step_for(task)
    if step is None or not step.may_work(user, task):
        return None
    return task


def case_detail_records(referral: Referral, reader: CaseReader) -> dict:
    """What the case detail adds for this reader: the disclosures it may see, and the police
    records only for a reader with need to know (None otherwise, never read)."""
    return {
        "disclosures": list(disclosures_visible(referral, reader.audiences)),
        "police": case_police_records(referral) if reader.police_records else None,
    }


def webhook_endpoints_for_client(client: ApiClient) -> QuerySet[WebhookEndpoint]:
    """The client's own active endpoints; anyone else's are not found."""
    return WebhookEndpoint.objects.filter(client=client, is_active=True)


def webhook_deliveries_for_endpoint(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries, newest first, each with its tries in one more query."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).prefetch_related(
        Prefetch("tries", queryset=WebhookAttempt.objects.order_by("-attempted_at", "-pk"))
    )
