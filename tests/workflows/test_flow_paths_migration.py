"""Processes started before the flows moved into their packages carry on after migrating."""

import importlib

from django.apps import apps
from django.db import connection
from viewflow.workflow.models import Process, Task

from tests.cases import open_task
from workflows.referral import services

migration = importlib.import_module("workflows.migrations.0003_flow_paths")


def _store_old_paths(referral) -> None:
    """Write the references as they were stored before the move, bypassing the ORM's fields."""
    process_ids = [referral.process.pk]
    with connection.cursor() as cursor:
        for old, new in migration.MOVES:
            cursor.execute(
                "UPDATE viewflow_process SET flow_class = %s WHERE flow_class = %s", [old, new]
            )
            cursor.execute(
                "UPDATE viewflow_task SET flow_task = REPLACE(flow_task, %s, %s) "
                "WHERE flow_task LIKE %s",
                [f"{new}.", f"{old}.", f"{new}.%"],
            )
        cursor.execute("SELECT flow_class FROM viewflow_process WHERE id = %s", [process_ids[0]])
        assert cursor.fetchone()[0] == "workflows/flows.ReferralFlow"


def test_a_process_under_the_old_paths_continues_after_the_migration(people, referral):
    services.task_acknowledge(task=open_task(referral, "police_acknowledge"), user=people.police)
    _store_old_paths(referral)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT flow_task FROM viewflow_task WHERE process_id = %s ORDER BY id",
            [referral.process.pk],
        )
        stored = [row[0] for row in cursor.fetchall()]
    assert "workflows/flows.ReferralFlow.police_deconfliction" in stored

    migration.forwards(apps, None)

    process = Process.objects.get(pk=referral.process.pk)
    assert process.flow_class.__module__ == "workflows.referral.flows"
    with connection.cursor() as cursor:
        cursor.execute("SELECT flow_task FROM viewflow_task WHERE process_id = %s", [process.pk])
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and all(
        ref.startswith("workflows/referral.flows.ReferralFlow.") for ref in stored
    )
    assert {t.flow_task.name for t in Task.objects.filter(process=process)} >= {
        "police_acknowledge",
        "police_deconfliction",
    }
    # The process goes on: the next police step is worked and the one after it opens.
    services.police_deconfliction_complete(
        task=open_task(referral, "police_deconfliction"), user=people.police, outcome="no_conflict"
    )
    assert open_task(referral, "police_gateway_checks")


def test_the_migration_reverses(people, referral):
    migration.backwards(apps, None)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT flow_class FROM viewflow_process WHERE id = %s", [referral.process.pk]
        )
        assert cursor.fetchone()[0] == "workflows/flows.ReferralFlow"
    migration.forwards(apps, None)
    assert Process.objects.get(pk=referral.process.pk).flow_class.__name__ == "ReferralFlow"
