"""The referral-process demo cases: built once, through the services, at every stage."""

from accounts import demo
from referrals.models import PossibleDuplicate, ReferralStatus
from workflows.models import CaseTask, ReferralProcess
from workflows.referral import demo as workflow_demo


def test_demo_builds_a_case_at_every_stage_once(db, django_capture_on_commit_callbacks):
    users = demo.build(password="demo password for tests")
    with django_capture_on_commit_callbacks(execute=True):
        summary = workflow_demo.build_cases(users)
    assert summary.startswith("Referral process demo cases") and "\n" not in summary
    stages = set(CaseTask.objects.filter(is_open=True).values_list("stage", flat=True))
    assert stages >= {
        "police_acknowledge",
        "la_acknowledge",
        "police_gateway_checks",
        "la_initial_discussion",
        "la_safeguarding_checks",
        "threshold_decision",
        "assurance_review",
        "below_threshold_outcome",
        "risk_assessment",
        "outcome_decision",
        "police_deconfliction",
    }
    outcomes = set(ReferralProcess.objects.exclude(outcome="").values_list("outcome", flat=True))
    assert outcomes == {"signposted", "no_further_action", "pursue", "police_led"}
    assert PossibleDuplicate.objects.filter(
        referral__first_name="Noah", decision="pending"
    ).exists()
    transferred = ReferralProcess.objects.get(referral__first_name="Leon").referral
    assert transferred.local_authority.name == "Westminster"
    assert transferred.status == ReferralStatus.IN_PROGRESS
    assert workflow_demo.build_cases(users).endswith("already present, left as they are")
