"""Each case-state factory leaves the case where its name says, with the right step open."""

import pytest
from viewflow.workflow.models import Task

from tests.cases import (
    BranchesJoinedFactory,
    ChannelAdoptedCaseFactory,
    ChannelCaseFactory,
    ExitedCaseFactory,
    InSupportFactory,
    SubmittedCaseFactory,
    ThresholdMetCaseFactory,
    open_tasks,
)


@pytest.mark.parametrize(
    ("factory_class", "open_now"),
    [
        (SubmittedCaseFactory, ["la_acknowledge", "police_acknowledge"]),
        (BranchesJoinedFactory, ["threshold_decision"]),
        (ThresholdMetCaseFactory, ["risk_assessment"]),
        (ChannelCaseFactory, ["adoption_decision"]),
        (ChannelAdoptedCaseFactory, ["consent"]),
        (InSupportFactory, ["panel_review"]),
        (ExitedCaseFactory, []),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_each_state_has_its_step_open(people, factory_class, open_now):
    referral = factory_class(people=people)
    assert sorted(open_tasks(referral)) == open_now


def test_an_exited_case_waits_for_its_six_month_review(people):
    referral = ExitedCaseFactory(people=people)
    waiting = Task.objects.filter(process__channelprocess__referral=referral, status="SCHEDULED")
    assert [task.flow_task.name for task in waiting] == ["wait_6_months"]
