"""Task grants written by the engine before queue rows decided task work are removed, and can
be put back; neither way changes who may work a task."""

import importlib

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from guardian.models import GroupObjectPermission
from guardian.shortcuts import assign_perm
from viewflow.workflow.models import Task

from tests.cases import open_task
from workflows.engine.permissions import is_task_team_member

migration = importlib.import_module("workflows.migrations.0006_task_grants_from_queue_rows")


def _task_grants() -> set[tuple[str, str, int]]:
    rows = GroupObjectPermission.objects.filter(
        content_type=ContentType.objects.get_for_model(Task)
    ).select_related("permission")
    return {(row.permission.codename, row.object_pk, row.group_id) for row in rows}


def test_the_old_task_grants_go_and_come_back_for_open_tasks_only(people, referral):
    police_task = open_task(referral, "police_acknowledge")
    la_task = open_task(referral, "la_acknowledge")
    police_group, la_group = police_task.case.team.group, la_task.case.team.group
    for perm in ("viewflow.change_task", "viewflow.view_task"):  # as the engine once wrote them
        assign_perm(perm, police_group, police_task)
        assign_perm(perm, la_group, la_task)
    assert len(_task_grants()) == 4

    migration.forwards(apps, None)
    assert _task_grants() == set()
    assert is_task_team_member(people.police, Task.objects.get(pk=police_task.pk))
    assert not is_task_team_member(people.la, Task.objects.get(pk=police_task.pk))

    la_task.case.is_open = False
    la_task.case.save(update_fields=["is_open"])
    migration.backwards(apps, None)
    assert _task_grants() == {
        ("change_task", str(police_task.pk), police_group.pk),
        ("view_task", str(police_task.pk), police_group.pk),
    }
