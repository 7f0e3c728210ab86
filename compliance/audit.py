"""The audit trail: appending events, sealing them into a keyed hash chain, verifying it.

The bottom of the project's imports: it knows the audit models and Django, nothing above, so
every layer can record what it does through `audit_record`.

Why appends and sealing are separate: a writer must not hold a chain-wide lock until its
transaction commits, or every write of the service queues behind it. So `audit_record` only
inserts the event, unsealed, and asks for a seal once its transaction has committed; the
sealer (`audit_seal`, one at a time, also run every few seconds by Celery beat) gives
committed events, in the order it finds them, a gap-free sequence and an HMAC-SHA-256 over
the event and the previous event's hash. The key (AUDIT_CHAIN_KEY) is never in the database,
so someone who can write every table still cannot forge a chain that verifies.
"""

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from config.publish import publish

from .models import AuditCheckpoint, AuditEvent

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# Events that record someone reading case content, whichever page or API wrote them: kept
# for the unit, not shown among a case's events.
READ_ACTIONS = ("case.read", "case.viewed", "case.list_read", "attachment.downloaded")
HASHED_FIELDS = (
    "sequence",
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
SEAL_TASK = "compliance.tasks.audit_seal_pending"


def chain_keys() -> dict[str, bytes]:
    """Every key that may have sealed an event, by id: the current one and retired ones."""
    keys = {str(k): v.encode() for k, v in settings.AUDIT_CHAIN_RETIRED_KEYS.items()}
    if not settings.AUDIT_CHAIN_KEY:
        raise RuntimeError("AUDIT_CHAIN_KEY is not set: the audit chain cannot be sealed")
    keys[settings.AUDIT_CHAIN_KEY_ID] = settings.AUDIT_CHAIN_KEY.encode()
    return keys


def canonical_detail(detail: dict | None) -> dict:
    """Round-trip through JSON so the hash is computed on what the database will give back."""
    return json.loads(json.dumps(detail or {}, default=str, sort_keys=True))


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def compute_hash(prev_hash: str, fields: dict, key_id: str | None = None) -> str:
    """The event's link: HMAC-SHA-256, under the key `key_id` names, of the key id, the
    previous link and the event's fields."""
    key_id = key_id or settings.AUDIT_CHAIN_KEY_ID
    return _link(chain_keys()[key_id], key_id, prev_hash, fields)


def _link(key: bytes, key_id: str, prev_hash: str, fields: dict) -> str:
    payload = {}
    for name in HASHED_FIELDS:
        value = fields[name]
        if isinstance(value, datetime):
            value = value.isoformat(timespec="microseconds")
        payload[name] = value
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return _mac(key, f"{key_id}|{prev_hash}|{body}")


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    last_sequence: int | None = None
    last_hash: str = ""
    first_broken_sequence: int | None = None
    problem: str = ""


_LINK_COLUMNS = (*HASHED_FIELDS, "prev_hash", "hash", "key_id")


def verify_chain(rows: Iterable[tuple]) -> VerifyResult:
    """Walk sealed rows, as tuples of `_LINK_COLUMNS` in sequence order, and report the first
    broken link. Tuples, not model instances: verification reads millions of rows."""
    keys = chain_keys()
    prev_hash, expected_sequence, checked = GENESIS_HASH, 1, 0
    last_sequence, last_hash = None, ""
    width = len(HASHED_FIELDS)
    for row in rows:
        sequence, row_prev, row_hash, key_id = row[0], row[width], row[width + 1], row[width + 2]
        problem = ""
        if sequence != expected_sequence:
            problem = f"expected event {expected_sequence} but found {sequence} (a row is missing)"
        elif row_prev != prev_hash:
            problem = "its previous-hash does not match the event before it"
        elif key_id not in keys:
            problem = f"it was sealed with key {key_id!r}, which this service does not hold"
        else:
            fields = dict(zip(HASHED_FIELDS, row[:width], strict=True))
            if not hmac.compare_digest(_link(keys[key_id], key_id, row_prev, fields), row_hash):
                problem = "its contents do not match its hash (the row was altered)"
        if problem:
            return VerifyResult(
                False, checked, last_sequence, last_hash, sequence, f"Event {sequence}: {problem}"
            )
        checked += 1
        prev_hash, expected_sequence = row_hash, sequence + 1
        last_sequence, last_hash = sequence, row_hash
    return VerifyResult(True, checked, last_sequence, last_hash)


# --- Appending and sealing ----------------------------------------------------------------------

# Key of the PostgreSQL advisory lock held by the one sealer at work.
_SEALER_LOCK_KEY = 7_301_962_114


def _seal_requested() -> None:
    """After commit: ask for the new events to be sealed. Never fails or delays the request:
    if the broker is away, the beat job seals them a few seconds later."""
    publish(SEAL_TASK)


def _request_seal_after_commit() -> None:
    pending = getattr(connection, "run_on_commit", [])
    if not any(callback is _seal_requested for _, callback, *_ in pending):
        transaction.on_commit(_seal_requested, robust=True)


def _event(
    *,
    actor=None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    case_reference: str = "",
    reason: str = "",
    detail: dict[str, Any] | None = None,
    role: str = "",
    team: str = "",
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "public_id", None) or obj.pk)
    return AuditEvent(
        occurred_at=timezone.now(),
        actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
        actor_email=getattr(actor, "email", "") if actor is not None else "",
        actor_role=role,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        case_reference=case_reference,
        team=team,
        reason=reason,
        detail=canonical_detail(detail),
    )


def audit_record(**event) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction (arguments: `_event`)."""
    recorded = _event(**event)
    recorded.save(force_insert=True)
    _request_seal_after_commit()
    return recorded


def audit_record_many(events: Iterable[dict]) -> list[AuditEvent]:
    """Append several events, in order, in one statement (each dict: `audit_record`'s
    arguments). They are sealed in that order, as their ids rise with it."""
    rows = [_event(**event) for event in events]
    if not rows:
        return []
    AuditEvent.objects.bulk_create(rows)
    _request_seal_after_commit()
    return rows


def _hold_sealer() -> bool:
    """One sealer at a time. PostgreSQL: an advisory lock for this transaction, not waited
    for (another sealer is already at work). SQLite: transactions are IMMEDIATE (see
    settings), so the database's write lock already makes sealers take turns."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SEALER_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def audit_seal(*, batch: int = 2000) -> int:
    """Give every committed unsealed event its place in the chain, oldest first; how many.

    Each batch is one short transaction: the chain's end, the unsealed rows, one UPDATE.
    """
    sealed = 0
    key_id = settings.AUDIT_CHAIN_KEY_ID
    while True:
        with transaction.atomic():
            if not _hold_sealer():
                return sealed
            last = (
                AuditEvent.objects.filter(sequence__isnull=False)
                .order_by("-sequence")
                .values("sequence", "hash")
                .first()
            )
            rows = list(AuditEvent.objects.filter(sequence__isnull=True).order_by("pk")[:batch])
            if not rows:
                return sealed
            sequence = last["sequence"] if last else 0
            prev_hash = last["hash"] if last else GENESIS_HASH
            for row in rows:
                sequence += 1
                row.sequence, row.prev_hash, row.key_id = sequence, prev_hash, key_id
                fields = {name: getattr(row, name) for name in HASHED_FIELDS}
                row.hash = prev_hash = compute_hash(row.prev_hash, fields, key_id)
            AuditEvent.objects.bulk_update(rows, ["sequence", "prev_hash", "hash", "key_id"])
            sealed += len(rows)


# --- Verification and checkpoints ---------------------------------------------------------------


def _missing_triggers() -> list[str]:
    """The append-only triggers that are missing or disabled: a dropped trigger is noticed."""
    from_migration = _trigger_names()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgenabled IN ('O', 'A')"
            )
            present = {f"{table}.{name}" for table, name in cursor.fetchall()}
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            present = {f"{table}.{name}" for table, name in cursor.fetchall()}
    return [name for name in from_migration if name not in present]


def _trigger_names() -> list[str]:
    if connection.vendor == "postgresql":
        return [
            "compliance_auditevent.auditevent_append_only",
            "compliance_auditevent.auditevent_no_truncate",
            "compliance_auditcheckpoint.auditcheckpoint_append_only",
            "compliance_auditcheckpoint.auditcheckpoint_no_truncate",
        ]
    return [
        "compliance_auditevent.auditevent_no_update",
        "compliance_auditevent.auditevent_no_delete",
        "compliance_auditcheckpoint.auditcheckpoint_no_update",
        "compliance_auditcheckpoint.auditcheckpoint_no_delete",
    ]


def _checkpoint_message(fields: dict) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)


def _checkpoint_fields(checkpoint) -> dict:
    return {
        "verified_at": checkpoint.verified_at.isoformat(timespec="microseconds"),
        "ok": checkpoint.ok,
        "events_checked": checkpoint.events_checked,
        "last_sequence": checkpoint.last_sequence,
        "last_hash": checkpoint.last_hash,
        "first_hash": checkpoint.first_hash,
    }


def _exported_checkpoints() -> list[dict]:
    """The checkpoints exported outside the database whose MAC proves the service wrote them."""
    path = settings.AUDIT_CHECKPOINT_FILE
    if not path or not Path(path).exists():
        return []
    keys, found = chain_keys(), []
    for line in Path(path).read_text().splitlines():
        try:
            entry = json.loads(line)
            fields, key_id, mac = entry["checkpoint"], entry["key_id"], entry["mac"]
        except (ValueError, KeyError, TypeError):
            continue
        if key_id in keys and hmac.compare_digest(
            _mac(keys[key_id], _checkpoint_message(fields)), mac
        ):
            found.append(fields)
    return found


def _export_checkpoint(fields: dict, key_id: str, mac: str) -> None:
    """Append one line to the export, written through to the disk."""
    path = settings.AUDIT_CHECKPOINT_FILE
    if not path:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"checkpoint": fields, "key_id": key_id, "mac": mac}, sort_keys=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{line}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _first_hash() -> str:
    return AuditEvent.objects.filter(sequence=1).values_list("hash", flat=True).first() or ""


def _fail(result: VerifyResult, sequence: int | None, problem: str) -> VerifyResult:
    result.ok, result.first_broken_sequence, result.problem = False, sequence, problem
    return result


def audit_verify(*, chunk_size: int = 5000) -> VerifyResult:
    """Verify the whole chain, streaming rows so memory stays flat however long it is.

    Also: the append-only triggers are in place and enabled; no event has waited to be
    sealed for longer than AUDIT_SEAL_GRACE_SECONDS; and the chain still reaches the newest
    checkpoint, recorded here and exported outside the database (a chain cut short at its end
    still links up, so only a record from before the cut can tell).
    """
    rows = (
        AuditEvent.objects.filter(sequence__isnull=False)
        .order_by("sequence")
        .values_list(*_LINK_COLUMNS)
        .iterator(chunk_size=chunk_size)
    )
    result = verify_chain(rows)
    if not result.ok:
        return result
    missing = _missing_triggers()
    if missing:
        return _fail(
            result,
            None,
            f"The append-only triggers are missing or disabled: {', '.join(missing)}",
        )
    grace = timezone.now() - timedelta(seconds=settings.AUDIT_SEAL_GRACE_SECONDS)
    stale = AuditEvent.objects.filter(sequence__isnull=True, occurred_at__lt=grace)
    oldest = stale.order_by("pk").values("pk", "occurred_at").first()
    if oldest is not None:
        return _fail(
            result,
            None,
            f"{stale.count()} events have not been sealed into the chain for over "
            f"{settings.AUDIT_SEAL_GRACE_SECONDS} seconds (the oldest, event id {oldest['pk']}, "
            f"from {timezone.localtime(oldest['occurred_at']):%d %B %Y %H:%M}): is the sealer "
            "running?",
        )
    anchors = list(
        AuditCheckpoint.objects.filter(ok=True, last_sequence__isnull=False)
        .order_by("-last_sequence")
        .values("last_sequence", "last_hash", "verified_at")[:1]
    )
    first_hash = _first_hash()
    exported = [
        c
        for c in _exported_checkpoints()
        if c["ok"] and c["last_sequence"] and first_hash and c.get("first_hash") == first_hash
    ]
    if exported:
        newest = max(exported, key=lambda c: c["last_sequence"])
        anchors.append({**newest, "verified_at": datetime.fromisoformat(newest["verified_at"])})
    for anchor in sorted(anchors, key=lambda a: -a["last_sequence"]):
        seen = (
            AuditEvent.objects.filter(sequence=anchor["last_sequence"])
            .values_list("hash", flat=True)
            .first()
        )
        if seen != anchor["last_hash"]:
            return _fail(
                result,
                anchor["last_sequence"],
                f"Event {anchor['last_sequence']}, verified on "
                f"{timezone.localtime(anchor['verified_at']):%d %B %Y %H:%M}, is missing or "
                "changed: events were removed from the end of the chain",
            )
    return result


def audit_checkpoint_record() -> AuditCheckpoint:
    """Seal what is waiting, verify the chain, and record the result here and outside."""
    audit_seal()
    result = audit_verify()
    key_id = settings.AUDIT_CHAIN_KEY_ID
    with transaction.atomic():
        checkpoint = AuditCheckpoint(
            ok=result.ok,
            events_checked=result.checked,
            last_sequence=result.last_sequence,
            last_hash=result.last_hash,
            first_broken_sequence=result.first_broken_sequence,
            problem=result.problem,
            first_hash=_first_hash(),
            key_id=key_id,
            verified_at=timezone.now(),
        )
        fields = _checkpoint_fields(checkpoint)
        checkpoint.mac = _mac(chain_keys()[key_id], _checkpoint_message(fields))
        checkpoint.save()
        _export_checkpoint(fields, key_id, checkpoint.mac)
    if not result.ok:
        logger.error("Audit chain verification failed: %s", result.problem)
    return checkpoint
