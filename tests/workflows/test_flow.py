"""Every path through the referral flow, driven through the services the pages call."""

import pytest
from django.core import mail
from viewflow.workflow.status import STATUS

from config.errors import ApplicationError, PermissionDenied
from notifications.models import Notification
from referrals.models import PossibleDuplicate, ReferralStatus
from tests.cases import (
    ALL_CLEAR,
    decide,
    la_branch,
    open_task,
    open_tasks,
    police_branch,
    sharing,
    submit_referral,
)
from workflows.engine.permissions import VIEW_CASE, is_task_team_member
from workflows.models import (
    CaseTask,
    GatewayCheck,
    InitialDiscussion,
    ReferralProcess,
    SafeguardingChecks,
    ThresholdDecision,
)
from workflows.referral import services


def test_submission_opens_both_acknowledgements_for_the_right_teams_only(people, referral):
    tasks = open_tasks(referral)
    assert sorted(tasks) == ["la_acknowledge", "police_acknowledge"]
    police_task, la_task = tasks["police_acknowledge"], tasks["la_acknowledge"]
    assert is_task_team_member(people.police, police_task)
    assert not is_task_team_member(people.police, la_task)
    assert is_task_team_member(people.la, la_task)
    assert not is_task_team_member(people.la, police_task)
    for outsider in (
        people.police_other_region,
        people.la_other_la,
        people.referrer,
        people.westminster_la,
        people.compliance,
        people.adviser_other_region,
    ):
        assert not is_task_team_member(outsider, police_task)
        assert not is_task_team_member(outsider, la_task)
        assert not outsider.has_perm(VIEW_CASE, referral)
    for insider in (people.police, people.la, people.adviser):
        assert insider.has_perm(VIEW_CASE, referral)
    assert referral.status == ReferralStatus.IN_PROGRESS
    assert CaseTask.objects.get(task=police_task).due_on is not None


def test_new_tasks_notify_the_owning_team_once(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        referral = submit_referral(people.referrer)
    notices = Notification.objects.filter(kind="task_created", case_reference=referral.reference)
    by_recipients = {tuple(n.to): n for n in notices}
    police = by_recipients[(people.police.email, people.police2.email)]
    la = by_recipients[(people.la2.email, people.la.email)]
    assert "Police" in police.subject and "Local authority" in la.subject
    assert len(by_recipients) == 2
    # one message per recipient, so team members do not see each other's addresses
    assert sorted(m.to[0] for m in mail.outbox) == sorted(a for r in by_recipients for a in r)
    assert all(len(m.to) == 1 for m in mail.outbox)
    assert {n.status for n in notices} == {Notification.Status.SENT}


@pytest.mark.parametrize("police_first", [True, False])
def test_join_waits_for_both_branches_in_either_order(people, referral, police_first):
    first, second = (police_branch, la_branch) if police_first else (la_branch, police_branch)
    first(referral, people.police if police_first else people.la)
    assert "threshold_decision" not in open_tasks(referral)
    second(referral, people.la if police_first else people.police)
    assert list(open_tasks(referral)) == ["threshold_decision"]
    assert CaseTask.objects.filter(referral=referral, stage="threshold_decision").count() == 1


@pytest.mark.parametrize(
    ("outcome", "extra", "status", "final"),
    [
        (
            "pursue",
            {"handover_to": "SO15 Pursue", "handover_notes": "Full handover."},
            ReferralStatus.CLOSED,
            "pursue",
        ),
        ("channel", {}, ReferralStatus.IN_PROGRESS, "channel"),
        ("police_led", {}, ReferralStatus.IN_PROGRESS, "police_led"),
        ("no_further_action", {}, ReferralStatus.CLOSED, "no_further_action"),
    ],
)
def test_meets_threshold_then_each_outcome(people, referral, outcome, extra, status, final):
    police_branch(referral, people.police)
    la_branch(referral, people.la)
    decide(referral, people.police, meets=True)
    services.risk_assessment_complete(
        task=open_task(referral, "risk_assessment"),
        user=people.police,
        engagement_rating="high",
        engagement_evidence="Posts",
        intent_rating="medium",
        intent_evidence="Statements",
        capability_rating="low",
        capability_evidence="None",
        overall_risk="medium",
        summary="Medium risk overall.",
        **sharing("Shared with partners."),
    )
    services.outcome_decide(
        task=open_task(referral, "outcome_decision"),
        user=people.police,
        outcome=outcome,
        rationale="Reasoned decision.",
        **sharing("Shared with partners."),
        **extra,
    )
    referral.refresh_from_db()
    assert referral.status == status
    assert ReferralProcess.objects.get(referral=referral).outcome == final
    if outcome == "channel":
        assert people.panel.has_perm(VIEW_CASE, referral)
        assert list(open_tasks(referral)) == ["adoption_decision"]
        assert is_task_team_member(people.panel, open_task(referral, "adoption_decision"))
    else:
        assert open_tasks(referral) == {}
        assert not people.panel.has_perm(VIEW_CASE, referral)


@pytest.mark.parametrize(
    ("outcome", "signpost", "final"),
    [
        ("no_further_action", "", "no_further_action"),
        ("signposted", "Local youth service", "signposted"),
    ],
)
def test_below_threshold_adult_closes_with_letter(people, referral, outcome, signpost, final):
    police_branch(referral, people.police)
    la_branch(referral, people.la)
    decision = decide(referral, people.police, meets=False)
    assert decision.assurance == ThresholdDecision.Assurance.NOT_NEEDED
    services.below_threshold_outcome_complete(
        task=open_task(referral, "below_threshold_outcome"),
        user=people.la,
        outcome=outcome,
        signposted_to=signpost,
        letter="Thank you for your referral. We have decided...",
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED
    assert referral.process.outcome == final
    letter = Notification.objects.get(kind="outcome_letter", case_reference=referral.reference)
    assert letter.to == [people.referrer.email]


def test_under_18_below_threshold_needs_assurance_confirmed(people, child_referral):
    referral = child_referral
    police_branch(referral, people.police)
    la_branch(
        referral,
        people.la,
        mash_notified_on=referral.created_at.date(),
        mash_response="MASH: known, no open plan",
    )
    decision = decide(referral, people.police, meets=False)
    assert decision.assurance == ThresholdDecision.Assurance.PENDING
    assert list(open_tasks(referral)) == ["assurance_review"]
    task = open_task(referral, "assurance_review")
    with pytest.raises(PermissionDenied):
        services.assurance_review_decide(task=task, user=people.police, confirm=True)
    services.assurance_review_decide(task=task, user=people.adviser, confirm=True)
    assert list(open_tasks(referral)) == ["below_threshold_outcome"]


def test_assurance_can_send_the_decision_back_with_reasons(people, child_referral):
    referral = child_referral
    police_branch(referral, people.police)
    la_branch(
        referral,
        people.la,
        mash_notified_on=referral.created_at.date(),
        mash_response="MASH response recorded",
    )
    decide(referral, people.police, meets=False)
    task = open_task(referral, "assurance_review")
    with pytest.raises(ApplicationError, match="reasons"):
        services.assurance_review_decide(task=task, user=people.adviser, confirm=False)
    services.assurance_review_decide(
        task=task, user=people.adviser, confirm=False, reasons="Online activity not weighed."
    )
    assert list(open_tasks(referral)) == ["threshold_decision"]
    decide(referral, people.police, meets=True)
    assert list(open_tasks(referral)) == ["risk_assessment"]


def test_repeat_referral_below_threshold_needs_assurance(people):
    earlier = submit_referral(people.referrer)
    referral = submit_referral(people.referrer)
    PossibleDuplicate.objects.get_or_create(
        referral=referral, earlier=earlier, defaults={"score": 1.0}
    )
    police_branch(referral, people.police)
    la_branch(referral, people.la)
    decision = decide(referral, people.police, meets=False)
    assert decision.assurance == ThresholdDecision.Assurance.PENDING
    assert "referred before" in decision.assurance_reason


def test_dismissed_duplicate_is_not_a_repeat(people):
    earlier = submit_referral(people.referrer)
    referral = submit_referral(people.referrer)
    PossibleDuplicate.objects.update_or_create(
        referral=referral, earlier=earlier, defaults={"score": 1.0, "decision": "dismissed"}
    )
    assert not services.is_repeat_referral(referral)


def test_police_held_initial_discussion_is_confirmed_not_repeated(people, referral):
    services.initial_discussion_record(
        referral=referral,
        user=people.police,
        held_on=referral.created_at.date(),
        summary="Called DSL",
    )
    services.task_acknowledge(task=open_task(referral, "la_acknowledge"), user=people.la)
    task = open_task(referral, "la_initial_discussion")
    with pytest.raises(ApplicationError, match="already held"):
        services.la_initial_discussion_complete(
            task=task, user=people.la, held_on=referral.created_at.date(), summary="x"
        )
    services.la_initial_discussion_complete(task=task, user=people.la, confirm=True)
    discussion = InitialDiscussion.objects.get(referral=referral)
    assert discussion.held_by == people.police and discussion.confirmed_by == people.la
    with pytest.raises(ApplicationError, match="already recorded"):
        services.initial_discussion_record(
            referral=referral, user=people.la, held_on=referral.created_at.date(), summary="again"
        )


def test_deconfliction_is_repeatable_by_police_only(people, referral):
    police_branch(referral, people.police)
    services.deconfliction_record(
        referral=referral,
        user=people.police,
        outcome="no_conflict",
        trigger="New information from the school",
    )
    assert referral.deconflictions.count() == 2
    for outsider in (people.la, people.police_other_region, people.referrer):
        with pytest.raises(PermissionDenied):
            services.deconfliction_record(referral=referral, user=outsider, outcome="no_conflict")


class TestMandatoryFields:
    def test_domestic_abuse_check_is_mandatory(self, people, referral):
        services.task_acknowledge(task=open_task(referral, "la_acknowledge"), user=people.la)
        services.la_initial_discussion_complete(
            task=open_task(referral, "la_initial_discussion"),
            user=people.la,
            held_on=referral.created_at.date(),
            summary="Held",
        )
        task = open_task(referral, "la_safeguarding_checks")
        with pytest.raises(ApplicationError, match="domestic-abuse check is mandatory"):
            services.la_safeguarding_checks_complete(
                task=task,
                user=people.la,
                social_care="a",
                education="b",
                health="c",
                domestic_abuse_result="",
                domestic_abuse_notes="",
            )
        assert not SafeguardingChecks.objects.filter(referral=referral).exists()
        assert open_task(referral, "la_safeguarding_checks").status != STATUS.DONE

    def test_mash_is_mandatory_for_under_18(self, people, child_referral):
        referral = child_referral
        services.task_acknowledge(task=open_task(referral, "la_acknowledge"), user=people.la)
        services.la_initial_discussion_complete(
            task=open_task(referral, "la_initial_discussion"),
            user=people.la,
            held_on=referral.created_at.date(),
            summary="Held",
        )
        with pytest.raises(ApplicationError, match="MASH"):
            services.la_safeguarding_checks_complete(
                task=open_task(referral, "la_safeguarding_checks"),
                user=people.la,
                social_care="a",
                education="b",
                health="c",
                domestic_abuse_result="no_concern",
                domestic_abuse_notes="checked",
            )

    @pytest.mark.parametrize(
        ("checks", "message"),
        [
            ({}, "Select a result"),
            (ALL_CLEAR | {"visor": ("trace", "")}, "Summarise the trace"),
            (ALL_CLEAR | {"firearms": ("not_done", " ")}, "reason"),
        ],
    )
    def test_gateway_checks(self, people, referral, checks, message):
        services.task_acknowledge(
            task=open_task(referral, "police_acknowledge"), user=people.police
        )
        services.police_deconfliction_complete(
            task=open_task(referral, "police_deconfliction"),
            user=people.police,
            outcome="no_conflict",
        )
        with pytest.raises(ApplicationError, match=message):
            services.police_gateway_checks_complete(
                task=open_task(referral, "police_gateway_checks"), user=people.police, checks=checks
            )
        assert not GatewayCheck.objects.filter(referral=referral).exists()

    @pytest.mark.parametrize(
        ("answers", "field"),
        [
            ({"ideological_element": None, "terrorism_risk": True}, "ideological_element"),
            ({"ideological_element": True, "ideology": "", "terrorism_risk": True}, "ideology"),
            ({"ideological_element": True, "terrorism_risk": None}, "terrorism_risk"),
            (
                {"ideological_element": False, "terrorism_risk": False, "rationale": " "},
                "rationale",
            ),
        ],
    )
    def test_threshold_decision(self, people, referral, answers, field):
        police_branch(referral, people.police)
        la_branch(referral, people.la)
        kwargs = {"ideology": "islamist", "rationale": "Because."} | answers
        with pytest.raises(ApplicationError) as error:
            services.threshold_decide(
                task=open_task(referral, "threshold_decision"), user=people.police, **kwargs
            )
        assert error.value.field == field
        assert not ThresholdDecision.objects.filter(referral=referral).exists()

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            (
                {"outcome": "pursue", "rationale": "r", "handover_to": "", "handover_notes": "n"},
                "handover_to",
            ),
            ({"outcome": "channel", "rationale": ""}, "rationale"),
            ({"outcome": "bogus", "rationale": "r"}, "outcome"),
        ],
    )
    def test_outcome_decision(self, people, referral, kwargs, field):
        police_branch(referral, people.police)
        la_branch(referral, people.la)
        decide(referral, people.police, meets=True)
        services.risk_assessment_complete(
            task=open_task(referral, "risk_assessment"),
            user=people.police,
            engagement_rating="low",
            engagement_evidence="e",
            intent_rating="low",
            intent_evidence="e",
            capability_rating="low",
            capability_evidence="e",
            overall_risk="low",
            summary="s",
            **sharing("Shared with partners."),
        )
        with pytest.raises(ApplicationError) as error:
            services.outcome_decide(
                task=open_task(referral, "outcome_decision"), user=people.police, **kwargs
            )
        assert error.value.field == field

    def test_risk_assessment_needs_evidence(self, people, referral):
        police_branch(referral, people.police)
        la_branch(referral, people.la)
        decide(referral, people.police, meets=True)
        with pytest.raises(ApplicationError) as error:
            services.risk_assessment_complete(
                task=open_task(referral, "risk_assessment"),
                user=people.police,
                engagement_rating="high",
                engagement_evidence="",
                intent_rating="low",
                intent_evidence="e",
                capability_rating="low",
                capability_evidence="e",
                overall_risk="low",
                summary="s",
                **sharing("Shared with partners."),
            )
        assert error.value.field == "engagement_evidence"


class TestEveryProblemAtOnce:
    """A service checks every answer and raises all its problems together, saving nothing."""

    def test_threshold_decision(self, people, referral):
        police_branch(referral, people.police)
        la_branch(referral, people.la)
        with pytest.raises(ApplicationError) as error:
            services.threshold_decide(
                task=open_task(referral, "threshold_decision"),
                user=people.police,
                ideological_element=True,
                ideology="",
                terrorism_risk=None,
                rationale=" ",
            )
        assert error.value.errors == [
            ("ideology", "Select the ideology"),
            ("terrorism_risk", "Answer whether there is a terrorism risk"),
            ("rationale", "Give the rationale for the decision"),
        ]
        assert not ThresholdDecision.objects.filter(referral=referral).exists()

    def test_gateway_checks_report_every_check(self, people, referral):
        services.task_acknowledge(
            task=open_task(referral, "police_acknowledge"), user=people.police
        )
        services.police_deconfliction_complete(
            task=open_task(referral, "police_deconfliction"),
            user=people.police,
            outcome="no_conflict",
        )
        checks = {
            "police_national_systems": ("no_trace", ""),
            "intelligence": ("trace", ""),
            "visor": ("not_done", " "),
            "previous_prevent": ("", ""),
            "firearms": ("trace", "Certificate held"),
        }
        with pytest.raises(ApplicationError) as error:
            services.police_gateway_checks_complete(
                task=open_task(referral, "police_gateway_checks"), user=people.police, checks=checks
            )
        assert error.value.by_field() == {
            "intelligence": ["Summarise the trace found in Intelligence holdings"],
            "visor": ["Give the reason ViSOR and offender management records was not done"],
            "previous_prevent": ["Select a result for Previous Prevent contact"],
        }
        assert not GatewayCheck.objects.filter(referral=referral).exists()
        assert open_task(referral, "police_gateway_checks").status != STATUS.DONE

    def test_safeguarding_checks(self, people, child_referral):
        referral = child_referral
        services.task_acknowledge(task=open_task(referral, "la_acknowledge"), user=people.la)
        services.la_initial_discussion_complete(
            task=open_task(referral, "la_initial_discussion"),
            user=people.la,
            held_on=referral.created_at.date(),
            summary="Held",
        )
        with pytest.raises(ApplicationError) as error:
            services.la_safeguarding_checks_complete(
                task=open_task(referral, "la_safeguarding_checks"),
                user=people.la,
                social_care="",
                education="b",
                health="c",
                domestic_abuse_result="",
                domestic_abuse_notes="",
            )
        assert [field for field, _ in error.value.errors] == [
            "social_care",
            "domestic_abuse_result",
            "domestic_abuse_notes",
            "mash_notified_on",
            "mash_response",
        ]
        assert not SafeguardingChecks.objects.filter(referral=referral).exists()

    def test_a_further_deconfliction_needs_its_trigger_and_outcome(self, people, referral):
        with pytest.raises(ApplicationError) as error:
            services.deconfliction_record(
                referral=referral, user=people.police, outcome="", trigger=" "
            )
        assert error.value.errors == [
            ("trigger", "Enter what prompted this check"),
            ("outcome", "Select the outcome of the deconfliction check"),
        ]
        assert not referral.deconflictions.exists()

    def test_transfer(self, people, referral):
        with pytest.raises(ApplicationError) as error:
            services.case_transfer(
                referral=referral,
                user=people.adviser,
                to_local_authority=referral.local_authority,
                reason="",
            )
        assert error.value.by_field() == {
            "to_local_authority": ["The case is already with that local authority"],
            "reason": ["Give the reason for the transfer"],
        }
        assert not referral.transfers.exists()

    def test_a_permission_refusal_comes_first_and_alone(self, people, referral):
        with pytest.raises(PermissionDenied) as error:
            services.deconfliction_record(referral=referral, user=people.la, outcome="")
        assert len(error.value.errors) == 1
        with pytest.raises(PermissionDenied):
            services.case_transfer(
                referral=referral, user=people.police, to_local_authority=None, reason=""
            )
        with pytest.raises(PermissionDenied):
            services.home_visit_record(referral=referral, user=people.la, visited_on=None, notes="")
        services.task_acknowledge(
            task=open_task(referral, "police_acknowledge"), user=people.police
        )
        with pytest.raises(PermissionDenied):
            services.police_deconfliction_complete(
                task=open_task(referral, "police_deconfliction"), user=people.la, outcome=""
            )


def test_home_visit_needs_a_safe_risk_assessment_first(people, referral):
    day = referral.created_at.date()
    with pytest.raises(ApplicationError, match="home-visit risk assessment"):
        services.home_visit_record(
            referral=referral, user=people.police, visited_on=day, notes="Visited"
        )
    services.home_visit_assessment_record(
        referral=referral,
        user=people.police,
        risks_identified="Dog",
        controls="Two officers",
        visit_safe=False,
    )
    with pytest.raises(ApplicationError, match="home-visit risk assessment"):
        services.home_visit_record(
            referral=referral, user=people.police, visited_on=day, notes="Visited"
        )
    services.home_visit_assessment_record(
        referral=referral,
        user=people.police,
        risks_identified="Dog",
        controls="Dog secured",
        visit_safe=True,
    )
    visit = services.home_visit_record(
        referral=referral, user=people.police, visited_on=day, notes="Visited; engaged well"
    )
    assert visit.risk_assessment.visit_safe
    with pytest.raises(PermissionDenied):
        services.home_visit_assessment_record(
            referral=referral, user=people.la, risks_identified="x", controls="y", visit_safe=True
        )
