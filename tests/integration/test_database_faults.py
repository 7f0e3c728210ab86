"""PostgreSQL restarted while referrals are being submitted: clean errors, nothing half-written,
the audit chain intact.

The test starts a PostgreSQL of its own (initdb into a temporary directory, a spare port, run
as the `postgres` system user) and stops only that one, by the process id in its own
`postmaster.pid`. The service runs against it in another process
(tests/integration/database_load.py), submitting referrals through the journey's pages as
fast as it can; part-way through, the database is killed the way a crash kills it (SIGQUIT:
immediate shutdown, recovery from the write-ahead log at the next start) and started again a
few seconds later. A referrer who meets the error page submits again.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
LOAD = Path(__file__).with_name("database_load.py")
DRAFTS = 40
OUTAGE_AFTER = 8  # submissions done before the database goes down
OUTAGE_SECONDS = 4
SLOWEST_ANSWER_SECONDS = 10  # an answer, even an error, never hangs


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnPostgres:
    """A PostgreSQL cluster of this test's own."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="prevent-fault-pg-"))
        self.data = self.directory / "data"
        self.port = _free_port()
        shutil.chown(self.directory, "postgres", "postgres")
        self._as_postgres("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/prevent_fault"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        log = str(self.directory / "server.log")
        self._as_postgres("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        return int(pid_file.read_text().split()[0]) if pid_file.exists() else None

    def crash(self) -> None:
        """Immediate shutdown, as after a crash: no checkpoint, recovery at the next start."""
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGQUIT)
        deadline = time.monotonic() + 30
        while self.pid() is not None and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGINT)  # fast shutdown
            deadline = time.monotonic() + 30
            while self.pid() is not None and time.monotonic() < deadline:
                time.sleep(0.1)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def own_postgres():
    server = OwnPostgres()
    server.start()
    yield server
    server.stop()


def _service_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DATABASE_"))}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DEBUG="0",
        AUDIT_CHAIN_KEY="fault-test-audit-chain-key-of-32-characters",
    )
    return env


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_database_restarted_during_submissions(own_postgres, tmp_path):
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-p", str(own_postgres.port), "-U", "postgres"]
        + ["prevent_fault"],
        check=True,
        timeout=60,
    )
    env = _service_env(own_postgres.url)
    _run(env, "manage.py", "migrate", "--noinput")
    _run(env, str(LOAD), "prepare", str(DRAFTS))

    log = tmp_path / "load.log"  # a file, not a pipe: its error logs must never block it
    load = subprocess.Popen(
        [sys.executable, str(LOAD), "submit"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    lines = []
    try:
        for line in load.stdout:
            lines.append(json.loads(line))
            if len(lines) == OUTAGE_AFTER:
                own_postgres.crash()
                time.sleep(OUTAGE_SECONDS)
                own_postgres.start()
        assert load.wait(timeout=300) == 0, log.read_text()[-3000:]
    finally:
        if load.poll() is None:
            load.kill()

    answers = [answer for line in lines for answer in line["answers"]]
    assert len(lines) == DRAFTS
    # The outage was met, and met cleanly: a 503 with its page, never a server error or a hang.
    codes = {answer.get("post", answer.get("get")) for answer in answers}
    assert 503 in codes, codes
    assert codes <= {200, 302, 503}, codes
    assert max(answer["seconds"] for answer in answers) < SLOWEST_ANSWER_SECONDS
    # Every referral ended submitted, once.
    assert all(
        line["answers"][-1].get("post", line["answers"][-1].get("get")) == 302 for line in lines
    )

    state = json.loads(_run(env, str(LOAD), "check"))
    for case in state["cases"]:  # each whole: nothing half-written, nothing twice
        assert case["status"] == "in_progress" and case["reference"], case
        assert case["processes"] == 1 and case["submitted_events"] == 1, case
        assert case["open_tasks"] == ["la_acknowledge", "police_acknowledge"], case
    assert len({case["reference"] for case in state["cases"]}) == DRAFTS
    assert state["chain_ok"], state["problem"]
    assert state["unsealed"] == 0 and state["checked"] > 0
