"""The audit chain becomes keyed (HMAC-SHA-256) and sealed after commit.

Events are now appended unsealed and sealed by one sequencer; the triggers allow exactly that
one change (an unsealed row receiving its place and hash, nothing else altered) and refuse
every other UPDATE and DELETE, of events and now of checkpoints too. Events written before
this migration are re-sealed in their order under the configured key.
"""

import hashlib
import hmac
import json

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

EVENTS = "compliance_auditevent"
CHECKPOINTS = "compliance_auditcheckpoint"
MESSAGE = "the audit trail is append-only"
CONTENT = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_email",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "case_reference",
    "team",
    "reason",
    "detail",
)
_SAME_CONTENT_SQLITE = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in CONTENT)
_NEW = ", ".join(f"NEW.{c}" for c in CONTENT)
_OLD = ", ".join(f"OLD.{c}" for c in CONTENT)

SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS auditevent_no_update BEFORE UPDATE ON {EVENTS} "
    "WHEN NOT (OLD.sequence IS NULL AND NEW.sequence IS NOT NULL AND NEW.hash IS NOT NULL "
    f"AND {_SAME_CONTENT_SQLITE}) "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER IF NOT EXISTS auditevent_no_delete BEFORE DELETE ON {EVENTS} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER IF NOT EXISTS auditcheckpoint_no_update BEFORE UPDATE ON {CHECKPOINTS} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER IF NOT EXISTS auditcheckpoint_no_delete BEFORE DELETE ON {CHECKPOINTS} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS auditevent_no_update;",
    "DROP TRIGGER IF EXISTS auditevent_no_delete;",
    "DROP TRIGGER IF EXISTS auditcheckpoint_no_update;",
    "DROP TRIGGER IF EXISTS auditcheckpoint_no_delete;",
]
SQLITE_TRIGGERS = [
    "auditevent_no_update",
    "auditevent_no_delete",
    "auditcheckpoint_no_update",
    "auditcheckpoint_no_delete",
]

POSTGRES_CREATE = [
    "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;",
    "CREATE OR REPLACE FUNCTION auditevent_seal_only() RETURNS trigger AS $$ BEGIN "
    "IF TG_OP = 'UPDATE' AND OLD.sequence IS NULL AND NEW.sequence IS NOT NULL "
    f"AND NEW.hash IS NOT NULL AND ROW({_NEW}) IS NOT DISTINCT FROM ROW({_OLD}) "
    "THEN RETURN NEW; END IF; "
    f"RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;",
    f"DROP TRIGGER IF EXISTS auditevent_append_only ON {EVENTS};",
    f"CREATE TRIGGER auditevent_append_only BEFORE UPDATE OR DELETE ON {EVENTS} "
    "FOR EACH ROW EXECUTE FUNCTION auditevent_seal_only();",
    # Row triggers do not see TRUNCATE; these statement triggers do.
    f"DROP TRIGGER IF EXISTS auditevent_no_truncate ON {EVENTS};",
    f"CREATE TRIGGER auditevent_no_truncate BEFORE TRUNCATE ON {EVENTS} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();",
    f"DROP TRIGGER IF EXISTS auditcheckpoint_append_only ON {CHECKPOINTS};",
    f"CREATE TRIGGER auditcheckpoint_append_only BEFORE UPDATE OR DELETE ON {CHECKPOINTS} "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();",
    f"DROP TRIGGER IF EXISTS auditcheckpoint_no_truncate ON {CHECKPOINTS};",
    f"CREATE TRIGGER auditcheckpoint_no_truncate BEFORE TRUNCATE ON {CHECKPOINTS} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS auditevent_append_only ON {EVENTS};",
    f"DROP TRIGGER IF EXISTS auditevent_no_truncate ON {EVENTS};",
    f"DROP TRIGGER IF EXISTS auditcheckpoint_append_only ON {CHECKPOINTS};",
    f"DROP TRIGGER IF EXISTS auditcheckpoint_no_truncate ON {CHECKPOINTS};",
    "DROP FUNCTION IF EXISTS auditevent_seal_only();",
    "DROP FUNCTION IF EXISTS audit_refuse_change();",
]
POSTGRES_TRIGGERS = [
    ("compliance_auditevent", "auditevent_append_only"),
    ("compliance_auditevent", "auditevent_no_truncate"),
    ("compliance_auditcheckpoint", "auditcheckpoint_append_only"),
    ("compliance_auditcheckpoint", "auditcheckpoint_no_truncate"),
]

# The triggers of 0002, replaced here.
_OLD_DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS auditevent_no_update;", "DROP TRIGGER IF EXISTS auditevent_no_delete;"],
    "postgresql": [
        f"DROP TRIGGER IF EXISTS auditevent_append_only ON {EVENTS};",
        f"DROP TRIGGER IF EXISTS auditevent_no_truncate ON {EVENTS};",
        "DROP FUNCTION IF EXISTS auditevent_refuse_change();",
    ],
}
_HASHED = ("sequence", *CONTENT[1:])


def _reseal(apps, schema_editor):
    """Seal the events written before, in their order, with the configured key (as
    compliance.audit does: migrations may not import the application's modules)."""
    event = apps.get_model("compliance", "AuditEvent")
    key_id = settings.AUDIT_CHAIN_KEY_ID
    key = settings.AUDIT_CHAIN_KEY.encode()
    prev = "0" * 64
    batch = []
    for row in event.objects.order_by("sequence").iterator(chunk_size=2000):
        payload = {}
        for name in _HASHED:
            value = getattr(row, name)
            payload[name] = value.isoformat(timespec="microseconds") if name == "occurred_at" else value
        body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        row.prev_hash, row.key_id = prev, key_id
        row.hash = hmac.new(key, f"{key_id}|{prev}|{body}".encode(), hashlib.sha256).hexdigest()
        prev = row.hash
        batch.append(row)
        if len(batch) >= 2000:
            event.objects.bulk_update(batch, ["prev_hash", "hash", "key_id"])
            batch = []
    if batch:
        event.objects.bulk_update(batch, ["prev_hash", "hash", "key_id"])


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in _OLD_DROP[vendor]:
        schema_editor.execute(sql)
    _reseal(apps, schema_editor)
    for sql in {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}[vendor]:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}[vendor]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0006_unit_head_group")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.BigIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["pk"]}),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("sequence__isnull", True)),
                fields=["id"],
                name="auditevent_unsealed",
            ),
        ),
        migrations.AddField(
            model_name="auditcheckpoint",
            name="key_id",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name="auditcheckpoint",
            name="first_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="auditcheckpoint",
            name="mac",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditcheckpoint",
            name="verified_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(forwards, backwards),
    ]
