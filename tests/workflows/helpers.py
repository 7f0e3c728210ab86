from viewflow.workflow.models import Task

from workflows.models import CaseTask


def open_tasks(referral) -> dict[str, Task]:
    return {
        ct.stage: ct.task
        for ct in CaseTask.objects.filter(referral=referral, is_open=True).select_related("task")
    }


def open_task(referral, stage: str) -> Task:
    tasks = open_tasks(referral)
    assert stage in tasks, f"no open {stage} task; open: {sorted(tasks)}"
    return Task.objects.get(pk=tasks[stage].pk)
