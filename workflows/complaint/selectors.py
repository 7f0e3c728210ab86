"""Reads behind the complaint pages: the unit's list, one complaint, and its open steps."""

from django.db.models import QuerySet
from viewflow.workflow.models import Task

from compliance.models import Complaint, ComplaintStatus

from ..engine.models import OPEN_STATUSES


def complaints_for_unit(*, status: str = "") -> QuerySet[Complaint]:
    complaints = Complaint.objects.select_related("investigator", "linked_referral")
    if status == "open":
        complaints = complaints.exclude(status=ComplaintStatus.CLOSED)
    elif status:
        complaints = complaints.filter(status=status)
    return complaints.order_by("respond_by", "received_at")


def complaint_by_reference(reference: str) -> Complaint | None:
    return (
        Complaint.objects.select_related(
            "investigator", "linked_referral", "triaged_by", "finding_by", "submitted_by"
        )
        .filter(reference=reference.strip().upper())
        .first()
    )


def complaint_open_tasks(complaint: Complaint) -> dict[str, Task]:
    """The complaint's open steps, by step name (usually exactly one)."""
    process = getattr(complaint, "process", None)
    if process is None:
        return {}
    tasks = Task.objects.filter(process_id=process.pk, status__in=OPEN_STATUSES)
    tasks = list(tasks.select_related("owner"))
    for task in tasks:
        task.complaint = complaint  # spares complaint_of_task a query
    return {task.flow_task.name: task for task in tasks}


def complaint_open_task(complaint: Complaint, step: str) -> Task | None:
    return complaint_open_tasks(complaint).get(step)


def complaint_of_task(task) -> Complaint:
    """The complaint a task of the complaint flow is about."""
    if isinstance(getattr(task, "complaint", None), Complaint):
        return task.complaint
    return Complaint.objects.select_related("investigator").get(process__pk=task.process_id)


def complaints_open_steps(complaints: list[Complaint]) -> dict[int, list[Task]]:
    """The open steps of several complaints, by complaint id, in one query (for a list)."""
    by_process = {c.process.pk: c for c in complaints if getattr(c, "process", None)}
    steps: dict[int, list[Task]] = {c.pk: [] for c in complaints}
    open_tasks = Task.objects.filter(process_id__in=list(by_process), status__in=OPEN_STATUSES)
    for task in open_tasks.select_related("owner").order_by("pk"):
        complaint = by_process[task.process_id]
        task.complaint = complaint
        steps[complaint.pk].append(task)
    return steps
