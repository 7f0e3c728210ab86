"""How fast the audit chain verifies, on PostgreSQL: events a second and peak memory.

    .venv/bin/python bench/verify_bench.py                    # 1,000,000 events
    .venv/bin/python bench/verify_bench.py --events 200000 --reuse

Builds its own database (`prevent_bench_audit` on 127.0.0.1, dropped first unless --reuse
finds it already holding the events), appends valid sealed events in bulk (what the sealer
would write), then verifies the whole chain in one process and in one process per core, side
by side, and after a checkpoint verifies only what came since (`--since-checkpoint`). Prints
events a second and the peak resident memory of each. Not a test: nothing passes or fails.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _database(name: str, host: str, reuse: bool) -> bool:
    """Create the database (unless reusing it); True if it was made new."""
    import psycopg

    with psycopg.connect(f"postgresql://postgres@{host}:5432/postgres", autocommit=True) as pg:
        exists = pg.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if reuse and exists:
            return False
        pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg.execute(f'CREATE DATABASE "{name}"')
    return True


def _append(count: int, batch: int = 10_000) -> None:
    from django.conf import settings
    from django.utils import timezone

    from compliance.audit import GENESIS_HASH, canonical_detail, compute_hash
    from compliance.models import AuditEvent

    last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
    sequence, prev = (last["sequence"], last["hash"]) if last else (0, GENESIS_HASH)
    key_id, now, rows = settings.AUDIT_CHAIN_KEY_ID, timezone.now(), []
    started = time.monotonic()
    for i in range(count):
        sequence += 1
        fields = {
            "sequence": sequence,
            "occurred_at": now,
            "actor_id": None,
            "actor_email": f"officer{i % 400}@example.gov.uk",
            "actor_role": "la_prevent_lead",
            "action": ("case.read", "task.completed", "case_note.added")[i % 3],
            "object_type": "referrals.referral",
            "object_id": f"00000000-0000-0000-0000-{i % 100_000:012d}",
            "case_reference": f"PRV-2026-{i % 100_000:06d}",
            "team": "Example Council Prevent team",
            "reason": "",
            "detail": canonical_detail({"via": "web", "n": i % 7}),
        }
        link = compute_hash(prev, fields, key_id)
        rows.append(AuditEvent(**fields, prev_hash=prev, hash=link, key_id=key_id))
        prev = link
        if len(rows) == batch:
            AuditEvent.objects.bulk_create(rows)
            rows = []
            done = i + 1
            rate = done / (time.monotonic() - started)
            print(f"\r  appended {done:,} of {count:,} ({rate:,.0f}/s)", end="", flush=True)
    if rows:
        AuditEvent.objects.bulk_create(rows)
    print()


def _measure(label: str, **options) -> None:
    from compliance.audit import audit_verify

    started = time.monotonic()
    result = audit_verify(**options)
    seconds = time.monotonic() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    itself = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    state = "intact" if result.ok else f"BROKEN: {result.problem}"
    print(
        f"  {label:34} {result.checked:>11,} events {seconds:7.2f} s "
        f"{result.checked / seconds:>11,.0f}/s   peak {itself:,.0f} MB (workers {children:,.0f} MB)"
        f"   {state}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database", default="prevent_bench_audit")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--reuse", action="store_true", help="keep a database already built")
    args = parser.parse_args()

    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"postgres://postgres@{args.host}:5432/{args.database}",
        AUDIT_CHAIN_KEY=os.environ.get(
            "BENCH_AUDIT_CHAIN_KEY", "bench-audit-chain-key-" + "k" * 20
        ),
    )
    os.environ.setdefault(
        "AUDIT_CHECKPOINT_FILE", str(Path(tempfile.gettempdir()) / f"{args.database}.jsonl")
    )
    os.environ.pop("CELERY_BROKER_URL", None)
    if _database(args.database, args.host, args.reuse):
        print(f"Database {args.database}: creating and migrating")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, check=True
        )
    import django

    django.setup()
    from compliance.audit import audit_checkpoint_record
    from compliance.models import AuditEvent

    have = AuditEvent.objects.count()
    if have < args.events:
        print(f"Appending {args.events - have:,} events")
        _append(args.events - have)
    print(f"Verifying {AuditEvent.objects.count():,} events on {os.cpu_count()} cores")
    _measure("one process", workers=1)
    _measure(f"{os.cpu_count()} processes", workers=os.cpu_count())
    audit_checkpoint_record()
    _append(10_000)
    _measure("since the checkpoint (10,000 new)", since_checkpoint=True, workers=1)


if __name__ == "__main__":
    main()
