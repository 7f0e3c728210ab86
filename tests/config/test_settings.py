"""Settings are driven by the environment: each case runs in a fresh process with a clean one."""

import json
import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from accounts.roles import Role
from regions.models import Team

BASE_DIR = Path(settings.BASE_DIR)
POSTGRES_URL = "postgres://prevent:pw@db.internal:6543/prevent_live"


def _run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run Python in a fresh process whose environment holds only what the test gives it."""
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "VAR_DIR": str(tmp_path / "var"),
        **env,
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _settings_of(module: str, env: dict[str, str], tmp_path: Path, *names: str) -> dict:
    """Import a settings module in a fresh process and return the named settings as JSON."""
    code = (
        "import json, importlib; "
        f"m = importlib.import_module({module!r}); "
        f"print(json.dumps({{n: getattr(m, n) for n in {list(names)!r}}}, default=str))"
    )
    done = _run(["-c", code], env, tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _production_env(**overrides: str | None) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_CHAIN_KEY": secrets.token_urlsafe(48),
        "WEBHOOK_SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "prevent.example.gov.uk",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/prevent",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        **overrides,
    }
    return {k: v for k, v in env.items() if v is not None}


# Databases -----------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["config.settings.local", "config.settings.test"])
def test_without_database_url_the_database_is_sqlite_with_immediate_transactions(module, tmp_path):
    db = _settings_of(module, {}, tmp_path, "DATABASES")["DATABASES"]["default"]

    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "var" / "db.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] >= 5
    assert db["ATOMIC_REQUESTS"] is False


def test_sqlite_test_database_is_a_file_so_threads_and_processes_share_it(tmp_path):
    db = _settings_of("config.settings.test", {}, tmp_path, "DATABASES")["DATABASES"]["default"]

    test_db = Path(db["TEST"]["NAME"])
    assert test_db.parent == tmp_path / "var"
    assert test_db.name.startswith("test-db") and test_db.suffix == ".sqlite3"
    assert test_db != Path(db["NAME"])


@pytest.mark.parametrize("module", ["config.settings.local", "config.settings.test"])
def test_a_postgres_database_url_gives_the_postgresql_engine(module, tmp_path):
    env = {"DATABASE_URL": POSTGRES_URL, "CONN_MAX_AGE": "30"}

    db = _settings_of(module, env, tmp_path, "DATABASES")["DATABASES"]["default"]

    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("prevent_live", "prevent", "pw")
    assert (db["HOST"], int(db["PORT"])) == ("db.internal", 6543)
    assert "transaction_mode" not in db.get("OPTIONS", {})
    assert db["CONN_MAX_AGE"] == 30
    assert "TEST" not in db or "NAME" not in db["TEST"]


def test_the_suite_runs_on_the_database_the_environment_names():
    """`make test` uses SQLite; `make test-postgres` (CI) sets DATABASE_URL to PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"

    assert connection.vendor == expected
    if connection.vendor == "sqlite":
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_local_settings_make_a_secret_key_per_checkout_and_keep_it(tmp_path):
    first = _settings_of("config.settings.local", {}, tmp_path, "SECRET_KEY", "DEBUG")
    second = _settings_of("config.settings.local", {}, tmp_path, "SECRET_KEY")

    assert len(first["SECRET_KEY"]) >= 50
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0
    assert first["DEBUG"] is False


def test_local_settings_make_an_audit_chain_key_per_checkout(tmp_path):
    first = _settings_of("config.settings.local", {}, tmp_path, "AUDIT_CHAIN_KEY", "SECRET_KEY")
    second = _settings_of("config.settings.local", {}, tmp_path, "AUDIT_CHAIN_KEY")

    assert len(first["AUDIT_CHAIN_KEY"]) >= 50
    assert first["AUDIT_CHAIN_KEY"] == second["AUDIT_CHAIN_KEY"] != first["SECRET_KEY"]
    assert (tmp_path / "var" / "audit_chain_key").stat().st_mode & 0o077 == 0


# Production refuses to start half-configured -------------------------------------------------


def test_production_settings_load_when_everything_is_set(tmp_path):
    values = _settings_of(
        "config.settings.production",
        _production_env(),
        tmp_path,
        "DEBUG",
        "ALLOWED_HOSTS",
        "ENVIRONMENT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "DATABASES",
    )

    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["prevent.example.gov.uk"]
    assert values["ENVIRONMENT"] == "production"
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": None}, "Set the SECRET_KEY environment variable"),
        ({"AUDIT_CHAIN_KEY": None}, "Set AUDIT_CHAIN_KEY (at least 32 characters)"),
        ({"AUDIT_CHAIN_KEY": "short"}, "Set AUDIT_CHAIN_KEY (at least 32 characters)"),
        ({"WEBHOOK_SECRET_KEY": None}, "Set WEBHOOK_SECRET_KEY (at least 32 characters)"),
        ({"WEBHOOK_SECRET_KEY": "short"}, "Set WEBHOOK_SECRET_KEY (at least 32 characters)"),
        ({"ALLOWED_HOSTS": None}, "Set the ALLOWED_HOSTS environment variable"),
        ({"ALLOWED_HOSTS": ""}, "Set the ALLOWED_HOSTS environment variable"),
        ({"DATABASE_URL": None}, "Set the DATABASE_URL environment variable"),
        (
            {"DATABASE_URL": "sqlite:////tmp/prevent.sqlite3"},
            "Production needs a PostgreSQL DATABASE_URL (postgres://...)",
        ),
        ({"CACHE_URL": None}, "Set CACHE_URL to a Redis address"),
        ({"CACHE_URL": "locmem://"}, "Set CACHE_URL to a Redis address"),
    ],
    ids=[
        "no-secret-key",
        "no-audit-key",
        "short-audit-key",
        "no-webhook-key",
        "short-webhook-key",
        "no-allowed-hosts",
        "empty-allowed-hosts",
        "no-database",
        "sqlite",
        "no-shared-cache",
        "per-process-cache",
    ],
)
def test_production_refuses_to_start_without_its_configuration(overrides, message, tmp_path):
    done = _run(["manage.py", "check"], _production_env(**overrides), tmp_path)

    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert message in done.stderr


def test_deploy_checks_are_clean_under_production_settings(tmp_path):
    done = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env(), tmp_path
    )

    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


def test_deploy_checks_fail_when_production_is_weakened(tmp_path):
    """The check above is meaningful: turning off HTTPS redirects makes it fail."""
    env = _production_env(SECURE_SSL_REDIRECT="false")

    done = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)

    assert done.returncode != 0
    assert "security.W008" in done.stderr


# Celery --------------------------------------------------------------------------------------

CELERY_SETTINGS = ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")


def test_celery_runs_tasks_eagerly_without_a_broker(tmp_path):
    values = _settings_of("config.settings.test", {}, tmp_path, *CELERY_SETTINGS)

    assert values == {
        "CELERY_TASK_ALWAYS_EAGER": True,
        "CELERY_BROKER_URL": "",
        "CELERY_RESULT_BACKEND": None,
    }


@pytest.mark.parametrize("module", ["config.settings.local", "config.settings.test"])
def test_celery_uses_the_broker_when_one_is_set(module, tmp_path):
    broker = "redis://127.0.0.1:6379/15"

    values = _settings_of(module, {"CELERY_BROKER_URL": broker}, tmp_path, *CELERY_SETTINGS)

    assert values == {
        "CELERY_TASK_ALWAYS_EAGER": False,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": None,  # fire-and-forget: nothing waits on a result store
    }


def test_publishing_gives_up_within_a_second_and_no_result_is_kept(tmp_path):
    values = _settings_of(
        "config.settings.production",
        _production_env(CELERY_BROKER_URL="redis://127.0.0.1:6379/15"),
        tmp_path,
        "CELERY_TASK_IGNORE_RESULT",
        "CELERY_RESULT_BACKEND",
        "CELERY_BROKER_CONNECTION_TIMEOUT",
        "CELERY_TASK_PUBLISH_RETRY_POLICY",
        "CELERY_BROKER_TRANSPORT_OPTIONS",
    )
    policy = values["CELERY_TASK_PUBLISH_RETRY_POLICY"]
    transport = values["CELERY_BROKER_TRANSPORT_OPTIONS"]
    attempts = policy["max_retries"] + 1
    waits = sum(
        min(policy["interval_start"] + n * policy["interval_step"], policy["interval_max"])
        for n in range(policy["max_retries"])
    )
    assert values["CELERY_TASK_IGNORE_RESULT"] is True
    assert values["CELERY_RESULT_BACKEND"] is None
    # Against a broker that does not answer at all, every attempt waits out its connect timeout.
    assert attempts * transport["socket_connect_timeout"] + waits < 1.5
    assert values["CELERY_BROKER_CONNECTION_TIMEOUT"] <= 0.5


@pytest.mark.parametrize(("broker", "eager"), [("", True), ("redis://127.0.0.1:6379/15", False)])
def test_the_celery_app_picks_up_the_django_settings(broker, eager, tmp_path):
    code = (
        "import django; django.setup(); from config.celery import app; "
        "print(app.conf.task_always_eager, app.conf.broker_url or '', app.main)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", "CELERY_BROKER_URL": broker}

    done = _run(["-c", code], env, tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(eager), *([broker] if broker else []), "prevent"]


# Demo data -----------------------------------------------------------------------------------


def test_demo_data_is_refused_under_production_settings(tmp_path):
    done = _run(["manage.py", "demo_data"], _production_env(), tmp_path)

    assert done.returncode == 1
    assert "Demo data is refused under production settings." in done.stderr
    assert "Password:" not in done.stdout


def test_demo_data_is_refused_when_the_environment_is_production(tmp_path):
    database = tmp_path / "would-be-demo.sqlite3"
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "ENVIRONMENT": "production",
        "DATABASE_URL": f"sqlite:///{database}",
    }

    done = _run(["manage.py", "demo_data"], env, tmp_path)

    assert done.returncode == 1
    assert "Demo data is refused under production settings." in done.stderr
    assert not database.exists()


@pytest.mark.django_db
def test_demo_data_command_refuses_production_in_process(settings, regions_loaded):
    settings.ENVIRONMENT = "production"

    with pytest.raises(CommandError, match="refused under production"):
        call_command("demo_data", stdout=StringIO())

    assert not User.objects.exists()


@pytest.mark.django_db
def test_demo_data_creates_users_in_every_role_in_two_regions(regions_loaded):
    out = StringIO()

    call_command("demo_data", password="a-demo-password-1", stdout=out)

    users = User.objects.all()
    roles = {name for user in users for name in user.groups.values_list("name", flat=True)}
    assert set(Role.values) <= roles
    assert all(user.check_password("a-demo-password-1") for user in users)
    assert "Password: a-demo-password-1" in out.getvalue()
    for role in (Role.REGIONAL_ADVISER, Role.CTP_PREVENT_OFFICER, Role.LA_PREVENT_LEAD):
        member_regions = set(
            Team.objects.filter(members__groups__name=role.value).values_list(
                "region__name", flat=True
            )
        )
        assert member_regions == {"London", "North West"}, role
    la_leads = User.objects.filter(groups__name=Role.LA_PREVENT_LEAD.value)
    assert la_leads.count() == 4
    for kind in (Team.Kind.REGIONAL_ADVISERS, Team.Kind.CTP_PREVENT):
        assert Team.objects.filter(kind=kind, members__isnull=False).distinct().count() == 2


@pytest.mark.django_db
def test_demo_data_can_run_again_without_duplicates(regions_loaded):
    call_command("demo_data", password="a-demo-password-1", stdout=StringIO())
    first = sorted(User.objects.values_list("email", flat=True))

    call_command("demo_data", password="a-demo-password-2", stdout=StringIO())

    assert sorted(User.objects.values_list("email", flat=True)) == first
    assert User.objects.get(email="admin@example.gov.uk").check_password("a-demo-password-2")


def test_production_refuses_notify_without_its_keys():
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "k" * 60,
        "AUDIT_CHAIN_KEY": "a" * 48,
        "WEBHOOK_SECRET_KEY": "w" * 48,
        "ALLOWED_HOSTS": "prevent.example.gov.uk",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/prevent",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        "EMAIL_BACKEND": "notifications.backends.NotifyEmailBackend",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "NOTIFY_API_KEY and NOTIFY_TEMPLATE_ID" in result.stderr


# Sign-in -------------------------------------------------------------------------------------

SIGN_IN_SETTINGS = ("SESSION_IDLE_TIMEOUT", "SESSION_COOKIE_AGE", "AXES_FAILURE_LIMIT")


def test_sessions_idle_out_after_30_minutes_and_end_after_8_hours_by_default(tmp_path):
    values = _settings_of("config.settings.local", {}, tmp_path, *SIGN_IN_SETTINGS)

    assert values == {
        "SESSION_IDLE_TIMEOUT": 30,
        "SESSION_COOKIE_AGE": 8 * 60 * 60,
        "AXES_FAILURE_LIMIT": 5,
    }


def test_the_idle_limit_comes_from_the_environment(tmp_path):
    env = _production_env(SESSION_IDLE_TIMEOUT="15")

    values = _settings_of("config.settings.production", env, tmp_path, *SIGN_IN_SETTINGS)

    assert values["SESSION_IDLE_TIMEOUT"] == 15
