from django.db import migrations

TABLE = "compliance_auditevent"
MESSAGE = "audit events are append-only"

SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS auditevent_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER IF NOT EXISTS auditevent_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS auditevent_no_update;",
    "DROP TRIGGER IF EXISTS auditevent_no_delete;",
]
POSTGRES_CREATE = [
    "CREATE OR REPLACE FUNCTION auditevent_refuse_change() RETURNS trigger AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;",
    f"DROP TRIGGER IF EXISTS auditevent_append_only ON {TABLE};",
    f"CREATE TRIGGER auditevent_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION auditevent_refuse_change();",
    # Row triggers do not see TRUNCATE; this statement trigger does.
    f"DROP TRIGGER IF EXISTS auditevent_no_truncate ON {TABLE};",
    f"CREATE TRIGGER auditevent_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION auditevent_refuse_change();",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS auditevent_append_only ON {TABLE};",
    f"DROP TRIGGER IF EXISTS auditevent_no_truncate ON {TABLE};",
    "DROP FUNCTION IF EXISTS auditevent_refuse_change();",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}[vendor])


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}[vendor])


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
