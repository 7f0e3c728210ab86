import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0002_load_reference_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="postcode",
            name="country",
            field=models.CharField(
                choices=[
                    ("E", "England"),
                    ("W", "Wales"),
                    ("S", "Scotland"),
                    ("N", "Northern Ireland"),
                    ("L", "Channel Islands"),
                    ("M", "Isle of Man"),
                ],
                default="E",
                max_length=1,
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="postcode",
            name="local_authority",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="regions.localauthority",
            ),
        ),
        migrations.AddConstraint(
            model_name="postcode",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("country__in", ["E", "W"]), ("local_authority__isnull", False)),
                    models.Q(
                        models.Q(("country__in", ["E", "W"]), _negated=True),
                        ("local_authority__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="postcode_authority_only_in_england_and_wales",
            ),
        ),
    ]
