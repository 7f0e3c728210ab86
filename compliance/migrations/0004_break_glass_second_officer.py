"""Break-glass access and links to an unnamed case need a second officer's approval.

A grant becomes a request that another officer approves or refuses; access runs from the
approval. Grants opened before this rule are kept as approved (with no approver recorded), so
access already open ends exactly when it would have.
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DECISIONS = [
    ("requested", "Awaiting approval"),
    ("approved", "Approved"),
    ("refused", "Refused"),
    ("lapsed", "Not decided in time"),
    ("withdrawn", "Withdrawn"),
]


def grants_opened_before_the_rule(apps, schema_editor):
    BreakGlassGrant = apps.get_model("compliance", "BreakGlassGrant")
    for grant in BreakGlassGrant.objects.all():
        grant.requested_at = grant.opened_at
        grant.decided_at = grant.opened_at
        grant.minutes = max(1, round((grant.expires_at - grant.opened_at).total_seconds() / 60))
        grant.save(update_fields=["requested_at", "decided_at", "minutes"])


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0003_complaints_break_glass"),
        ("referrals", "0002_trigram_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="breakglassgrant",
            options={
                "ordering": ["-requested_at"],
                "permissions": [
                    (
                        "review_break_glass",
                        "Review every break-glass grant and case link of the unit (the unit's head)",
                    )
                ],
            },
        ),
        # Existing grants were opened at once: they are approved.
        migrations.AddField(
            model_name="breakglassgrant",
            name="status",
            field=models.CharField(
                choices=DECISIONS, db_index=True, default="approved", max_length=20
            ),
        ),
        migrations.AlterField(
            model_name="breakglassgrant",
            name="status",
            field=models.CharField(
                choices=DECISIONS, db_index=True, default="requested", max_length=20
            ),
        ),
        migrations.AddField(
            model_name="breakglassgrant",
            name="requested_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="breakglassgrant",
            name="minutes",
            field=models.PositiveSmallIntegerField(
                default=60, help_text="How long the access lasts once approved"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="breakglassgrant",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="breakglassgrant",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="breakglassgrant",
            name="decision_reason",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(grants_opened_before_the_rule, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="breakglassgrant",
            name="requested_at",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="breakglassgrant",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="breakglassgrant",
            name="opened_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="breakglassgrant",
            index=models.Index(fields=["status", "requested_at"], name="compliance__status_f34a10_idx"),
        ),
        migrations.CreateModel(
            name="CaseLinkRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "named_reference",
                    models.CharField(
                        blank=True,
                        help_text="The reference the complainant gave, when asked",
                        max_length=40,
                    ),
                ),
                ("reason", models.TextField()),
                ("requested_at", models.DateTimeField()),
                (
                    "status",
                    models.CharField(
                        choices=DECISIONS, db_index=True, default="requested", max_length=20
                    ),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("decision_reason", models.TextField(blank=True)),
                (
                    "complaint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="case_link_requests",
                        to="compliance.complaint",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "referral",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="referrals.referral",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-requested_at"],
                "indexes": [
                    models.Index(
                        fields=["status", "requested_at"], name="compliance__status_1a80d1_idx"
                    )
                ],
            },
        ),
    ]
