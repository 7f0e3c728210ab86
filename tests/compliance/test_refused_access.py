"""Refused requests for case objects are audited: who asked for which object, through which URL
and method, and what they were answered, on every page and API endpoint. One audit event per
person, object and hour carries the first refusal; later ones in the hour raise its count, so a
crawler cannot flood the append-only trail and still stands out in the audit explorer.
"""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.roles import Role
from compliance.middleware import (
    API_OBJECT_PARAMETERS,
    CASE_OBJECT_PARAMETERS,
    NOT_OBJECT_PARAMETERS,
)
from compliance.models import AuditEvent, RefusedAccess
from compliance.services import access_refused
from config.task_ids import task_api_id
from tests.cases import open_task
from tests.clients import APIClient
from tests.compliance.factories import (
    ComplianceOfficerFactory,
    ReceivedComplaintFactory,
    document_for,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
EXPLORER = "/compliance/audit/"
NOON = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)


def _refusals():
    return AuditEvent.objects.filter(action="access.refused").order_by("pk")


def _client(user):
    client = APIClient()
    client.force_login(user)
    return client


# --- The rule: one event per person, object and hour ------------------------------------------


def _refuse(user, key="1234", **kwargs):
    return access_refused(
        user=user,
        kind="task",
        key=key,
        method="GET",
        path=f"/tasks/{key}/",
        status=404,
        **kwargs,
    )


def test_one_event_an_hour_with_a_rising_count(people, time_machine):
    time_machine.move_to(NOON + timedelta(minutes=5), tick=False)
    first = _refuse(people.police)
    event = _refusals().get()
    assert first.audit_event == event and first.count == 1
    assert event.actor == people.police
    assert event.actor_role == Role.CTP_PREVENT_OFFICER.value
    assert (event.object_type, event.object_id) == ("task", "1234")
    assert event.detail["method"] == "GET"
    assert event.detail["path"] == "/tasks/1234/"
    assert event.detail["status"] == 404
    assert event.detail["window"] == NOON.isoformat()

    for minutes in (10, 30, 59):
        time_machine.move_to(NOON + timedelta(minutes=minutes), tick=False)
        counted = _refuse(people.police)
    assert _refusals().count() == 1  # the trail is not flooded
    assert counted.count == 4
    assert counted.first_seen == NOON + timedelta(minutes=5)
    assert counted.last_seen == NOON + timedelta(minutes=59)

    # The next hour is a new window: a new event, its own count.
    time_machine.move_to(NOON + timedelta(hours=1, minutes=1), tick=False)
    later = _refuse(people.police)
    assert _refusals().count() == 2
    assert later.count == 1 and later.audit_event != event
    assert RefusedAccess.objects.get(audit_event=event).count == 4


def test_each_person_and_each_object_has_its_own_window(people, time_machine):
    time_machine.move_to(NOON, tick=False)
    _refuse(people.police)
    _refuse(people.police, key="1235")
    _refuse(people.la)
    _refuse(people.police)
    assert _refusals().count() == 3
    assert sorted(RefusedAccess.objects.values_list("count", flat=True)) == [1, 1, 2]


def test_anonymous_people_are_not_recorded(client):
    assert (
        access_refused(user=None, kind="task", key="1", method="GET", path="/tasks/1/", status=404)
        is None
    )
    response = client.get("/tasks/1/")
    assert response.status_code == 302  # sent to sign in
    assert not _refusals().exists() and not RefusedAccess.objects.exists()


# --- Every refusal path, from pages and the API -----------------------------------------------


@pytest.fixture
def outsider(people):
    """Someone signed in with no part in the Camden case."""
    return people.police_other_region


def _case_urls(referral, people):
    task = open_task(referral, "police_acknowledge")
    document = document_for(referral)
    case, missing = str(referral.public_id), str(uuid4())
    return [
        ("get", f"/cases/{case}/", "referral", case),
        ("get", f"/cases/{missing}/", "referral", missing),  # no such case: counted the same
        ("post", f"/cases/{case}/notes/new/", "referral", case),
        ("get", f"/tasks/{task.pk}/", "task", str(task.pk)),
        ("get", "/tasks/999999999/", "task", "999999999"),
        ("post", f"/tasks/{task.pk}/claim/", "task", str(task.pk)),
        ("post", f"/tasks/{task.pk}/pause/", "task", str(task.pk)),
        ("post", f"/tasks/{task.pk}/resume/", "task", str(task.pk)),
        (
            "get",
            f"/referrals/{case}/supporting-documents/{document.public_id}/",
            "attachment",
            str(document.public_id),
        ),
        ("get", "/channel/tasks/999999/", "task", "999999"),
        ("get", "/channel/meetings/999999/", "channel_meeting", "999999"),
        ("get", "/channel/interventions/999999/sessions/new/", "intervention", "999999"),
        ("get", f"/channel/cases/{case}/interventions/new/", "referral", case),
        ("get", f"/api/v1/cases/{case}/", "referral", case),
        ("post", f"/api/v1/tasks/{task_api_id(task.pk)}/claim/", "task", str(task.pk)),
        ("post", f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", "task", str(task.pk)),
    ]


def test_every_refused_page_and_endpoint_is_recorded(people, referral, outsider):
    urls = _case_urls(referral, people)
    client = _client(outsider)
    for method, url, kind, key in urls:
        response = getattr(client, method)(url)
        assert response.status_code in (403, 404), url
        refusal = RefusedAccess.objects.get(user=outsider, object_kind=kind, object_key=key)
        event = refusal.audit_event
        assert event.actor == outsider, url
        assert (event.object_type, event.object_id) == (kind, key), url
        assert refusal.last_path == url
        assert refusal.last_status == response.status_code
    # Each object once, whichever URL asked for it: one event per object, the count per request.
    kinds = {(kind, key) for _, _, kind, key in urls}
    assert _refusals().count() == len(kinds)
    assert sum(RefusedAccess.objects.values_list("count", flat=True)) == len(urls)


def test_a_page_and_the_api_name_method_and_status(people, referral, outsider):
    client = _client(outsider)
    task = open_task(referral, "police_acknowledge")
    assert client.post(f"/api/v1/tasks/{task_api_id(task.pk)}/unclaim/").status_code == 404
    event = _refusals().get()
    assert event.detail["method"] == "POST"
    assert event.detail["path"] == f"/api/v1/tasks/{task_api_id(task.pk)}/unclaim/"
    assert event.detail["status"] == 404
    assert client.get(f"/tasks/{task.pk}/").status_code == 404
    refusal = RefusedAccess.objects.get()
    assert refusal.count == 2 and refusal.last_path == f"/tasks/{task.pk}/"


def test_a_document_names_its_case_beside_it(people, referral, outsider):
    document = document_for(referral)
    url = reverse("referrals:attachment_download", args=[referral.public_id, document.public_id])
    assert _client(outsider).get(url).status_code == 404
    event = _refusals().get()
    assert event.detail["objects"] == {
        "referral": str(referral.public_id),
        "attachment": str(document.public_id),
    }


def test_complaint_pages_refused_to_others_are_recorded(people):
    complaint = ReceivedComplaintFactory()
    client = _client(people.police)
    url = reverse("compliance:complaint", args=[complaint.reference])
    assert client.get(url).status_code == 403
    event = _refusals().get()
    assert (event.object_type, event.object_id) == ("complaint", complaint.reference)
    assert event.detail["status"] == 403


def test_an_officer_probing_cases_and_complaints_is_recorded(referral):
    officer = ComplianceOfficerFactory()
    client = _client(officer)
    assert client.get(f"/cases/{referral.public_id}/").status_code == 404
    assert client.get(reverse("compliance:complaint", args=["CMP-2026-999999"])).status_code == 404
    assert client.get(reverse("compliance:break_glass", args=[referral.public_id])).status_code == (
        404
    )
    assert set(_refusals().values_list("object_type", "object_id")) == {
        ("referral", str(referral.public_id)),
        ("complaint", "CMP-2026-999999"),
    }
    assert RefusedAccess.objects.get(object_kind="referral").count == 2


def test_what_is_not_a_refusal_of_a_case_object_is_not_recorded(people, referral):
    client = _client(people.police)
    assert client.get(f"/cases/{referral.public_id}/").status_code == 200
    assert client.get("/no-such-page/").status_code == 404  # names no object
    assert client.get("/tasks/not-a-number/").status_code == 404  # matches no URL
    _client(UserFactory(role=Role.REFERRER)).get("/queue/")  # 403, but no object asked for
    assert not _refusals().exists()


def test_every_url_parameter_is_declared():
    """A new page whose URL names an object must say whether it is a case object."""
    declared = set(CASE_OBJECT_PARAMETERS) | set(API_OBJECT_PARAMETERS) | NOT_OBJECT_PARAMETERS

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
                yield from ((namespace, name) for name in pattern.pattern.converters)
            elif isinstance(pattern, URLPattern):
                yield from ((namespace, name) for name in pattern.pattern.regex.groupindex)

    found = {name for _, name in walk(get_resolver().url_patterns)}
    assert {"public_id", "task_pk", "reference", "pk", "grant_id"} <= found  # the walk sees them
    assert found - declared == set()


# --- The audit explorer -----------------------------------------------------------------------


def test_the_explorer_shows_refusals_with_their_counts(people, referral, outsider, time_machine):
    time_machine.move_to(NOON, tick=False)
    client = _client(outsider)
    for _ in range(3):
        client.get(f"/cases/{referral.public_id}/")
    unit = _client(ComplianceOfficerFactory())
    page = unit.get(EXPLORER, {"action": "access.refused"})
    assert page.status_code == 200
    body = page.content.decode()
    assert page.context["page"].total == 1
    assert outsider.email in body
    assert "Refused 3 times" in body
    assert f"/cases/{referral.public_id}/" in body
    # The explorer's own pages are not case objects: reading the trail adds no refusal.
    assert _refusals().count() == 1

    export = unit.get("/compliance/audit/export.csv", {"action": "access.refused"})
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert "Times refused in the hour" in lines[0]
    assert len(lines) == 2 and ",3," in lines[1]


def test_the_explorer_is_a_fixed_number_of_queries_however_many_refusals(people, outsider):
    client = _client(outsider)
    unit = _client(ComplianceOfficerFactory())

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert unit.get(EXPLORER, {"action": "access.refused"}).status_code == 200
        return len(captured)

    for n in range(3):
        client.get(f"/tasks/{900000 + n}/")
    few = queries()
    for n in range(3, 60):
        client.get(f"/tasks/{900000 + n}/")
    assert queries() == few
