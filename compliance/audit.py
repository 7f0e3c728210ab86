"""The audit trail: appending to the hash chain, computing each row's hash, verifying it.

The bottom of the project's imports: it knows the audit models and Django, nothing above, so
every layer can record what it does through `audit_record`.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from .models import AuditCheckpoint, AuditEvent

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


def canonical_detail(detail: dict | None) -> dict:
    """Round-trip through JSON so the hash is computed on what the database will give back."""
    return json.loads(json.dumps(detail or {}, default=str, sort_keys=True))


def compute_hash(prev_hash: str, fields: dict) -> str:
    payload = {}
    for name in HASHED_FIELDS:
        value = fields[name]
        if isinstance(value, datetime):
            value = value.isoformat(timespec="microseconds")
        payload[name] = value
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    last_sequence: int | None = None
    last_hash: str = ""
    first_broken_sequence: int | None = None
    problem: str = ""


def verify_chain(rows: Iterable) -> VerifyResult:
    """Walk rows in sequence order and report the first broken link."""
    prev_hash, expected_sequence, checked = GENESIS_HASH, 1, 0
    last = None
    for row in rows:
        fields = {name: getattr(row, name) for name in HASHED_FIELDS}
        problem = ""
        if row.sequence != expected_sequence:
            problem = (
                f"expected event {expected_sequence} but found {row.sequence} (a row is missing)"
            )
        elif row.prev_hash != prev_hash:
            problem = "its previous-hash does not match the event before it"
        elif compute_hash(row.prev_hash, fields) != row.hash:
            problem = "its contents do not match its hash (the row was altered)"
        if problem:
            return VerifyResult(
                False,
                checked,
                last and last.sequence,
                last.hash if last else "",
                row.sequence,
                f"Event {row.sequence}: {problem}",
            )
        checked += 1
        prev_hash, expected_sequence, last = row.hash, row.sequence + 1, row
    return VerifyResult(True, checked, last and last.sequence, last.hash if last else "")


# Key of the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 7_301_962_114


def _lock_chain() -> None:
    """Hold the chain for the rest of the transaction so two writers never share a parent.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: transactions are IMMEDIATE
    (see settings), so the database write lock is already held.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def audit_record(
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
    """Append one event to the chain, inside the caller's transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "public_id", None) or obj.pk)
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
        fields = {
            "sequence": (last["sequence"] + 1) if last else 1,
            "occurred_at": timezone.now(),
            "actor_id": actor.pk if actor is not None and actor.is_authenticated else None,
            "actor_email": getattr(actor, "email", "") if actor is not None else "",
            "actor_role": role,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "case_reference": case_reference,
            "team": team,
            "reason": reason,
            "detail": canonical_detail(detail),
        }
        prev_hash = last["hash"] if last else GENESIS_HASH
        return AuditEvent.objects.create(
            **fields, prev_hash=prev_hash, hash=compute_hash(prev_hash, fields)
        )


def audit_verify(*, chunk_size: int = 5000):
    """Verify the whole chain, streaming rows so memory stays flat however long it is.

    A chain cut short at its end still links up, so the walk must also reach the last event
    that an earlier verification saw.
    """
    result = verify_chain(AuditEvent.objects.order_by("sequence").iterator(chunk_size=chunk_size))
    checkpoint = (
        AuditCheckpoint.objects.filter(ok=True, last_sequence__isnull=False)
        .order_by("-last_sequence")
        .first()
    )
    if result.ok and checkpoint is not None:
        seen = (
            AuditEvent.objects.filter(sequence=checkpoint.last_sequence)
            .values_list("hash", flat=True)
            .first()
        )
        if seen != checkpoint.last_hash:
            result.ok = False
            result.first_broken_sequence = checkpoint.last_sequence
            result.problem = (
                f"Event {checkpoint.last_sequence}, verified on "
                f"{checkpoint.verified_at:%d %B %Y %H:%M}, is missing or changed: "
                "events were removed from the end of the chain"
            )
    return result


def audit_checkpoint_record() -> AuditCheckpoint:
    result = audit_verify()
    return AuditCheckpoint.objects.create(
        ok=result.ok,
        events_checked=result.checked,
        last_sequence=result.last_sequence,
        last_hash=result.last_hash,
        first_broken_sequence=result.first_broken_sequence,
        problem=result.problem,
    )
