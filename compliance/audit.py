"""The hash chain: how an audit row's hash is computed, and how the chain is verified."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GENESIS_HASH = "0" * 64
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
