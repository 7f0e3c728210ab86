"""Refused requests for case objects: one counter per person, object and hour, beside the one
audit event the hour's first refusal writes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0004_break_glass_second_officer"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RefusedAccess",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("object_kind", models.CharField(max_length=40)),
                ("object_key", models.CharField(max_length=64)),
                (
                    "window_start",
                    models.DateTimeField(help_text="The start of the hour (UTC)"),
                ),
                ("count", models.PositiveIntegerField(default=1)),
                ("first_seen", models.DateTimeField()),
                ("last_seen", models.DateTimeField()),
                ("last_status", models.PositiveSmallIntegerField()),
                ("last_path", models.CharField(max_length=300)),
                (
                    "audit_event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="refused_access",
                        to="compliance.auditevent",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-window_start"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("user", "object_kind", "object_key", "window_start"),
                        name="refused_access_once_per_window",
                    )
                ],
            },
        ),
    ]
