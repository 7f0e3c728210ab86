"""The head of the Standards and Compliance Unit: a group holding the permission to review
every break-glass grant and case link (accounts.roles.UNIT_HEAD_GROUP). An officer of the unit
is made its head by adding them to the group."""

from django.db import migrations

GROUP = "standards_compliance_head"
CODENAME = "review_break_glass"


def create_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    # Permissions are made after migrations run; this one is needed now.
    content_type, _ = ContentType.objects.get_or_create(
        app_label="compliance", model="breakglassgrant"
    )
    permission, _ = Permission.objects.get_or_create(
        codename=CODENAME,
        content_type=content_type,
        defaults={
            "name": "Review every break-glass grant and case link of the unit (the unit's head)"
        },
    )
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0005_refused_access"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
