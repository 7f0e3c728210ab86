"""The stage registry: every human step of every process, declared once.

A step names the team that works it, who may complete it, the form that parses its answers,
the service that applies its rules, and the page template. The web task page and the API's
`complete` both dispatch through this declaration, so every task the API lists can be
completed through it with the same validation as its page, and a new step is one flow node
plus one entry in its process's `steps.py`.

The registry knows no process: each process registers its steps when the app is ready
(workflows/apps.py), and the engine looks a task's step up by its flow and node.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from viewflow.workflow.fields import get_flow_ref

from config.errors import ApplicationError, PermissionDenied
from config.forms import ServiceForm, refused

from .locking import task_lock
from .permissions import is_task_team_member
from .writes import writes_together

# The Standards and Compliance Unit: its steps have no case team.
UNIT = "standards_compliance"


@dataclass(frozen=True)
class Step:
    """One human step.

    `form(task, data, user)` builds the form that parses the answers (the API feeds it JSON);
    `service(task=..., user=..., **form.service_kwargs())` applies the rules and completes the
    task; `may_work(user, task)` is the named predicate deciding who may complete it.
    """

    team: str
    form: Callable[[Any, Any, Any], ServiceForm]
    service: Callable[..., Any]
    template: str
    done: str
    submit: str = "Save and continue"
    # Who may complete it; by default a member of the team that owns the task now.
    may_work: Callable[[Any, Any], bool] = is_task_team_member
    # Extra context for the page (`context(task, user)`: what this reader may see), and where
    # the user goes after completing the step.
    context: Callable[[Any, Any], dict] = field(default=lambda task, user: {})
    after: Callable[[Any, Any], str] | None = None


class _Rehearsal(Exception):
    """Undoes a rehearsed completion."""


def step_complete(step: Step, task, user, form: ServiceForm) -> bool:
    """Complete the task with the form's answers: the one way the page and the API do it.

    The step's transaction starts by locking the task's process row (the lock order of
    workflows/engine/locking.py), whatever the service does first.

    True when done. Otherwise every problem is on the form, together: when some answers
    cannot be read, the service is rehearsed on the rest, in a transaction that is always
    rolled back, so its findings show beside the form's. A refusal raises PermissionDenied.
    """
    if form.is_valid():
        try:
            with transaction.atomic(), writes_together():
                task_lock(task)  # the process row before anything the service writes
                step.service(task=task, user=user, **form.service_kwargs())
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            refused(form, exc)
            return False
        return True
    so_far = form.service_kwargs_so_far()
    if so_far is not None:
        try:
            with transaction.atomic():
                task_lock(task)
                step.service(task=task, user=user, **so_far)
                raise _Rehearsal
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            form.add_other_service_errors(exc)
        except _Rehearsal:
            pass
    return False


_steps: dict[tuple[str, str], Step] = {}
_flows: list[type] = []


def register(flow_class, steps: dict[str, Step]) -> None:
    """Declare the steps of one flow. Every name must be one of the flow's nodes."""
    ref = get_flow_ref(flow_class)
    for name, step in steps.items():
        if flow_class.instance.node(name) is None:
            raise LookupError(f"{flow_class.__name__} has no node called {name!r}")
        _steps[(ref, name)] = step
    if flow_class not in _flows:
        _flows.append(flow_class)


def step_for_node(node) -> Step | None:
    return _steps.get((get_flow_ref(node.flow_class), node.name))


def step_for(task) -> Step | None:
    """The step a Viewflow task is an instance of, or None for an automatic node."""
    return step_for_node(task.flow_task)


def registered_flows() -> list[type]:
    return list(_flows)


def human_nodes(flow_class) -> list:
    """The flow's nodes that people work (Viewflow `View` nodes)."""
    return [node for node in flow_class.instance.nodes() if node.__class__.__name__ == "View"]


def stage_titles() -> dict[str, str]:
    """Every human step of the registered case flows, by node name, in flow order."""
    titles: dict[str, str] = {}
    for flow_class in _flows:
        for node in human_nodes(flow_class):
            step = step_for_node(node)
            if step is not None and step.team != UNIT:
                titles[node.name] = str(node.task_title or node.name.replace("_", " "))
    return titles


def stages_of_team(kind: str) -> frozenset[str]:
    """The node names of every registered step worked by teams of this kind."""
    return frozenset(name for (_, name), step in _steps.items() if step.team == kind)
