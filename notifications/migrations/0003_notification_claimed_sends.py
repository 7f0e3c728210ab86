from django.db import migrations, models


def forwards(apps, schema_editor):
    """Old "failed, will retry" rows wait again; old "gave up" rows are the new "failed"."""
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.filter(status="failed").update(status="pending")
    Notification.objects.filter(status="abandoned").update(status="failed")


def backwards(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.filter(status="failed").update(status="abandoned")
    Notification.objects.filter(status__in=["sending", "check"]).update(status="failed")


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0002_delivered_to"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="sending_to",
            field=models.CharField(blank=True, help_text="The recipient whose send is claimed or in doubt", max_length=254),
        ),
        migrations.AddField(
            model_name="notification",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="notification",
            name="first_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="notification",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, help_text="A failed send is tried again from this time", null=True),
        ),
        migrations.AlterField(
            model_name="notification",
            name="status",
            field=models.CharField(choices=[("pending", "Waiting to be sent"), ("sending", "Being sent"), ("sent", "Sent"), ("check", "Check before resending"), ("failed", "Failed: not sent")], db_index=True, default="pending", max_length=10),
        ),
        migrations.RunPython(forwards, backwards),
    ]
