"""Each named rule, allowed and refused: the matrix of people against a Camden case."""

import pytest
import rules

from tests.cases import make_chair, open_task, refer_to_channel
from workflows.engine.permissions import cases_visible_to, tasks_workable_by

# Who each rule lets through, of the people in tests/cases.py; everyone else is refused.
CASE_RULES = {
    "may_view_case": {"police", "police2", "la", "la2", "adviser", "adviser2"},
    "is_case_police": {"police", "police2"},
    "is_case_local_authority": {"la", "la2"},
    "is_case_panel_member": {"panel"},
    "is_region_adviser": {"adviser", "adviser2"},
    "is_panel_chair": set(),
    "is_case_staff": {"police", "police2", "la", "la2", "adviser", "adviser2", "panel"},
}
EVERYONE = [
    "referrer",
    "other_referrer",
    "police",
    "police2",
    "la",
    "la2",
    "adviser",
    "adviser2",
    "police_other_region",
    "la_other_la",
    "adviser_other_region",
    "westminster_la",
    "panel",
    "compliance",
]


@pytest.mark.parametrize("rule", sorted(CASE_RULES))
@pytest.mark.parametrize("who", EVERYONE)
def test_case_rules(people, referral, rule, who):
    allowed = who in CASE_RULES[rule]
    assert rules.test_rule(rule, getattr(people, who), referral) is allowed


def test_the_panel_chair_is_the_las_lead_on_the_panel(people, referral):
    assert not rules.test_rule("is_panel_chair", people.la, referral)
    chair = make_chair(people)
    assert rules.test_rule("is_panel_chair", chair, referral)
    assert not rules.test_rule("is_panel_chair", people.panel, referral)


@pytest.mark.parametrize("who", EVERYONE)
def test_task_rules(people, referral, who):
    task = open_task(referral, "police_acknowledge")
    user = getattr(people, who)
    works = who in {"police", "police2"}
    sees = works or who in {"adviser", "adviser2"}
    assert rules.test_rule("is_task_team_member", user, task) is works
    assert rules.test_rule("may_see_task", user, task) is sees


@pytest.mark.parametrize("who", EVERYONE)
def test_list_twins_agree_with_their_rules(people, referral, who):
    user = getattr(people, who)
    listed = referral in cases_visible_to(user)
    assert listed is rules.test_rule("may_view_case", user, referral)
    task = open_task(referral, "police_acknowledge")
    workable = tasks_workable_by(user).filter(task=task).exists()
    assert workable is rules.test_rule("is_task_team_member", user, task)


def test_the_panel_sees_a_case_only_once_it_is_at_channel(people, referral):
    assert not rules.test_rule("may_view_case", people.panel, referral)
    refer_to_channel(people, referral)
    assert rules.test_rule("may_view_case", people.panel, referral)
