"""Schemathesis against the live service and the schema it serves: every operation, with
examples, boundary values and random input (valid and not), as each kind of caller — a
school's system (a token with every scope), a police officer and a compliance officer (each a
session verified by a second factor, as the sign-in pages leave it) and someone not signed in.

Zero server errors, and every answer as the schema says: its status, content type, headers
and body. Bounded in time (`API_CHECK_SECONDS` per caller, 45 by default) and reproducible
(`API_CHECK_SEED`). Run by `make api-check` and `.ci/run`, not by `make test`: marked
`api_check`.
"""

import os
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient as PlainAPIClient

from api.intake import EXAMPLE_DOCUMENT
from api.models import Organisation, Scope
from api.services import api_client_create
from tests.clients import Client
from tests.factories import postcodes_load

pytestmark = pytest.mark.api_check

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SECONDS = int(os.environ.get("API_CHECK_SECONDS", "45"))
SEED = os.environ.get("API_CHECK_SEED", "20261201")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


@pytest.fixture
def service(settings, regions_loaded, people):
    """A Camden referral with open tasks, and the throttles out of the way (they are
    documented, but a 429 tells nothing about the operation behind it)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"client": "100000/min", "user": "100000/min"},
    }
    settings.COMPLAINTS_PER_HOUR_PER_ADDRESS = 100000
    postcodes_load()
    school = Organisation.objects.create(name="Example Academy", kind=Organisation.Kind.SCHOOL)
    _, token = api_client_create(
        organisation=school, name="Safeguarding system", scopes=list(Scope)
    )
    # A Camden referral, made as the school's system makes one, so its reference is counted.
    school_system = PlainAPIClient()
    school_system.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    made = school_system.post("/api/v1/referrals/", EXAMPLE_DOCUMENT, format="json")
    assert made.status_code == 201, made.content
    return people, token


def _session_headers(user) -> list[str]:
    """A session verified by the user's second factor, and a CSRF secret sent both ways."""
    signed_in = Client()
    signed_in.force_login(user)
    session = signed_in.cookies[django_settings.SESSION_COOKIE_NAME].value
    csrf = secrets.token_hex(16)  # Django takes the 32-character secret itself as the token
    cookies = (
        f"{django_settings.SESSION_COOKIE_NAME}={session}; "
        f"{django_settings.CSRF_COOKIE_NAME}={csrf}"
    )
    return [f"Cookie: {cookies}", f"X-CSRFToken: {csrf}"]


def _schema(base_url: str, token: str, directory: Path) -> Path:
    request = urllib.request.Request(  # noqa: S310 - the live test server on loopback
        f"{base_url}/api/schema/?format=json", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        path = directory / "schema.json"
        path.write_bytes(response.read())
    return path


@pytest.mark.parametrize("caller", ["school", "police", "compliance", "anonymous"])
def test_the_api_answers_as_its_schema_says(caller, service, live_server, tmp_path):
    people, token = service
    headers = {
        "school": [f"Authorization: Bearer {token}"],
        "police": _session_headers(people.police),
        "compliance": _session_headers(people.compliance),
        "anonymous": [],
    }[caller]
    schema = _schema(live_server.url, token, tmp_path)
    command = [
        str(SCHEMATHESIS),
        "run",
        str(schema),
        "--url",
        live_server.url,
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "25",
        "--max-time",
        str(SECONDS),
        "--seed",
        SEED,
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    # One connection a request: the test server would read a body a refusal left unread as
    # the next request on a kept-alive connection (gunicorn, in production, does not).
    for header in [*headers, "Connection: close"]:
        command += ["--header", header]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=SECONDS * 4 + 120,
        check=False,
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    print(output)  # the summary, for the CI log
    assert result.returncode == 0, output
