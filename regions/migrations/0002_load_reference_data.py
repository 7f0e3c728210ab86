from django.db import migrations


def load(apps, schema_editor):
    # The loader uses the real models; at this point in history they match the schema.
    from regions.services import regions_load

    regions_load()


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0001_initial"),
        ("compliance", "0002_append_only_trigger"),
    ]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
