"""Time limits: acknowledge (triage) within 5 working days and respond within 20, counted
without weekends and bank holidays, configurable, and marked overdue by an idempotent periodic
job that tells the unit.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from compliance.models import AuditEvent, Complaint
from compliance.tasks import complaints_mark_overdue
from notifications.models import Notification
from tests.compliance.factories import (
    ComplianceOfficerFactory,
    InvestigatingComplaintFactory,
    ReceivedComplaintFactory,
    RespondedComplaintFactory,
)
from workflows.complaint import services as cs

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def test_deadlines_skip_weekends_and_bank_holidays(time_machine):
    time_machine.move_to(at(date(2026, 12, 17)), tick=False)  # a Thursday before Christmas
    complaint = ReceivedComplaintFactory()
    assert complaint.acknowledge_by == date(2026, 12, 24)
    # Christmas, the substitute Boxing Day and New Year's Day are not working days.
    assert complaint.respond_by == date(2027, 1, 19)


def test_time_limits_are_configurable(settings, time_machine):
    settings.TASK_DEADLINES = {
        **settings.TASK_DEADLINES,
        "complaint_acknowledge": 2,
        "complaint_respond": 10,
    }
    time_machine.move_to(at(date(2026, 11, 2)), tick=False)  # a Monday
    complaint = ReceivedComplaintFactory()
    assert complaint.acknowledge_by == date(2026, 11, 4)
    assert complaint.respond_by == date(2026, 11, 16)


def test_untriaged_complaint_is_marked_overdue_once_and_the_unit_told(
    time_machine, django_capture_on_commit_callbacks, settings
):
    settings.COMPLAINTS_UNIT_EMAIL = "prevent-complaints@example.gov.uk"
    officers = [ComplianceOfficerFactory(), ComplianceOfficerFactory()]
    time_machine.move_to(at(date(2026, 11, 2)), tick=False)
    complaint = ReceivedComplaintFactory()
    assert complaint.acknowledge_by == date(2026, 11, 9)

    time_machine.move_to(at(date(2026, 11, 9), 18), tick=False)  # due today: not yet late
    assert complaints_mark_overdue() == 0

    time_machine.move_to(at(date(2026, 11, 10)), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert complaints_mark_overdue.delay().get() == 1
    complaint.refresh_from_db()
    assert complaint.acknowledge_overdue and not complaint.respond_overdue
    notification = Notification.objects.get(kind="complaint_overdue")
    assert set(notification.to) == {
        "prevent-complaints@example.gov.uk",
        *(officer.email for officer in officers),
    }
    overdue = [m for m in mail.outbox if m.subject.startswith("Overdue")]
    assert {address for m in overdue for address in m.to} == set(notification.to)
    assert all(complaint.reference in m.subject for m in overdue)
    event = AuditEvent.objects.get(action="complaint.overdue")
    assert event.detail["stage"] == "acknowledge"

    # Running again (or twice at once) sends nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        assert complaints_mark_overdue() == 0
    assert Notification.objects.filter(kind="complaint_overdue").count() == 1
    assert len([m for m in mail.outbox if m.subject.startswith("Overdue")]) == len(overdue)
    assert AuditEvent.objects.filter(action="complaint.overdue").count() == 1


def test_triage_in_time_is_never_marked(time_machine):
    time_machine.move_to(at(date(2026, 11, 2)), tick=False)
    complaint = InvestigatingComplaintFactory()
    time_machine.move_to(at(date(2026, 11, 20)), tick=False)
    assert complaints_mark_overdue() == 0
    complaint.refresh_from_db()
    assert not complaint.acknowledge_overdue


def test_unanswered_complaint_is_marked_overdue_and_its_investigator_told(time_machine):
    time_machine.move_to(at(date(2026, 11, 2)), tick=False)
    complaint = InvestigatingComplaintFactory()
    assert complaint.respond_by == date(2026, 11, 30)
    time_machine.move_to(at(date(2026, 12, 1)), tick=False)
    assert complaints_mark_overdue() == 1
    complaint.refresh_from_db()
    assert complaint.respond_overdue
    notification = Notification.objects.get(kind="complaint_overdue")
    assert complaint.investigator.email in notification.to
    assert AuditEvent.objects.get(action="complaint.overdue").detail["stage"] == "respond"
    assert complaints_mark_overdue() == 0


def test_a_late_triage_clears_the_flag_and_a_late_response_is_recorded(time_machine):
    time_machine.move_to(at(date(2026, 11, 2)), tick=False)
    complaint = ReceivedComplaintFactory()
    time_machine.move_to(at(date(2026, 11, 12)), tick=False)
    complaints_mark_overdue()
    officer = ComplianceOfficerFactory()
    cs.complaint_triage(complaint=complaint, user=officer, in_scope=True, rationale="x")
    complaint.refresh_from_db()
    assert not complaint.acknowledge_overdue
    cs.complaint_investigation_complete(complaint=complaint, user=officer, summary="x")
    cs.complaint_finding_record(complaint=complaint, user=officer, finding="upheld", rationale="x")
    time_machine.move_to(at(date(2026, 12, 3)), tick=False)
    cs.complaint_response_send(complaint=complaint, user=officer, letter="Dear complainant")
    assert AuditEvent.objects.get(action="complaint.responded").detail["on_time"] is False


def test_answered_and_closed_complaints_are_left_alone(time_machine):
    time_machine.move_to(at(date(2026, 11, 2)), tick=False)
    responded = RespondedComplaintFactory()
    closed = ReceivedComplaintFactory()
    cs.complaint_triage(
        complaint=closed,
        user=ComplianceOfficerFactory(),
        in_scope=False,
        rationale="Not Prevent.",
        signposting="Elsewhere.",
    )
    time_machine.move_to(at(date(2027, 2, 1)), tick=False)
    assert complaints_mark_overdue() == 0
    assert not Complaint.objects.filter(respond_overdue=True).exists()
    assert responded.pk and closed.pk
