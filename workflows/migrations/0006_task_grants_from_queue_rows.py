"""Who may work a task is read from its queue row (workflows_casetask: team, is_open), not from
a django-guardian grant per task: remove the task grants, which only ever grew.

Reversible: going back grants each open queue row's team the two task permissions again, as
the engine used to when a task opened.
"""

from django.db import migrations

TASK_PERMISSIONS = ("change_task", "view_task")


def _task_content_type(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return ContentType.objects.filter(app_label="viewflow", model="task").first()


def forwards(apps, schema_editor):
    content_type = _task_content_type(apps)
    if content_type is None:
        return
    for model in ("GroupObjectPermission", "UserObjectPermission"):
        apps.get_model("guardian", model).objects.filter(content_type=content_type).delete()


def backwards(apps, schema_editor):
    content_type = _task_content_type(apps)
    if content_type is None:
        return
    Permission = apps.get_model("auth", "Permission")
    GroupObjectPermission = apps.get_model("guardian", "GroupObjectPermission")
    CaseTask = apps.get_model("workflows", "CaseTask")
    permissions = list(
        Permission.objects.filter(content_type=content_type, codename__in=TASK_PERMISSIONS)
    )
    rows = [
        GroupObjectPermission(
            permission=permission,
            content_type=content_type,
            object_pk=str(task_id),
            group_id=group_id,
        )
        for task_id, group_id in CaseTask.objects.filter(is_open=True).values_list(
            "task_id", "team__group_id"
        )
        for permission in permissions
    ]
    GroupObjectPermission.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0005_police_disclosures"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
