"""The Channel demo cases: built through the services, once, at every point of the stage."""

from viewflow.workflow.timers import fire_due_timers

from accounts import demo
from workflows.channel import demo as channel_demo
from workflows.models import CaseTask, InterventionSession, PanelMeeting


def _open_stages():
    return sorted(
        CaseTask.objects.filter(
            is_open=True,
            stage__in=[
                "adoption_decision",
                "consent",
                "panel_review",
                "post_exit_review_6",
            ],
        ).values_list("stage", flat=True)
    )


def test_demo_builds_cases_at_every_point_once(db, django_capture_on_commit_callbacks):
    users = demo.build(password="demo password for tests")
    with django_capture_on_commit_callbacks(execute=True):
        summary = channel_demo.build_cases(users)
    assert summary.startswith("Channel demo cases (Camden)") and "\n" not in summary
    assert _open_stages() == ["adoption_decision", "consent", "panel_review"]
    assert PanelMeeting.objects.get().agenda.count() == 2
    assert InterventionSession.objects.get().recorded_by == users.by_key["provider-camden"]
    assert fire_due_timers() == 1  # the beat job's next run creates the due review
    assert _open_stages() == ["adoption_decision", "consent", "panel_review", "post_exit_review_6"]
    assert channel_demo.build_cases(users).endswith("already present, left as they are")
