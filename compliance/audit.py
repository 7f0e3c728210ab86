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
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections, models, transaction
from django.db.models.expressions import RawSQL
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


# json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str), without building a
# new encoder for every event: verification runs it millions of times.
_canonical_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode


def _link(key: bytes, key_id: str, prev_hash: str, fields: dict) -> str:
    payload = {}
    for name in HASHED_FIELDS:
        value = fields[name]
        if isinstance(value, datetime):
            value = value.isoformat(timespec="microseconds")
        payload[name] = value
    message = f"{key_id}|{prev_hash}|{_canonical_json(payload)}"
    return hmac.digest(key, message.encode(), "sha256").hex()


_OCCURRED_AT = HASHED_FIELDS.index("occurred_at")


def _row_link(key: bytes, key_id: str, prev_hash: str, row: tuple) -> str:
    """`_link` for a row of `_LINK_COLUMNS`, as verification reads them: the same message."""
    payload = dict(zip(HASHED_FIELDS, row, strict=False))  # the hashed fields lead the row
    occurred_at = row[_OCCURRED_AT]
    if not isinstance(occurred_at, str):  # SQLite: the datetime itself
        payload["occurred_at"] = occurred_at.isoformat(timespec="microseconds")
    message = f"{key_id}|{prev_hash}|{_canonical_json(payload)}"
    return hmac.digest(key, message.encode(), "sha256").hex()


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    last_sequence: int | None = None
    last_hash: str = ""
    first_broken_sequence: int | None = None
    problem: str = ""


_LINK_COLUMNS = (*HASHED_FIELDS, "prev_hash", "hash", "key_id")


def verify_chain(
    rows: Iterable[tuple], *, prev_hash: str = GENESIS_HASH, expected_sequence: int = 1
) -> VerifyResult:
    """Walk sealed rows, as tuples of `_LINK_COLUMNS` in sequence order, and report the first
    broken link. Tuples, not model instances: verification reads millions of rows. A walk
    may start part-way, from a link already verified (`prev_hash` of `expected_sequence`)."""
    keys = chain_keys()
    checked = 0
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
        elif not hmac.compare_digest(_row_link(keys[key_id], key_id, row_prev, row), row_hash):
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


# On PostgreSQL the time comes as the text the link was made from (isoformat of the UTC time,
# to the microsecond): parsing millions of timestamps only to print them again is the single
# largest cost of a verification in Python.
_OCCURRED_AT_TEXT = RawSQL(
    "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')", ()
)


def _rows(first: int, last: int | None = None, chunk_size: int = 5000):
    events = AuditEvent.objects.filter(sequence__gte=first)
    if last is not None:
        events = events.filter(sequence__lte=last)
    columns = list(_LINK_COLUMNS)
    if connection.vendor == "postgresql":
        events = events.annotate(occurred_at_text=_OCCURRED_AT_TEXT)
        columns[_OCCURRED_AT] = "occurred_at_text"
    return events.order_by("sequence").values_list(*columns).iterator(chunk_size=chunk_size)


def _verify_range(first: int, last: int) -> VerifyResult:
    """One worker's share: each row's own link, and the links between its rows. Its first
    row's previous-hash is taken as read; the caller checks it against the range before."""
    connections.close_all()  # a forked worker never shares its parent's connection
    start = AuditEvent.objects.filter(sequence=first).values_list("prev_hash", flat=True)
    result = verify_chain(
        _rows(first, last), prev_hash=start.first() or "", expected_sequence=first
    )
    connections.close_all()
    return result


def _verify_parallel(first: int, last: int, prev_hash: str, workers: int) -> VerifyResult:
    """Split [first, last] into one range per worker process; join their results in order.
    Each range's first previous-hash must be the last link of the range before it."""
    size = -(-(last - first + 1) // workers)
    ranges = [(a, min(a + size - 1, last)) for a in range(first, last + 1, size)]
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        parts = list(pool.map(_verify_range, *zip(*ranges, strict=True)))
    checked, expected = 0, prev_hash
    total = VerifyResult(True, 0)
    for (range_first, _), part in zip(ranges, parts, strict=True):
        start = AuditEvent.objects.filter(sequence=range_first).values_list("prev_hash", flat=True)
        if start.first() != expected:
            return VerifyResult(
                False,
                checked,
                total.last_sequence,
                total.last_hash,
                range_first,
                f"Event {range_first}: its previous-hash does not match the event before it",
            )
        if not part.ok:
            part.checked += checked
            return part
        checked += part.checked
        expected = part.last_hash
        total = VerifyResult(True, checked, part.last_sequence, part.last_hash)
    return total


# Below this many events a single process is quicker than starting workers.
PARALLEL_FROM = 200_000


def trusted_checkpoint() -> dict | None:
    """The newest good checkpoint whose MAC proves the service wrote it (in the database or
    exported outside it), of this chain, whose last event is still as it was verified."""
    keys, first_hash = chain_keys(), _first_hash()
    found = list(_exported_checkpoints())
    for checkpoint in AuditCheckpoint.objects.filter(ok=True, last_sequence__isnull=False):
        fields = _checkpoint_fields(checkpoint)
        key = keys.get(checkpoint.key_id)
        if key and hmac.compare_digest(_mac(key, _checkpoint_message(fields)), checkpoint.mac):
            found.append(fields)
    for anchor in sorted(found, key=lambda c: -(c.get("last_sequence") or 0)):
        if not (anchor.get("ok") and anchor.get("last_sequence") and first_hash):
            continue
        if anchor.get("first_hash") != first_hash:
            continue
        seen = AuditEvent.objects.filter(sequence=anchor["last_sequence"]).values_list(
            "hash", flat=True
        )
        if seen.first() == anchor["last_hash"]:
            return anchor
    return None


def audit_verify(
    *, chunk_size: int = 5000, since_checkpoint: bool = False, workers: int | None = None
) -> VerifyResult:
    """Verify the whole chain, streaming rows so memory stays flat however long it is.

    Also: the append-only triggers are in place and enabled; no event has waited to be
    sealed for longer than AUDIT_SEAL_GRACE_SECONDS; and the chain still reaches the newest
    checkpoint, recorded here and exported outside the database (a chain cut short at its end
    still links up, so only a record from before the cut can tell).

    `since_checkpoint`: start after the newest trusted checkpoint (`trusted_checkpoint`),
    verifying only what was sealed since. `workers`: processes to verify in (default: one per
    core for chains of PARALLEL_FROM events or more on PostgreSQL, else one).
    """
    first, prev_hash = 1, GENESIS_HASH
    if since_checkpoint:
        anchor = trusted_checkpoint()
        if anchor is not None:
            first, prev_hash = anchor["last_sequence"] + 1, anchor["last_hash"]
    last = (
        AuditEvent.objects.filter(sequence__isnull=False)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    if workers is None:
        big = last is not None and last - first + 1 >= PARALLEL_FROM
        workers = (os.cpu_count() or 1) if big and connection.vendor == "postgresql" else 1
    # Workers read committed rows on their own connections: never from inside a transaction.
    if workers > 1 and last is not None and last >= first and not connection.in_atomic_block:
        result = _verify_parallel(first, last, prev_hash, workers)
    else:
        result = verify_chain(
            _rows(first, chunk_size=chunk_size), prev_hash=prev_hash, expected_sequence=first
        )
    if result.last_sequence is None and first > 1:  # nothing new since the checkpoint
        result.last_sequence, result.last_hash = first - 1, prev_hash
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
