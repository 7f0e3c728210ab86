"""Task ids in the API: opaque strings, never the database's numbers.

A task's API id is its primary key put through a keyed permutation of 64-bit numbers (a
four-round Feistel network whose round function is HMAC-SHA-256 under a key derived from
`API_ID_KEY`, else from `SECRET_KEY`), written as `tsk_` and 13 base-32 letters. It is stable
(the same task keeps its id), reversible only with the key, and says nothing about how many
tasks there are or in what order they were made. It hides no secret: who may see or work the
task is decided by the rules, whatever id is asked for. Rotating the key changes every id, so
a deployment sets `API_ID_KEY` once and keeps it.
"""

import base64
import hmac
import re

from django.conf import settings

PREFIX = "tsk_"
PATTERN = r"tsk_[a-z2-7]{13}"
_ID = re.compile(rf"^{PATTERN}$")
_ROUNDS = 4
_HALF = 0xFFFFFFFF


def _key() -> bytes:
    configured = getattr(settings, "API_ID_KEY", "") or ""
    if configured:
        return configured.encode()
    return hmac.digest(settings.SECRET_KEY.encode(), b"api task ids", "sha256")


def _round(key: bytes, number: int, half: int) -> int:
    digest = hmac.digest(key, bytes([number]) + half.to_bytes(4, "big"), "sha256")
    return int.from_bytes(digest[:4], "big")


def task_api_id(pk: int) -> str:
    """The API id of the task with this primary key."""
    key = _key()
    left, right = (pk >> 32) & _HALF, pk & _HALF
    for number in range(_ROUNDS):
        left, right = right, left ^ _round(key, number, right)
    raw = ((left << 32) | right).to_bytes(8, "big")
    return PREFIX + base64.b32encode(raw).decode().rstrip("=").lower()


def task_pk(api_id: str) -> int | None:
    """The primary key behind an API id, or None when it is not one."""
    if not isinstance(api_id, str) or not _ID.match(api_id):
        return None
    raw = base64.b32decode(api_id[len(PREFIX) :].upper() + "===")
    number = int.from_bytes(raw, "big")
    key = _key()
    left, right = (number >> 32) & _HALF, number & _HALF
    for round_number in reversed(range(_ROUNDS)):
        left, right = right ^ _round(key, round_number, left), left
    pk = (left << 32) | right
    return pk if 0 < pk < 2**63 else None
