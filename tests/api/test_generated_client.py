"""A council's supplier can generate a working client from the schema: openapi-python-client
generates one from the schema the live service serves to a client's token, and that client
submits a referral as a school's system and reads its status back, over HTTP.

The generator runs as its own process, offline, into this test's directory; nothing generated
is kept.
"""

import importlib
import json
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from api.intake import EXAMPLE_DOCUMENT
from api.models import Organisation, Scope
from api.services import api_client_create
from tests.factories import postcodes_load

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "prevent_client"
CONFIG = f"project_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\npost_hooks: []\n"


@pytest.fixture
def school_token(regions_loaded, people) -> str:
    postcodes_load()
    school = Organisation.objects.create(name="Example Academy", kind=Organisation.Kind.SCHOOL)
    _, raw = api_client_create(
        organisation=school,
        name="Safeguarding system",
        scopes=[Scope.REFERRALS_SUBMIT, Scope.REFERRALS_READ_OWN],
    )
    return raw


def _served_schema(base_url: str, token: str) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - the live test server on loopback
        f"{base_url}/api/schema/?format=json", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert response.status == 200
        return response.read()


@pytest.fixture
def generated(tmp_path, live_server, school_token):
    """The generated package, imported from this test's directory, and forgotten after it."""
    schema = tmp_path / "schema.json"
    schema.write_bytes(_served_schema(live_server.url, school_token))
    config = tmp_path / "generator.yaml"
    config.write_text(CONFIG)
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(tmp_path / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_a_school_submits_a_referral_and_follows_it_with_the_generated_client(
    generated, live_server, school_token
):
    client = generated.AuthenticatedClient(base_url=live_server.url, token=school_token)
    create = _module("api.v1.v1_referrals_create")
    retrieve = _module("api.v1.v1_referrals_retrieve")
    models = _module("models")

    document = models.ReferralDocument.from_dict(EXAMPLE_DOCUMENT)
    key = str(uuid.uuid4())
    response = create.sync_detailed(client=client, body=document, idempotency_key=key)
    assert response.status_code == 201, response.content
    created = response.parsed
    assert isinstance(created, models.MyReferral)
    assert created.reference.startswith("PRV-")

    followed = retrieve.sync(client=client, public_id=created.id)
    assert isinstance(followed, models.MyReferral)
    assert (followed.id, followed.reference) == (created.id, created.reference)
    assert followed.status == "Being assessed"

    # A retry with the same key is the same referral, marked as replayed.
    again = create.sync_detailed(client=client, body=document, idempotency_key=key)
    assert again.status_code == 201 and again.parsed.id == created.id
    assert again.headers["Idempotent-Replayed"] == "true"


def test_refusals_arrive_as_problem_documents_in_the_generated_client(
    generated, live_server, school_token
):
    client = generated.AuthenticatedClient(base_url=live_server.url, token=school_token)
    create = _module("api.v1.v1_referrals_create")
    retrieve = _module("api.v1.v1_referrals_retrieve")
    regions = _module("api.v1.v1_regions_list")
    models = _module("models")

    broken = json.loads(json.dumps(EXAMPLE_DOCUMENT))
    broken["person"]["first_name"] = ""
    refused = create.sync(client=client, body=models.ReferralDocument.from_dict(broken))
    assert isinstance(refused, models.Problem)
    assert (refused.status, refused.code) == (400, "invalid_referral")
    assert "person.first_name" in refused.errors.additional_properties

    missing = retrieve.sync(client=client, public_id=uuid.uuid4())
    assert isinstance(missing, models.Problem) and missing.code == "not_found"

    no_scope = regions.sync(client=client)  # this client was not given reference:read
    assert isinstance(no_scope, models.Problem) and no_scope.status == 403

    anonymous = generated.Client(base_url=live_server.url)
    unauthenticated = retrieve.sync(client=anonymous, public_id=uuid.uuid4())
    assert isinstance(unauthenticated, models.Problem) and unauthenticated.status == 401
