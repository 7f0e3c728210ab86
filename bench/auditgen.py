"""Valid audit events in bulk, fast: what the sealer would write, links computed here and the
rows bulk-inserted. For the benchmarks and for tests that need a long chain."""

from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from compliance.audit import GENESIS_HASH, canonical_detail, compute_hash
from compliance.models import AuditEvent


def audit_events_bulk(
    count: int,
    *,
    batch: int = 5000,
    on_batch: Callable[[int], None] | None = None,
    **overrides,
) -> None:
    """Append `count` sealed events after the chain's last (verification passes over them).
    `overrides` replace fields of every event; `on_batch` hears how many are written so far."""
    last = (
        AuditEvent.objects.filter(sequence__isnull=False)
        .order_by("-sequence")
        .values("sequence", "hash")
        .first()
    )
    sequence = last["sequence"] if last else 0
    prev_hash = last["hash"] if last else GENESIS_HASH
    key_id, now, rows, written = settings.AUDIT_CHAIN_KEY_ID, timezone.now(), [], 0
    for i in range(count):
        sequence += 1
        fields = {
            "sequence": sequence,
            "occurred_at": now,
            "actor_id": None,
            "actor_email": f"reader{i % 50}@example.gov.uk",
            "actor_role": "la_prevent_lead",
            "action": "case.read",
            "object_type": "referrals.referral",
            "object_id": f"00000000-0000-0000-0000-{i % 1000:012d}",
            "case_reference": f"PRV-2026-{i % 1000:06d}",
            "team": "Example Council Prevent team",
            "reason": "",
            "detail": canonical_detail({"what": "case page", "via": "web"}),
            **overrides,
        }
        digest = compute_hash(prev_hash, fields, key_id)
        rows.append(AuditEvent(**fields, prev_hash=prev_hash, hash=digest, key_id=key_id))
        prev_hash = digest
        if len(rows) >= batch or i == count - 1:
            AuditEvent.objects.bulk_create(rows)
            written += len(rows)
            rows = []
            if on_batch:
                on_batch(written)
