"""A below-threshold outcome takes the case outcome's own value ("signposted"), so the decision
and the outcome it leads to are one list. Rows recorded as "signpost" are rewritten."""

from django.db import migrations, models


def _rename(old: str, new: str):
    def run(apps, schema_editor):
        below = apps.get_model("workflows", "BelowThresholdOutcome")
        below.objects.filter(outcome=old).update(outcome=new)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0003_flow_paths"),
    ]

    operations = [
        migrations.AlterField(
            model_name="belowthresholdoutcome",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("no_further_action", "No further action"),
                    ("signposted", "Signpost to another service"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(
            _rename("signpost", "signposted"), _rename("signposted", "signpost"), elidable=False
        ),
    ]
