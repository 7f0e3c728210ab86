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


def _append(count: int) -> None:
    from bench.auditgen import audit_events_bulk

    started = time.monotonic()

    def progress(done: int) -> None:
        rate = done / (time.monotonic() - started)
        print(f"\r  appended {done:,} of {count:,} ({rate:,.0f}/s)", end="", flush=True)

    audit_events_bulk(count, batch=10_000, on_batch=progress)
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
