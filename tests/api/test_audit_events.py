"""The audit trail through the API: the explorer's filters and officers, pages by cursor in a
fixed number of queries, the explorer's CSV with its export recorded, refusals recorded."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from compliance.audit import audit_record
from compliance.models import AuditEvent, RefusedAccess
from tests.clients import APIClient
from tests.compliance.factories import ComplianceOfficerFactory, audit_events_bulk, unit_head

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
LIST, EXPORT = "/api/v1/audit-events/", "/api/v1/audit-events/export.csv"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def officer():
    return ComplianceOfficerFactory(email="chris.compliance@example.gov.uk")


@pytest.fixture
def unit(officer) -> APIClient:
    return client_for(officer)


@pytest.fixture
def events(time_machine) -> list[AuditEvent]:
    time_machine.move_to(datetime(2026, 3, 2, 10, tzinfo=LONDON), tick=False)
    first = audit_record(
        action="case.read", case_reference="PRV-2026-000001", team="Camden Prevent team"
    )
    time_machine.move_to(datetime(2026, 3, 5, 10, tzinfo=LONDON), tick=False)
    second = audit_record(action="break_glass.requested", case_reference="PRV-2026-000002")
    third = audit_record(action="case.read", case_reference="PRV-2026-000002", reason="=1+1")
    return [first, second, third]


def _ids(response) -> list[int]:
    return [event["id"] for event in response.json()["results"]]


def test_the_unit_reads_the_trail_newest_first_with_the_export_columns(unit, events):
    response = unit.get(LIST)
    assert response.status_code == 200
    assert _ids(response)[:3] == [events[2].pk, events[1].pk, events[0].pk]
    assert set(response.json()["results"][0]) == {
        "id",
        "sequence",
        "occurred_at",
        "actor_email",
        "actor_role",
        "team",
        "action",
        "case_reference",
        "object_type",
        "object_id",
        "reason",
        "detail",
        "times_refused",
        "hash",
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"case_reference": "prv-2026-000002 "}, [2, 1]),
        ({"action": "break_glass"}, [1]),
        ({"action": "case.read"}, [2, 0]),
        ({"team": "Camden  Prevent team"}, [0]),
        ({"occurred_from": "2026-03-03"}, [2, 1]),
        ({"occurred_to": "2026-03-02"}, [0]),
    ],
)
def test_filtered_as_in_the_explorer(unit, events, filters, expected):
    assert _ids(unit.get(LIST, filters)) == [events[i].pk for i in expected]


def test_a_filter_that_cannot_be_read_is_a_400(unit, events):
    assert unit.get(LIST, {"occurred_from": "2026-02-30"}).status_code == 400
    assert unit.get(EXPORT, {"occurred_from": "2026-02-30"}).status_code == 400
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_pages_follow_the_cursor_and_cost_the_same_whatever_the_trail(
    unit, officer, django_assert_max_num_queries
):
    audit_events_bulk(10)
    unit.get(LIST)  # warm per-process caches
    with django_assert_max_num_queries(1) as few:  # the page; the officer's user is cached
        first = unit.get(LIST, {"page_size": 5}).json()
    audit_events_bulk(500)
    with django_assert_max_num_queries(1) as many:
        page = unit.get(LIST, {"page_size": 200}).json()
    assert len(page["results"]) == 200
    assert len(many) == len(few), (len(few), len(many))
    seen, page = [], first
    while page["next"]:
        seen += [event["id"] for event in page["results"]]
        page = unit.get(page["next"]).json()
    seen += [event["id"] for event in page["results"]]
    # From the first page taken before the 500 were added: exactly the ten older events, each
    # once, newest first; the events added since do not shift the pages.
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 10


def test_the_export_is_the_explorers_csv_and_is_recorded(unit, officer, events):
    response = unit.get(EXPORT, {"case_reference": "PRV-2026-000002"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["Event", "Place in the chain", "When (UTC)"]
    assert [int(row[0]) for row in rows[1:]] == [events[1].pk, events[2].pk]  # oldest first
    assert rows[2][10] == "'=1+1"  # never run as a formula
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.actor == officer
    assert exported.detail == {"filters": {"case_reference": "PRV-2026-000002"}, "via": "api"}


def test_the_head_of_the_unit_reads_it_too(events):
    assert client_for(unit_head(full_name="Hana Head")).get(LIST).status_code == 200


@pytest.mark.parametrize("who", ["referrer", "police", "la", "adviser", "panel"])
def test_everyone_else_is_refused_and_the_refusal_recorded(people, events, who):
    user = getattr(people, who)
    client = APIClient()
    client.force_login(user)  # a session, for the explorer's page as for the API
    for url in (LIST, EXPORT, "/compliance/audit/"):
        assert client.get(url).status_code == 403, url
    assert not AuditEvent.objects.filter(action="audit.exported").exists()
    refusal = RefusedAccess.objects.get(user=user)
    assert (refusal.object_kind, refusal.object_key, refusal.count) == ("audit_trail", "events", 3)
    event = refusal.audit_event
    assert (event.action, event.actor, event.object_type) == ("access.refused", user, "audit_trail")
    assert event.detail["path"] == LIST and event.detail["status"] == 403


def test_signed_out_is_refused(db):
    """No credentials: the API's 401, which says how to authenticate."""
    assert APIClient().get(LIST).status_code == 401
    assert APIClient().get(EXPORT).status_code == 401
