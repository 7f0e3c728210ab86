from django.db import migrations

ROLES = [
    "referrer", "la_prevent_lead", "ctp_prevent_officer", "regional_prevent_adviser",
    "channel_panel_member", "intervention_provider", "standards_compliance",
    "national_prevent_centre", "administrator",
]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, remove_groups)]
