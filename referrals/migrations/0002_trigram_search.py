"""Fuzzy name matching for duplicate detection: pg_trgm and a trigram index on PostgreSQL only.

Other databases (SQLite in development) match names in Python instead, so this is a no-op there.
"""

from django.db import migrations

INDEX = "referrals_referral_search_names_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON referrals_referral "
        "USING gin (search_names gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The extension stays: other objects may depend on it.
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
