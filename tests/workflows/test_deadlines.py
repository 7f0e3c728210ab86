"""Working-day deadlines, paused clocks, and idempotent overdue escalation."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import override_settings

from config.errors import ApplicationError, PermissionDenied
from notifications.models import Notification
from tests.cases import open_task, submit_referral
from workflows.engine import clocks as deadline_services
from workflows.engine.deadlines import deadline_for, working_days_after, working_days_between
from workflows.models import CaseTask

LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int = 10):
    return time_machine.travel(
        datetime(day.year, day.month, day.day, hour, tzinfo=LONDON), tick=False
    )


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday → Monday
        (date(2026, 12, 24), 2, date(2026, 12, 30)),  # Christmas, Boxing Day (observed)
        (date(2027, 3, 25), 1, date(2027, 3, 30)),  # Good Friday and Easter Monday 2027
        (date(2026, 8, 28), 1, date(2026, 9, 1)),  # late summer bank holiday
    ],
)
def test_working_days_skip_weekends_and_bank_holidays(start, days, expected):
    assert working_days_after(start, days) == expected
    assert working_days_between(start, expected) == days


@override_settings(TASK_DEADLINES={"threshold_decision": 3})
def test_deadlines_are_configurable():
    assert deadline_for("threshold_decision", date(2026, 11, 23)) == date(2026, 11, 26)
    assert deadline_for("unknown_stage", date(2026, 11, 23)) is None


def test_overdue_marking_is_idempotent_and_notifies_team_and_adviser(
    people, django_capture_on_commit_callbacks
):
    with at(date(2026, 11, 23)):
        referral = submit_referral(people.referrer)
    task = open_task(referral, "police_acknowledge")
    case_task = CaseTask.objects.get(task=task)
    assert case_task.due_on == date(2026, 11, 24)
    with at(date(2026, 11, 24)), django_capture_on_commit_callbacks(execute=True):
        assert deadline_services.tasks_mark_overdue() == 0  # due today is not overdue
    mail.outbox.clear()
    with at(date(2026, 11, 25)), django_capture_on_commit_callbacks(execute=True):
        marked = deadline_services.tasks_mark_overdue()
    assert marked == 2  # both acknowledgements
    with at(date(2026, 11, 25)), django_capture_on_commit_callbacks(execute=True):
        assert deadline_services.tasks_mark_overdue() == 0
    with at(date(2026, 11, 26)), django_capture_on_commit_callbacks(execute=True):
        assert deadline_services.tasks_mark_overdue() == 0
    case_task.refresh_from_db()
    assert case_task.overdue
    notices = Notification.objects.filter(kind="task_overdue")
    assert notices.count() == 2
    police_notice = next(n for n in notices if people.police.email in n.to)
    assert people.adviser.email in police_notice.to
    assert people.la.email not in police_notice.to
    # One message per recipient, each sent once however often the job runs.
    expected = sorted(address for notice in notices for address in notice.to)
    assert sorted(address for message in mail.outbox for address in message.to) == expected
    assert len(mail.outbox) == len(expected)


def test_paused_clock_is_not_overdue_and_resume_moves_the_deadline(people):
    with at(date(2026, 11, 23)):
        referral = submit_referral(people.referrer)
        case_task = CaseTask.objects.get(task=open_task(referral, "police_acknowledge"))
        deadline_services.task_clock_pause(
            case_task=case_task,
            user=people.police,
            waiting_on="Children's services",
            reason="Awaiting records",
        )
    with at(date(2026, 11, 30)):
        assert deadline_services.tasks_mark_overdue() == 1  # only the LA task
        case_task.refresh_from_db()
        assert not case_task.overdue
        deadline_services.task_clock_resume(case_task=case_task, user=people.police)
    case_task.refresh_from_db()
    # paused Monday 23rd, resumed Monday 30th: 5 working days stopped, so due 1 December
    assert case_task.due_on == date(2026, 12, 1)
    assert not case_task.overdue


def test_pause_refused_to_outsiders_and_needs_reasons(people, referral):
    case_task = CaseTask.objects.get(task=open_task(referral, "police_acknowledge"))
    with pytest.raises(PermissionDenied):
        deadline_services.task_clock_pause(
            case_task=case_task, user=people.la, waiting_on="x", reason="y"
        )
    with pytest.raises(ApplicationError) as error:
        deadline_services.task_clock_pause(
            case_task=case_task, user=people.police, waiting_on="", reason="y"
        )
    assert error.value.field == "waiting_on"


def test_information_request_pauses_and_the_answer_resumes(people, referral):
    request = deadline_services.information_request_create(
        referral=referral, user=people.la, question="Which year group is the pupil in?"
    )
    la_task = CaseTask.objects.get(task=open_task(referral, "la_acknowledge"))
    police_task = CaseTask.objects.get(task=open_task(referral, "police_acknowledge"))
    assert la_task.pauses.filter(resumed_at__isnull=True).exists()
    assert not police_task.pauses.exists()
    assert Notification.objects.filter(
        kind="information_requested", to=[people.referrer.email]
    ).exists()
    assert deadline_services.information_received(information_request=request) == 1
    assert not la_task.pauses.filter(resumed_at__isnull=True).exists()
    with pytest.raises(PermissionDenied):
        deadline_services.information_request_create(
            referral=referral, user=people.la_other_la, question="?"
        )
