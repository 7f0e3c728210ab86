"""How fast referrals are submitted: over HTTP against gunicorn, beside a plain-ORM baseline.

    .venv/bin/python bench/write_bench.py                       # 1, 4, 16, 64 clients, 15 s each
    .venv/bin/python bench/write_bench.py --seconds 5 --levels 1 8 --workers 2

Makes a PostgreSQL database of its own (`--database`, dropped and created afresh, default
prevent_bench_writes on 127.0.0.1), migrates it, and starts gunicorn on a spare loopback port
with the production settings against it (Celery publishing to `--broker`, a Redis database
of its own; nothing consumes it, as a worker would elsewhere). Each client is a signed-in
referrer: it opens the declaration page of one of its complete drafts, as a browser does,
and posts it with the page's hidden fields (the CSRF token) and "confirm" ticked: the real
journey's final POST, which submits, routes and starts the process. For `--seconds` at each
concurrency it counts the submissions that reached the confirmation page.

In the same run the baseline makes the same number of threads do a plain Django insert of the
same referral and one audit event (the project's one way to write one, compliance/audit.py),
each thread with its own connection. Then it counts the queries of one submission, of one
transition (the police acknowledgement, through its service) and of the baseline, and prints
everything with the ratios. Not a test: nothing passes or fails on time.
"""

import argparse
import http.client
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CAMDEN = "E09000007"
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>', re.IGNORECASE)
ATTR = re.compile(r'(name|value)="([^"]*)"')


def _spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(database_url: str, broker: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        "AUDIT_CHAIN_KEY": os.environ.get("BENCH_AUDIT_CHAIN_KEY") or secrets.token_urlsafe(40),
        "WEBHOOK_SECRET_KEY": os.environ.get("BENCH_WEBHOOK_KEY") or secrets.token_urlsafe(48),
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/12"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "False",  # plain HTTP on loopback: no proxy terminating TLS
        "CONN_MAX_AGE": "60",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }


def _fresh_database(name: str, host: str) -> None:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@{host}:5432/postgres", autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg.execute(f'CREATE DATABASE "{name}"')


# --- Setting up: referrers, their sessions and drafts --------------------------------------------


def _people(clients: int):
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import Role
    from regions.selectors import route_local_authority
    from regions.services import team_add_member

    route = route_local_authority(CAMDEN)
    referrer_group = Group.objects.get_or_create(name=Role.REFERRER.value)[0]
    referrers = []
    for n in range(clients):
        user = User.objects.create_user(
            email=f"dsl{n}@bench-school.example",
            password=secrets.token_urlsafe(16),
            full_name=f"Bench Referrer {n}",
            organisation=f"Bench School {n}",
        )
        user.groups.add(referrer_group)
        referrers.append(user)
    police = User.objects.create_user(
        email="officer@bench-police.example",
        password=secrets.token_urlsafe(16),
        full_name="Bench Officer",
    )
    police.groups.add(Group.objects.get_or_create(name=Role.CTP_PREVENT_OFFICER.value)[0])
    team_add_member(team=route.ctp_team, user=police)
    return referrers, police, route


def _session_cookie(user) -> str:
    """A signed-in session, as the sign-in page would leave it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _word(length: int) -> str:
    return "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(length)).title()


def _draft_fields(referrer, route) -> dict:
    """A draft with every page answered, about a different person each time.

    Names and postcodes are unrelated strings and dates of birth spread over 25 years, so the
    duplicate check finds few candidates: what it costs depends on how alike the people
    referred are, and that is not what is measured here.
    """
    from datetime import date, timedelta

    from django.utils import timezone

    from referrals.models import Awareness, ConcernType, Gender, Sector

    return {
        "created_by": referrer,
        "first_name": _word(6),
        "last_name": _word(9),
        "date_of_birth": date(1990, 1, 1) + timedelta(days=secrets.randbelow(9000)),
        "gender": Gender.NOT_KNOWN,
        "address_line_1": "1 Example Street",
        "town": "London",
        "postcode": f"NW{secrets.randbelow(9) + 1} {secrets.randbelow(10)}{_word(2).upper()}",
        "local_authority": route.local_authority,
        "school_or_employer": "Example Academy",
        "person_aware": Awareness.NO,
        "referrer_name": referrer.full_name,
        "referrer_role": "Designated safeguarding lead",
        "referrer_organisation": referrer.organisation,
        "referrer_sector": Sector.EDUCATION,
        "referrer_email": referrer.email,
        "referrer_phone": "020 7946 0000",
        "concern_type": ConcernType.NO_CLEAR_IDEOLOGY,
        "narrative": "Has been sharing violent material with younger pupils.",
        "seen_or_heard": "A teacher saw videos on the pupil's phone in class.",
        "seen_on": timezone.localdate() - timedelta(days=3),
        "immediate_risk": False,
    }


def _drafts(referrer, route, count: int) -> list:
    from referrals.models import Referral

    made = Referral.objects.bulk_create(
        [Referral(**_draft_fields(referrer, route)) for _ in range(count)]
    )
    return [str(referral.public_id) for referral in made]


# --- Over HTTP -----------------------------------------------------------------------------------


class Client:
    """One signed-in referrer's browser: a keep-alive connection and its cookies."""

    def __init__(self, port: int, session_cookie: str, drafts: list[str]):
        self.port, self.cookies, self.drafts, self.latencies = port, {}, drafts, []
        name, value = session_cookie.split("=", 1)
        self.cookies[name] = value
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def _request(self, method: str, path: str, body: str | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            raise
        content = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, rest = value.split("=", 1)
                self.cookies[name] = rest.split(";", 1)[0]
        return response, content

    latencies: list[float]

    def submit_one(self) -> bool:
        """Open a draft's declaration page and post it. True when it reached confirmation."""
        public_id = self.drafts.pop()
        path = f"/referrals/{public_id}/declaration/"
        response, page = self._request("GET", path)
        if response.status != 200:
            return False
        fields = {}
        for tag in HIDDEN.findall(page):
            attrs = dict(ATTR.findall(tag))
            if "name" in attrs:
                fields[attrs["name"]] = attrs.get("value", "")
        fields["confirm"] = "on"
        started = time.monotonic()
        response, _ = self._request("POST", path, urllib.parse.urlencode(fields))
        self.latencies.append(time.monotonic() - started)
        return response.status == 302 and "/confirmation/" in (response.getheader("Location") or "")


def _run_clients(clients: list[Client], seconds: float) -> tuple[int, int, float]:
    done, failed, lock = [0], [0], threading.Lock()
    start = threading.Barrier(len(clients) + 1)
    deadline = [0.0]

    def work(client: Client) -> None:
        start.wait()
        while time.monotonic() < deadline[0] and client.drafts:
            try:
                ok = client.submit_one()
            except (http.client.HTTPException, OSError):
                ok = False
            with lock:
                if ok:
                    done[0] += 1
                else:
                    failed[0] += 1

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + seconds
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join()
    return done[0], failed[0], time.monotonic() - began


# --- The plain-ORM baseline ----------------------------------------------------------------------


def _baseline_one(fields: dict) -> None:
    from django.db import transaction
    from django.utils import timezone

    from compliance.audit import audit_record
    from referrals.models import Referral, ReferralStatus

    with transaction.atomic():
        referral = Referral.objects.create(
            **fields, status=ReferralStatus.SUBMITTED, submitted_at=timezone.now()
        )
        audit_record(actor=fields["created_by"], action="referral.submitted", obj=referral)


def _run_baseline(referrers, route, threads: int, seconds: float) -> tuple[int, float]:
    from django.db import connections

    done, lock = [0], threading.Lock()
    start = threading.Barrier(threads + 1)
    deadline = [0.0]

    def work(n: int) -> None:
        referrer = referrers[n % len(referrers)]
        start.wait()
        try:
            while time.monotonic() < deadline[0]:
                _baseline_one(_draft_fields(referrer, route))
                with lock:
                    done[0] += 1
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    deadline[0] = time.monotonic() + seconds
    began = time.monotonic()
    start.wait()
    for worker in workers:
        worker.join()
    return done[0], time.monotonic() - began


# --- Queries -------------------------------------------------------------------------------------


def _queries(referrer, police, route) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from referrals.models import Referral
    from workflows.engine.models import CaseTask
    from workflows.referral import services
    from workflows.referral.intake import referral_submit

    def draft():
        return Referral.objects.create(**_draft_fields(referrer, route))

    def acknowledgement(referral):
        return CaseTask.objects.get(referral=referral, stage="police_acknowledge").task

    warm = referral_submit(user=referrer, referral=draft(), declaration_confirmed=True)
    services.task_acknowledge(task=acknowledgement(warm), user=police)  # warm the caches
    counts = {}
    ready = draft()
    with CaptureQueriesContext(connection) as captured:
        referral = referral_submit(user=referrer, referral=ready, declaration_confirmed=True)
    counts["submission"] = len(captured)
    task = acknowledgement(referral)
    with CaptureQueriesContext(connection) as captured:
        services.task_acknowledge(task=task, user=police)
    counts["transition (police acknowledge)"] = len(captured)
    _baseline_one(_draft_fields(referrer, route))
    with CaptureQueriesContext(connection) as captured:
        _baseline_one(_draft_fields(referrer, route))
    counts["baseline (referral + audit row)"] = len(captured)
    return counts


# --- Running it ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--seconds", type=float, default=15.0, help="per concurrency level")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--database", default="prevent_bench_writes")
    parser.add_argument("--host", default="127.0.0.1", help="PostgreSQL host (trust auth)")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    if args.host not in {"127.0.0.1", "localhost", "::1"}:
        parser.error("the benchmark only runs against a database on this machine")

    port = _spare_port()
    database_url = f"postgres://postgres@{args.host}:5432/{args.database}"
    env = _environment(database_url, args.broker, port)
    print(f"database {args.database}: creating and migrating", flush=True)
    _fresh_database(args.database, args.host)
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run(
        [python, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(env)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    clients_max = max(args.levels)
    referrers, police, route = _people(clients_max)
    cookies = [_session_cookie(user) for user in referrers]
    connections.close_all()

    gunicorn = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    http_results, baseline_results = {}, {}
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not start")
        print(
            f"gunicorn on 127.0.0.1:{port}, {args.workers} workers, "
            f"{settings.SETTINGS_MODULE}; {args.seconds:.0f} s per level",
            flush=True,
        )
        warm = Client(port, cookies[0], _drafts(referrers[0], route, args.workers * 2))
        while warm.drafts:  # every worker loads the code and its caches before measuring
            warm.submit_one()

        for level in args.levels:
            per_client = max(20, int(40 * args.seconds / level) + 5)
            clients = [
                Client(port, cookies[n], _drafts(referrers[n], route, per_client))
                for n in range(level)
            ]
            connections.close_all()
            done, failed, elapsed = _run_clients(clients, args.seconds)
            latency = statistics.median(t for c in clients for t in c.latencies) * 1000
            http_results[level] = (done / elapsed, failed, latency)
            print(
                f"  HTTP, {level:>2} clients: {done / elapsed:7.1f} submissions/s"
                f" ({done} in {elapsed:.1f} s, {failed} failed, final POST {latency:.0f} ms)",
                flush=True,
            )
            done, elapsed = _run_baseline(referrers, route, level, args.seconds)
            baseline_results[level] = done / elapsed
            print(f"  baseline, {level:>2} threads: {done / elapsed:7.1f} inserts/s", flush=True)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)

    counts = _queries(referrers[0], police, route)
    connections.close_all()
    _broker_clear(args.broker)

    print()
    print(
        f"{'clients':>8}{'submissions/s':>16}{'POST ms':>9}{'baseline/s':>12}{'ratio':>8}"
        f"{'failed':>8}"
    )
    for level in args.levels:
        rate, failed, latency = http_results[level]
        base = baseline_results[level]
        print(f"{level:>8}{rate:>16.1f}{latency:>9.0f}{base:>12.1f}{rate / base:>8.2f}{failed:>8}")
    print()
    baseline = counts["baseline (referral + audit row)"]
    print(f"{'queries':<36}{'count':>6}{'x baseline':>12}")
    for name, count in counts.items():
        print(f"{name:<36}{count:>6}{count / baseline:>12.1f}")
    rates = [http_results[level][0] for level in args.levels]
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"submissions/s from {args.levels[0]} to {args.levels[-1]} clients: "
        f"{min(rates):.1f}-{max(rates):.1f} (median {statistics.median(rates):.1f})"
    )


def _broker_clear(broker: str) -> None:
    """Drop the delivery messages nobody consumed (only the default Celery queue's key)."""
    import redis

    redis.Redis.from_url(broker).delete("celery")


if __name__ == "__main__":
    main()
