"""The national history generator builds a database that verifies and can be worked.

Builds a small history (in its own prevent_gen database, as the command line does), checks
its proportions roughly, verifies its audit chain and opens a generated open task as a member
of its team and as someone from another region. PostgreSQL only: it writes with COPY.
"""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connections
from django.urls import reverse

from accounts.models import User
from tests.clients import Client

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
NAME = f"prevent_gen_test_{os.getpid()}"
REFERRALS = 300


def _server_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    return url.rsplit("/", 1)[0]


@pytest.fixture(scope="module")
def generated():
    server = _server_url()
    if server is None:
        pytest.skip("the generator writes with PostgreSQL COPY: DATABASE_URL is not PostgreSQL")
    env = {**os.environ, "NATIONALGEN_ADMIN_URL": f"{server}/postgres"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "bench/nationalgen.py", "--database", NAME]
    subprocess.run([*command, "--referrals", str(REFERRALS)], cwd=ROOT, env=env, check=True)
    yield f"{server}/{NAME}", env
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')


def _share(db, where: str) -> float:
    total = db.execute("SELECT COUNT(*) FROM referrals_referral").fetchone()[0]
    # `where` is one of this module's own conditions, never input.
    sql = f"SELECT COUNT(*) FROM referrals_referral WHERE {where}"  # noqa: S608
    part = db.execute(sql).fetchone()[0]
    return part / total


def test_proportions_are_roughly_the_published_ones(generated):
    url, _ = generated
    with psycopg.connect(url) as db:
        assert db.execute("SELECT COUNT(*) FROM referrals_referral").fetchone()[0] == REFERRALS
        under_18 = "date_of_birth > submitted_at::date - interval '18 years'"
        assert 0.55 < _share(db, under_18) < 0.78
        assert 0.45 < _share(db, "concern_type = 'no_clear_ideology'") < 0.67
        assert 0.12 < _share(db, "concern_type = 'extreme_right_wing'") < 0.28
        assert 0.29 < _share(db, "referrer_sector = 'education'") < 0.47
        assert 0.85 < _share(db, "status = 'closed'") < 0.99
        assert _share(db, "search_names <> ''") == 1
        assert (
            db.execute("SELECT COUNT(DISTINCT region_id) FROM referrals_referral").fetchone()[0]
            == 9
        )
        open_tasks = db.execute("SELECT COUNT(*) FROM workflows_casetask WHERE is_open").fetchone()
        assert open_tasks[0] > 0


def test_the_audit_chain_verifies(generated):
    url, env = generated
    result = subprocess.run(
        [sys.executable, "manage.py", "verify_audit"],
        cwd=ROOT,
        env={**env, "DATABASE_URL": url},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "intact" in result.stdout


@pytest.fixture
def on_generated(generated, django_db_blocker, settings):
    """Django's connection pointed at the generated database for one test."""
    settings.AXES_ENABLED = False
    connection = connections["default"]
    saved = connection.settings_dict["NAME"]
    with django_db_blocker.unblock():
        connection.close()
        connection.settings_dict["NAME"] = NAME
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["NAME"] = saved


def test_an_open_task_is_worked_by_its_team_and_hidden_from_other_regions(on_generated):
    with connections["default"].cursor() as cursor:
        cursor.execute(
            """
            SELECT c.task_id, c.region_id FROM workflows_casetask c
            JOIN regions_team t ON t.id = c.team_id
            WHERE c.is_open AND c.stage = 'police_acknowledge' ORDER BY c.task_id LIMIT 1
            """
        )
        task_id, region_id = cursor.fetchone()
    member = User.objects.get(teams__case_tasks__task_id=task_id)
    outsider = (
        User.objects.filter(teams__kind="ctp_prevent", teams__region__isnull=False)
        .exclude(teams__region_id=region_id)
        .first()
    )
    url = reverse("workflows:task", args=[task_id])

    client = Client()
    client.force_login(outsider)
    assert client.get(url).status_code == 404

    client = Client()
    client.force_login(member)
    assert client.get(url).status_code == 200
    response = client.post(url, {"note": "Seen, thank you."})
    assert response.status_code == 302
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT status FROM viewflow_task WHERE id = %s", [task_id])
        assert cursor.fetchone()[0] == "DONE"
