"""The audit explorer: filters, pages with a fixed number of queries, the streamed CSV export
(100,000 events in constant memory), the chain's verification status and "verify now", and the
yearly complaint figures.
"""

import csv
import html
import io
import re
import tracemalloc
from datetime import date, datetime
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.urls import reverse

from compliance import triggers
from compliance.audit import audit_checkpoint_record, audit_record, audit_verify
from compliance.filters import AuditEventFilter
from compliance.models import AuditCheckpoint, AuditEvent, Finding
from compliance.selectors import audit_events, complaint_figures
from tests.compliance.factories import (
    ComplianceOfficerFactory,
    InvestigatingComplaintFactory,
    ReceivedComplaintFactory,
    audit_events_bulk,
)
from tests.factories import PASSWORD
from workflows.complaint import services as cs

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
EXPLORER = reverse("compliance:audit")
EXPORT = reverse("compliance:audit_export")


@pytest.fixture
def officer(client):
    officer = ComplianceOfficerFactory(email="chris.compliance@example.gov.uk")
    client.login(username=officer.email, password=PASSWORD)
    return officer


def _shown(response) -> list[int]:
    return [event.pk for event in response.context["page"].object_list]


# --- Filtering and paging -------------------------------------------------------------------


@pytest.fixture
def events(time_machine):
    time_machine.move_to(datetime(2026, 3, 2, 10, tzinfo=LONDON), tick=False)
    a = audit_record(
        action="case.read",
        case_reference="PRV-2026-000001",
        team="Camden Prevent team",
        detail={"what": "case page"},
    )
    time_machine.move_to(datetime(2026, 3, 5, 23, 30, tzinfo=LONDON), tick=False)
    b = audit_record(
        action="break_glass.opened",
        case_reference="PRV-2026-000001",
        team="Standards and Compliance Unit",
        detail={"break_glass": True},
        reason="For a complaint.",
    )
    time_machine.move_to(datetime(2026, 3, 6, 0, 30, tzinfo=LONDON), tick=False)
    c = audit_record(action="case.read", case_reference="PRV-2026-000002", team="Salford team")
    time_machine.move_to(datetime(2026, 3, 9, 9, tzinfo=LONDON), tick=False)
    return a, b, c


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, "abc"),
        ({"case_reference": "prv-2026-000001"}, "ab"),
        ({"action": "case.read"}, "ac"),
        ({"action": "break_glass"}, "b"),
        ({"team": "Salford team"}, "c"),
        ({"team": "  Salford   team "}, "c"),
        ({"team": "salford"}, ""),  # a part of a name is not a team
        (
            {"occurred_from-day": "5", "occurred_from-month": "3", "occurred_from-year": "2026"},
            "bc",
        ),
        ({"occurred_to-day": "5", "occurred_to-month": "3", "occurred_to-year": "2026"}, "ab"),
        (
            {
                "occurred_from-day": "6",
                "occurred_from-month": "3",
                "occurred_from-year": "2026",
                "occurred_to-day": "6",
                "occurred_to-month": "3",
                "occurred_to-year": "2026",
            },
            "c",
        ),
        ({"case_reference": "PRV-2026-999999"}, ""),
    ],
)
def test_filters(client, officer, events, query, expected):
    response = client.get(EXPLORER, query)
    assert response.status_code == 200
    named = dict(zip("abc", [e.pk for e in events], strict=True))
    assert sorted(_shown(response)) == sorted(named[k] for k in expected)


def test_filter_by_person_acting(client, officer, events):
    mine = audit_record(actor=officer, action="audit.exported")
    response = client.get(EXPLORER, {"actor": " Chris.Compliance@example.gov.uk "})
    assert _shown(response) == [mine.pk]
    assert _shown(client.get(EXPLORER, {"actor": "chris.compliance"})) == []


def test_a_bad_date_is_shown_in_the_error_summary(client, officer, events):
    response = client.get(
        EXPLORER,
        {"occurred_from-day": "31", "occurred_from-month": "2", "occurred_from-year": "2026"},
    )
    body = response.content.decode()
    assert "govuk-error-summary" in body
    assert "The from date must be a real date" in body
    assert response.context["page"] is None


def test_break_glass_events_are_flagged_on_the_page(client, officer, events):
    body = client.get(EXPLORER, {"action": "break_glass"}).content.decode()
    assert "Break-glass</strong>" in body
    assert "For a complaint." in body


def _cursor(response, rel: str) -> dict[str, str]:
    found = re.search(rf'href="\?([^"]*)" rel="{rel}"', response.content.decode())
    assert found, f"no {rel} link"
    return dict(parse_qsl(html.unescape(found.group(1))))


def test_pages_go_by_the_ids_at_their_edges_in_a_fixed_number_of_queries(
    client, officer, django_assert_max_num_queries
):
    audit_events_bulk(60)
    with django_assert_max_num_queries(10):
        first = client.get(EXPLORER)
    assert len(first.context["page"].object_list) == 50
    assert 'rel="prev"' not in first.content.decode()
    audit_events_bulk(600)
    newest = list(AuditEvent.objects.order_by("-pk").values_list("pk", flat=True))
    page, seen = client.get(EXPLORER), []
    while True:
        seen += _shown(page)
        if 'rel="next"' not in page.content.decode():
            break
        with django_assert_max_num_queries(10):
            page = client.get(EXPLORER, _cursor(page, "next"))
    assert seen == newest  # every event once, newest first, whatever the page
    assert len(_shown(page)) == 10  # the oldest page: 660 events, 50 a page
    back = client.get(EXPLORER, _cursor(page, "prev"))
    assert _shown(back) == newest[-len(_shown(page)) - 50 : -len(_shown(page))]
    assert "660 events" in back.content.decode()


def test_the_count_stops_at_a_thousand(client, officer):
    audit_events_bulk(1001)
    body = client.get(EXPLORER).content.decode()
    assert "More than 1,000 events" in body


def test_a_cursor_that_is_not_an_id_is_the_first_page(client, officer):
    audit_events_bulk(3)
    newest = list(AuditEvent.objects.order_by("-pk").values_list("pk", flat=True))
    for cursor in ({"before": "abc"}, {"after": "9" * 40}, {"before": "-1"}):
        assert _shown(client.get(EXPLORER, cursor)) == newest


def test_filters_and_the_cursor_travel_together(client, officer, events):
    a, b, c = events
    for n in range(60):
        audit_record(action="case.read", case_reference="PRV-2026-000009", object_id=str(n))
    first = client.get(EXPLORER, {"case_reference": "PRV-2026-000009"})
    older = _cursor(first, "next")
    assert older["case_reference"] == "PRV-2026-000009" and "before" in older
    rest = client.get(EXPLORER, older)
    assert len(_shown(first)) == 50 and len(_shown(rest)) == 10
    assert not {a.pk, b.pk, c.pk} & set(_shown(first) + _shown(rest))


# --- The export -----------------------------------------------------------------------------


def test_export_streams_the_filtered_set_as_csv(client, officer, events):
    audit_record(action="case.read", case_reference="PRV-2026-000001", reason="=HYPERLINK(1)")
    response = client.get(EXPORT, {"case_reference": "PRV-2026-000001"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["Event", "Place in the chain"]
    assert [row[7] for row in rows[1:]] == ["PRV-2026-000001"] * 3
    assert int(rows[1][0]) < int(rows[2][0])  # oldest first
    assert rows[3][10] == "'=HYPERLINK(1)"  # never run as a formula in a spreadsheet
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.actor == officer
    assert exported.detail["filters"] == {"case_reference": "PRV-2026-000001"}


def test_export_of_100000_events_runs_in_constant_memory(client, officer):
    audit_events_bulk(100_000)
    response = client.get(EXPORT)
    assert response.streaming

    tracemalloc.start()
    try:
        rows = size = 0
        last_line = b""
        for chunk in response.streaming_content:
            rows += chunk.count(b"\n")
            size += len(chunk)
            last_line = chunk.rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # The header, every event, and last the export's own event, written before it started.
    assert rows == 1 + 100_000 + 1
    assert b",audit.exported," in last_line
    # The whole file is tens of megabytes; streaming it never holds more than a few.
    assert size > 20 * 1024 * 1024
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MiB"
    assert peak < size / 5


# --- Verification ---------------------------------------------------------------------------


def _tamper(sql: str, params=()) -> None:
    """As someone with database access would: lift the trigger, change a row, put it back."""
    triggers.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        triggers.install(connection)


def test_status_shows_the_latest_checkpoint(client, officer):
    body = client.get(EXPLORER).content.decode()
    assert "has not been verified yet" in body
    audit_events_bulk(5)
    audit_checkpoint_record()
    body = client.get(EXPLORER).content.decode()
    assert "Intact</strong>" in body
    assert "5 events checked" in body


def test_verify_now_detects_a_tampered_row(client, officer, django_capture_on_commit_callbacks):
    audit_events_bulk(20)
    assert audit_verify().ok
    _tamper("UPDATE compliance_auditevent SET reason = %s WHERE sequence = %s", ["edited", 7])

    result = audit_verify()
    assert not result.ok and result.first_broken_sequence == 7

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("compliance:audit_verify"))
    assert response.status_code == 302
    checkpoint = AuditCheckpoint.objects.latest()
    assert not checkpoint.ok
    assert checkpoint.first_broken_sequence == 7
    body = client.get(EXPLORER).content.decode()
    assert "Broken</strong>" in body
    assert "Event 7" in body and "altered" in body
    assert AuditEvent.objects.filter(action="audit.verification_requested").exists()


def test_verify_now_only_by_post(client, officer):
    assert client.get(reverse("compliance:audit_verify")).status_code == 405


# --- Yearly figures -------------------------------------------------------------------------


def _complaint_in(day: date, time_machine, **kwargs):
    time_machine.move_to(datetime(day.year, day.month, day.day, 12, tzinfo=LONDON), tick=False)
    return kwargs.pop("factory", ReceivedComplaintFactory)(**kwargs)


def test_yearly_figures_by_category_and_outcome_in_one_query(
    client, officer, time_machine, django_assert_num_queries
):
    officer_two = ComplianceOfficerFactory()
    _complaint_in(date(2025, 12, 31), time_machine, category="discrimination")
    _complaint_in(date(2026, 1, 5), time_machine, category="discrimination")
    upheld = _complaint_in(
        date(2026, 2, 5),
        time_machine,
        factory=InvestigatingComplaintFactory,
        category="staff_conduct",
    )
    cs.complaint_investigation_complete(complaint=upheld, user=upheld.investigator, summary="x")
    cs.complaint_finding_record(
        complaint=upheld, user=upheld.investigator, finding=Finding.UPHELD, rationale="x"
    )
    out = _complaint_in(date(2026, 3, 5), time_machine, category="other")
    cs.complaint_triage(
        complaint=out, user=officer_two, in_scope=False, rationale="x", signposting="y"
    )

    with django_assert_num_queries(1):
        figures = complaint_figures(2026)
    assert figures.total == 3
    rows = {row["category"]: row for row in figures.rows}
    columns = [value for value, _ in figures.columns]
    assert rows["Discrimination"]["cells"][columns.index("undecided")] == 1
    assert rows["The conduct of staff"]["cells"][columns.index(Finding.UPHELD)] == 1
    assert rows["Something else"]["cells"][columns.index("out_of_scope")] == 1
    assert figures.totals[Finding.UPHELD] == 1
    assert complaint_figures(2025).total == 1

    time_machine.move_to(datetime(2026, 6, 1, 12, tzinfo=LONDON), tick=False)
    page = client.get(reverse("compliance:figures"), {"year": "2026"})
    assert page.status_code == 200
    assert "3 complaints, by category and outcome" in page.content.decode()
    assert client.get(reverse("compliance:figures"), {"year": "nonsense"}).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"actor": "chris.compliance@example.gov.uk"},
        {"team": "Salford team"},
        {"case_reference": "PRV-2026-000001"},
        {"action": "case.read"},
        {"occurred_from-day": "5", "occurred_from-month": "3", "occurred_from-year": "2026"},
    ],
)
def test_each_filter_is_answered_from_an_index(rf, query):
    """The plan of each filter's page query, with sequential scans made a last resort: an
    index covers it (on a small table the planner would otherwise rightly scan)."""
    events = AuditEventFilter(query, queryset=audit_events())
    assert events.is_valid()
    page = events.qs.order_by("-pk")[:51]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
            plan = page.explain()
            assert "Seq Scan on compliance_auditevent" not in plan, plan
        else:  # SQLite: an index search, or a walk of the id order that stops at the page
            plan = page.explain()
            assert "SEARCH compliance_auditevent" in plan or "TEMP B-TREE" not in plan, plan
