"""The node every human step of a case process is: a Viewflow View whose page is the engine's
task page, and whose task is given to the team its registry entry names when it opens."""

from viewflow.workflow import flow

from .registry import step_for_node
from .services import case_task_open
from .views import task_page


def task_opened(activation) -> None:
    step = step_for_node(activation.flow_task)
    if step is None:
        raise LookupError(f"No registry entry for the step {activation.flow_task.name!r}")
    case_task_open(task=activation.task, referral=activation.process.referral, team_kind=step.team)


def human(title: str, description: str = "") -> flow.View:
    """A human step of a case: its team, form and service are in the process's steps.py."""
    return (
        flow.View(task_page).Annotation(title=title, description=description).onCreate(task_opened)
    )
