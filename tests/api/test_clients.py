"""Organisations' systems: tokens, scopes, expiry, rotation, revocation, throttles and the
whole-referral submission with its idempotency key."""

import copy
import io
import threading
from datetime import timedelta
from uuid import UUID

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient as PlainAPIClient

from api.intake import EXAMPLE_DOCUMENT
from api.models import ApiClient, ApiToken, IdempotentRequest, Organisation, Scope
from api.services import api_client_create, api_client_revoke, api_token_revoke, api_token_rotate
from compliance.models import AuditEvent
from notifications.models import Notification
from referrals.models import Referral, ReferralStatus, Upload
from referrals.tasks import uploads_expire_unused
from tests.cases import CAMDEN, open_tasks
from tests.clients import APIClient
from tests.factories import postcodes_load
from tests.referrals import files

PROBLEM = "application/problem+json"
ALL = [Scope.REFERRALS_SUBMIT, Scope.REFERRALS_READ_OWN]


@pytest.fixture
def school(people):
    postcodes_load()
    return Organisation.objects.create(name="Example Academy", kind=Organisation.Kind.SCHOOL)


def _client(school, scopes=ALL, name="Safeguarding system"):
    return api_client_create(organisation=school, name=name, scopes=scopes)


def _as(raw: str) -> PlainAPIClient:
    api = PlainAPIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def _document(**changes) -> dict:
    document = copy.deepcopy(EXAMPLE_DOCUMENT)
    for path, value in changes.items():
        section, _, field = path.partition("__")
        if field:
            document[section][field] = value
        else:
            document[section] = value
    return document


def _submit(raw: str, document: dict | None = None, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return _as(raw).post(
        "/api/v1/referrals/", document or EXAMPLE_DOCUMENT, format="json", **headers
    )


# --- Tokens ------------------------------------------------------------------------------------


def test_a_token_is_shown_once_stored_as_a_digest_and_recognisable(school):
    client, raw = _client(school)
    token = ApiToken.objects.get(client=client)
    assert raw.startswith(f"prv_{token.key_id}_") and len(raw) > 50
    secret = raw.rsplit("_", 1)[1]
    assert secret not in token.secret_digest and raw not in str(ApiToken.objects.values().get())
    assert client.user.api_client == client and not client.user.has_usable_password()
    assert set(client.scopes) == {s.value for s in ALL}
    created = AuditEvent.objects.get(action="api_client.created")
    assert created.detail["key_id"] == token.key_id and raw not in str(created.detail)


def test_every_use_of_a_token_is_audited(school):
    client, raw = _client(school)
    assert _as(raw).get("/api/v1/referrals/").status_code == 200
    assert _as(raw).get("/api/v1/referrals/").status_code == 200
    uses = AuditEvent.objects.filter(action="api_client.request", object_id=str(client.public_id))
    assert uses.count() == 2
    assert uses.first().detail["path"] == "/api/v1/referrals/"
    assert ApiToken.objects.get(client=client).last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["Bearer prv_nothing_here", "Bearer prv_", "Bearer not-a-token", "Bearer prv_{key}_wrong"],
)
def test_a_wrong_token_is_a_401_problem(school, header):
    client, raw = _client(school)
    key = ApiToken.objects.get(client=client).key_id
    api = PlainAPIClient()
    api.credentials(HTTP_AUTHORIZATION=header.format(key=key))
    response = api.get("/api/v1/referrals/")
    assert response.status_code == 401 and response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    refused = AuditEvent.objects.get(action="api_client.token_refused")
    assert refused.detail["path"] == "/api/v1/referrals/" and "wrong" not in str(refused.detail)


def test_an_expired_token_is_refused(school, time_machine):
    _, raw = api_client_create(organisation=school, name="Short-lived", scopes=ALL, lifetime_days=1)
    assert _as(raw).get("/api/v1/referrals/").status_code == 200
    time_machine.move_to(timezone.now() + timedelta(days=1, minutes=1))
    assert _as(raw).get("/api/v1/referrals/").status_code == 401


def test_rotation_overlaps_then_ends_the_old_token(school, time_machine):
    client, old = _client(school)
    new = api_token_rotate(client=client, overlap=timedelta(days=7))
    assert new != old
    assert _as(old).get("/api/v1/referrals/").status_code == 200
    assert _as(new).get("/api/v1/referrals/").status_code == 200
    time_machine.move_to(timezone.now() + timedelta(days=7, minutes=1))
    assert _as(old).get("/api/v1/referrals/").status_code == 401
    assert _as(new).get("/api/v1/referrals/").status_code == 200
    assert AuditEvent.objects.filter(action="api_client.token_rotated").count() == 1


def test_revoking_a_token_or_the_client_ends_it_at_once(school):
    client, raw = _client(school)
    second = api_token_rotate(client=client)
    api_token_revoke(token=ApiToken.objects.get(client=client, key_id=raw.split("_")[1]))
    assert _as(raw).get("/api/v1/referrals/").status_code == 401
    assert _as(second).get("/api/v1/referrals/").status_code == 200
    api_client_revoke(client=client)
    assert _as(second).get("/api/v1/referrals/").status_code == 401
    assert not ApiClient.objects.get(pk=client.pk).user.is_active
    assert {e.action for e in AuditEvent.objects.filter(action__startswith="api_client.")} >= {
        "api_client.token_revoked",
        "api_client.revoked",
    }


# --- Scopes ------------------------------------------------------------------------------------


def test_each_endpoint_needs_its_scope(school):
    _, reader = _client(school, scopes=[Scope.REFERRALS_READ_OWN], name="Reader")
    _, submitter = _client(school, scopes=[Scope.REFERRALS_SUBMIT], name="Submitter")
    assert _submit(reader).status_code == 403
    assert not Referral.objects.exclude(status=ReferralStatus.DRAFT).exists()
    assert _as(submitter).get("/api/v1/referrals/").status_code == 403
    created = _submit(submitter)
    assert created.status_code == 201, created.json()
    assert _as(reader).get("/api/v1/referrals/").json()["results"] == []  # not the reader's own
    refused = _as(reader).get("/api/v1/referrals/")
    assert refused.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/tasks/", "/api/v1/my-referrals/"])
def test_a_token_reaches_no_endpoint_that_names_no_scope(school, path):
    client, raw = _client(school)
    response = _as(raw).get(path)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    refused = AuditEvent.objects.get(action="api_client.scope_refused")
    assert refused.object_id == str(client.public_id) and refused.detail["path"] == path


def test_reference_data_needs_its_scope(school):
    _, reader = _client(school, scopes=[Scope.REFERENCE_READ], name="Lookup")
    _, submitter = _client(school, scopes=[Scope.REFERRALS_SUBMIT], name="Submitter")
    found = _as(reader).get("/api/v1/postcodes/NW12DB/")
    assert found.status_code == 200 and found.json()["local_authority"]["code"] == CAMDEN
    assert _as(reader).get("/api/v1/local-authorities/").status_code == 200
    assert _as(reader).get("/api/v1/referrals/").status_code == 403
    assert _as(submitter).get("/api/v1/postcodes/NW12DB/").status_code == 403
    assert _as(submitter).get("/api/v1/regions/").status_code == 403


def test_a_client_may_read_the_schema_to_generate_its_code(school):
    _, raw = _client(school)
    response = _as(raw).get("/api/schema/?format=json")
    assert response.status_code == 200 and "/api/v1/referrals/" in response.json()["paths"]


def test_an_unknown_scope_makes_no_client(school):
    with pytest.raises(Exception, match="Unknown scope: tasks:everything"):
        api_client_create(organisation=school, name="Greedy", scopes=["tasks:everything"])
    assert not ApiClient.objects.exists()


# --- Submitting a referral ---------------------------------------------------------------------


def test_a_referral_by_api_starts_the_same_process_as_one_from_the_web(school):
    client, raw = _client(school)
    response = _submit(raw)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "reference", "status", "created_at", "submitted_at"}
    assert body["status"] == "Being assessed"  # routed and started at once
    referral = Referral.objects.get(public_id=body["id"])
    assert referral.reference == body["reference"] and referral.created_by == client.user
    assert referral.local_authority.code == CAMDEN and referral.region is not None
    assert referral.referrer_email == EXAMPLE_DOCUMENT["about_you"]["referrer_email"]
    assert sorted(open_tasks(referral)) == ["la_acknowledge", "police_acknowledge"]
    actions = set(
        AuditEvent.objects.filter(case_reference=referral.reference).values_list(
            "action", flat=True
        )
    )
    assert actions >= {"referral.submitted", "case.routed", "task.created"}
    receipt = Notification.objects.get(kind="referral_receipt", case_reference=referral.reference)
    assert receipt.to == [EXAMPLE_DOCUMENT["about_you"]["referrer_email"]]
    listed = _as(raw).get("/api/v1/referrals/").json()["results"]
    assert [item["reference"] for item in listed] == [referral.reference]
    detail = _as(raw).get(f"/api/v1/referrals/{referral.public_id}/")
    assert detail.status_code == 200 and detail.json() == body


def test_one_idempotency_key_makes_one_referral(school):
    _, raw = _client(school)
    first = _submit(raw, key="a1b2c3")
    again = _submit(raw, key="a1b2c3")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert Referral.objects.exclude(status=ReferralStatus.DRAFT).count() == 1
    other = _submit(raw, _document(person__first_name="Another"), key="a1b2c3")
    assert other.status_code == 422 and other["Content-Type"] == PROBLEM
    assert other.json()["code"] == "idempotency_key_reused"
    assert Referral.objects.count() == 1
    assert _submit(raw, key="d4e5f6").status_code == 201  # a new key: a new referral
    assert Referral.objects.count() == 2


def test_another_client_may_use_the_same_key_and_never_sees_the_first_clients_referrals(school):
    _, first = _client(school)
    _, second = _client(school, name="Another system")
    made = _submit(first, key="same").json()
    theirs = _submit(second, key="same")
    assert theirs.status_code == 201 and theirs.json()["id"] != made["id"]
    assert _as(second).get(f"/api/v1/referrals/{made['id']}/").status_code == 404
    assert [r["id"] for r in _as(second).get("/api/v1/referrals/").json()["results"]] == [
        theirs.json()["id"]
    ]


def test_an_invalid_referral_answers_every_problem_at_once_and_saves_nothing(school):
    _, raw = _client(school)
    document = _document(
        person__first_name="",
        person__date_of_birth=None,
        about_you__referrer_phone="call me",
        concern__narrative="",
        declaration_confirmed=False,
    )
    response = _submit(raw, document, key="k-invalid")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    errors = response.json()["errors"]
    assert errors["person.first_name"] == ["Enter the person's first name"]
    assert errors["person.date_of_birth"] == [
        "Enter the person's date of birth or their approximate age"
    ]
    assert "about_you.referrer_phone" in errors and "concern.narrative" in errors
    assert errors["declaration_confirmed"] == [
        "Confirm that the information you have given is correct"
    ]
    assert not Referral.objects.exists() and not IdempotentRequest.objects.exists()
    assert _submit(raw, key="k-invalid").status_code == 201  # the key was not used up


def test_a_badly_typed_document_is_a_problem_too(school):
    _, raw = _client(school)
    response = _submit(raw, _document(person__date_of_birth="27/03/2011", person__gender="x"))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"person.date_of_birth", "person.gender"}
    assert not Referral.objects.exists()


def test_a_referral_is_only_read_as_json(school):
    """Its sections are nested objects, which a form body cannot carry (the schema says so)."""
    _, raw = _client(school)
    response = _as(raw).post("/api/v1/referrals/", {"declaration_confirmed": "true"})
    assert response.status_code == 415, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "unsupported_media_type"
    assert not Referral.objects.exists()


def test_marked_text_is_refused_as_on_the_pages(school):
    _, raw = _client(school)
    response = _submit(raw, _document(concern__narrative="Report marked TOP SECRET attached"))
    assert response.status_code == 400
    assert "OFFICIAL-SENSITIVE" in response.json()["errors"]["concern.narrative"][0]
    assert not Referral.objects.exists()


def test_routing_follows_the_postcode_or_the_code_as_the_journey_does(school):
    _, raw = _client(school)
    scottish = _submit(raw, _document(address__postcode="EH1 1YZ"))
    assert scottish.status_code == 400 and "address.postcode" in scottish.json()["errors"]
    unknown = _document(address__postcode="ZZ99 9ZZ")
    asked = _submit(raw, unknown)
    assert asked.status_code == 400 and "local_authority" in asked.json()["errors"]
    conflicting = _submit(raw, _document(local_authority="E08000003"))
    assert "is in Camden" in conflicting.json()["errors"]["local_authority"][0]
    unknown["local_authority"] = "E08000003"  # Manchester
    routed = _submit(raw, unknown)
    assert routed.status_code == 201, routed.json()
    assert Referral.objects.get(public_id=routed.json()["id"]).local_authority.code == "E08000003"


def test_a_signed_in_referrer_may_submit_and_staff_may_not(school, people):
    referrer = APIClient()
    referrer.force_login(people.referrer)
    made = referrer.post("/api/v1/referrals/", EXAMPLE_DOCUMENT, format="json")
    assert made.status_code == 201
    assert Referral.objects.get(public_id=made.json()["id"]).created_by == people.referrer
    police = APIClient()
    police.force_login(people.police)
    assert police.post("/api/v1/referrals/", EXAMPLE_DOCUMENT, format="json").status_code == 403
    assert police.get("/api/v1/referrals/").status_code == 403
    assert Referral.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL")
def test_the_same_key_at_the_same_instant_makes_one_referral(regions_loaded):
    from tests.cases import people_make

    people_make()
    postcodes_load()
    school = Organisation.objects.create(name="Example Academy", kind=Organisation.Kind.SCHOOL)
    _, raw = _client(school)
    barrier, answers = threading.Barrier(4), []

    def submit() -> None:
        barrier.wait()
        try:
            answers.append(_submit(raw, key="at-once"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["id"] for a in answers}) == 1
    assert Referral.objects.exclude(status=ReferralStatus.DRAFT).count() == 1


# --- Throttles, lists and the command --------------------------------------------------------


def test_the_client_throttle_trips_with_a_problem_and_retry_after(school, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"client": "2/min", "user": "100/min"},
    }
    _, raw = _client(school)
    answers = [_as(raw).get("/api/v1/referrals/") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2]["Content-Type"] == PROBLEM and int(answers[2]["Retry-After"]) > 0
    _, other = _client(school, name="Another system")
    assert _as(other).get("/api/v1/referrals/").status_code == 200  # counted per client
    cache.clear()


def test_the_person_throttle_trips_too(people, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"client": "100/min", "user": "1/min"},
    }
    api = APIClient()
    api.force_login(people.police)
    assert [api.get("/api/v1/cases/").status_code for _ in range(2)] == [200, 429]
    cache.clear()


@pytest.mark.parametrize("count", [1, 12])
def test_listing_a_clients_referrals_costs_the_same_whatever_their_number(
    school, count, django_assert_max_num_queries
):
    _, raw = _client(school)
    for n in range(count):
        assert _submit(raw, key=f"k{n}").status_code == 201
    with django_assert_max_num_queries(8):
        response = _as(raw).get("/api/v1/referrals/")
    assert len(response.json()["results"]) == count


def test_the_command_makes_lists_rotates_and_revokes(people):
    out = io.StringIO()
    call_command(
        "api_clients",
        "create",
        "--organisation",
        "Example College",
        "--kind",
        "college",
        "--name",
        "Case system",
        "--scope",
        "referrals:read-own",
        stdout=out,
    )
    raw = out.getvalue().strip().splitlines()[-1]
    assert _as(raw).get("/api/v1/referrals/").status_code == 200
    client = ApiClient.objects.get(name="Case system")
    assert client.organisation.kind == "college"
    listing = io.StringIO()
    call_command("api_clients", "list", stdout=listing)
    assert str(client.public_id) in listing.getvalue() and "usable" in listing.getvalue()
    rotated = io.StringIO()
    call_command(
        "api_clients", "rotate", str(client.public_id), "--overlap-days", "0", stdout=rotated
    )
    new = rotated.getvalue().strip().splitlines()[-1]
    assert _as(raw).get("/api/v1/referrals/").status_code == 401
    assert _as(new).get("/api/v1/referrals/").status_code == 200
    call_command("api_clients", "revoke", str(client.public_id), stdout=io.StringIO())
    assert _as(new).get("/api/v1/referrals/").status_code == 401


def test_an_administrator_makes_a_client_in_the_admin_and_sees_its_token_once(admin_client, school):
    response = admin_client.post(
        "/admin/api/apiclient/add/",
        {"organisation": school.pk, "name": "Records system", "scopes": ["referrals:read-own"]},
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    client = ApiClient.objects.get(name="Records system")
    token = ApiToken.objects.get(client=client)
    assert f"prv_{token.key_id}_" in text
    raw = text.split(f"prv_{token.key_id}_", 1)[1].split("<", 1)[0].split()[0]
    assert _as(f"prv_{token.key_id}_{raw}").get("/api/v1/referrals/").status_code == 200
    again = admin_client.get(f"/admin/api/apiclient/{client.pk}/change/").content.decode()
    assert f"prv_{token.key_id}_{raw}" not in again


# --- Supporting documents ----------------------------------------------------------------------


def _upload(raw: str, name: str, content: bytes, description: str = ""):
    return _as(raw).post(
        "/api/v1/uploads/",
        {"file": SimpleUploadedFile(name, content), "description": description},
        format="multipart",
    )


def test_a_document_uploaded_first_becomes_the_referrals_attachment(school, private_storage):
    _, raw = _client(school)
    uploaded = _upload(raw, "notes.pdf", files.pdf("Notes of the conversation"), "Notes")
    assert uploaded.status_code == 201, uploaded.json()
    body = uploaded.json()
    assert body["name"] == "notes.pdf" and body["content_type"] == "application/pdf"
    made = _submit(raw, _document(attachments=[body["id"]]))
    assert made.status_code == 201, made.json()
    referral = Referral.objects.get(public_id=made.json()["id"])
    attachment = referral.attachments.get()
    assert (attachment.original_name, attachment.description) == ("notes.pdf", "Notes")
    assert attachment.file.read().startswith(b"%PDF")
    assert not Upload.objects.exists()
    assert AuditEvent.objects.filter(action="attachment.added").count() == 1


def test_uploads_are_checked_as_on_the_pages(school, private_storage):
    _, raw = _client(school)
    refused = _upload(raw, "photo.png", files.exe())
    assert refused.status_code == 400 and refused["Content-Type"] == PROBLEM
    assert "must be a PDF" in refused.json()["errors"]["file"][0]
    marked = _upload(raw, "notes.pdf", files.pdf("Notes"), "SECRET notes")
    assert marked.status_code == 400 and "description" in marked.json()["errors"]
    assert not Upload.objects.exists()
    _, reader = _client(school, scopes=[Scope.REFERRALS_READ_OWN], name="Reader")
    assert _upload(reader, "notes.pdf", files.pdf("Notes")).status_code == 403


def test_another_clients_upload_cannot_be_attached(school, private_storage):
    _, first = _client(school)
    _, second = _client(school, name="Another system")
    theirs = _upload(first, "notes.pdf", files.pdf("Notes")).json()["id"]
    made = _submit(second, _document(attachments=[theirs]))
    assert made.status_code == 400
    assert made.json()["errors"]["attachments[0]"][0].startswith("There is no upload with this id")
    assert not Referral.objects.exists() and Upload.objects.count() == 1


def test_unused_uploads_expire(school, private_storage, time_machine):
    _, raw = _client(school)
    kept = _upload(raw, "kept.pdf", files.pdf("Kept")).json()["id"]
    time_machine.move_to(timezone.now() + timedelta(hours=25))
    fresh = _upload(raw, "fresh.pdf", files.pdf("Fresh")).json()["id"]
    stored = Upload.objects.get(public_id=kept).file.name
    assert uploads_expire_unused() == 1
    assert list(Upload.objects.values_list("public_id", flat=True)) == [UUID(fresh)]
    assert not default_storage.exists(stored)
