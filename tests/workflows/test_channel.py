"""Every Channel path, parental consent, providers' access, and post-exit reviews on time."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.timers import fire_due_timers

from accounts.roles import Role
from config.errors import ApplicationError, PermissionDenied
from referrals.models import ReferralStatus
from workflows.channel import services as channel
from workflows.channel.permissions import may_record_session
from workflows.engine.permissions import WORK_TASK
from workflows.models import ChannelDecision, Consent, InterventionSession
from workflows.referral import services

from .conftest import make_user, submit_referral
from .helpers import open_task, open_tasks
from .test_flow import decide, la_branch, police_branch

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def chair(people):
    """Camden's Prevent lead also chairs its Channel panel."""
    route_panel = people.panel.teams.get()
    services_team_add(route_panel, people.la)
    return people.la


def services_team_add(team, user):
    from regions.services import team_add_member

    team_add_member(team=team, user=user)


@pytest.fixture
def provider(db):
    return make_user("mentor@provider.example", Role.INTERVENTION_PROVIDER)


def refer_to_channel(people, referral):
    police_branch(referral, people.police)
    extra = {}
    if referral.is_under_18:
        extra = {"mash_notified_on": referral.created_at.date(), "mash_response": "Known to MASH"}
    la_branch(referral, people.la, **extra)
    decide(referral, people.police, meets=True)
    services.risk_assessment_complete(
        task=open_task(referral, "risk_assessment"),
        user=people.police,
        engagement_rating="high",
        engagement_evidence="e",
        intent_rating="medium",
        intent_evidence="e",
        capability_rating="low",
        capability_evidence="e",
        overall_risk="medium",
        summary="s",
    )
    services.outcome_decide(
        task=open_task(referral, "outcome_decision"),
        user=people.police,
        outcome="channel",
        rationale="Vulnerable; support needed.",
    )
    return referral


def adopt(referral, chair, adopt=True):
    return channel.adoption_decide(
        task=open_task(referral, "adoption_decision"),
        user=chair,
        adopt=adopt,
        rationale="Panel agreed.",
    )


def consent(referral, user, given=True, **parent):
    today = timezone.localdate()
    return channel.consent_record(
        task=open_task(referral, "consent"),
        user=user,
        person_given=given,
        person_on=today,
        person_how="in_person",
        **parent,
    )


def plan(referral, user, owner, provider=None):
    return channel.support_plan_complete(
        task=open_task(referral, "support_plan"),
        user=user,
        summary="Mentoring and education",
        interventions=[
            {
                "kind": "mentoring",
                "description": "Weekly mentoring",
                "owner": owner,
                "provider": provider,
            },
            {"kind": "education", "description": "College course", "owner": owner},
        ],
    )


def review(referral, user, recommendation):
    return channel.panel_review_complete(
        task=open_task(referral, "panel_review"),
        user=user,
        progress="Engaging well",
        risk="low",
        recommendation=recommendation,
        rationale="Progress sustained.",
    )


@pytest.fixture
def at_channel(people, chair):
    return refer_to_channel(people, submit_referral(people.referrer))


def test_adopted_supported_reviewed_and_exited(people, chair, provider, at_channel):
    referral = at_channel
    adopt(referral, chair)
    assert consent(referral, people.panel) is True
    plan(referral, people.panel, owner=chair, provider=provider)
    review(referral, people.panel, "continue")
    assert list(open_tasks(referral)) == ["panel_review"]  # periodic reviews repeat
    review(referral, chair, "exit")
    assert open_tasks(referral) == {}
    assert referral.channel_decisions.latest().result == ChannelDecision.Result.EXITED
    scheduled = Task.objects.filter(process__channelprocess__referral=referral, status="SCHEDULED")
    assert [t.flow_task.name for t in scheduled] == ["wait_6_months"]


def test_only_the_chair_decides_adoption_and_exit(people, chair, at_channel):
    referral = at_channel
    with pytest.raises(PermissionDenied):
        adopt(referral, people.panel)
    adopt(referral, chair)
    consent(referral, people.panel)
    plan(referral, people.panel, owner=chair)
    with pytest.raises(PermissionDenied):
        review(referral, people.panel, "exit")


@pytest.mark.parametrize(
    "who",
    ["police", "la_other_la", "referrer", "westminster_la", "compliance", "adviser_other_region"],
)
def test_outsiders_cannot_work_panel_tasks(people, chair, at_channel, who):
    user = getattr(people, who)
    task = open_task(at_channel, "adoption_decision")
    assert not user.has_perm(WORK_TASK, task)
    with pytest.raises(PermissionDenied):
        channel.adoption_decide(task=task, user=user, adopt=True, rationale="x")


@pytest.mark.parametrize("result", ["police_led", "closed"])
def test_not_adopted_goes_back_to_the_police(people, chair, at_channel, result):
    referral = at_channel
    adopt(referral, chair, adopt=False)
    task = open_task(referral, "not_adopted_outcome")
    assert people.police.has_perm(WORK_TASK, task) and not chair.has_perm(WORK_TASK, task)
    channel.not_adopted_outcome_decide(
        task=task, user=people.police, result=result, rationale="Below Channel threshold"
    )
    referral.refresh_from_db()
    expected = ReferralStatus.IN_PROGRESS if result == "police_led" else ReferralStatus.CLOSED
    assert referral.status == expected
    assert open_tasks(referral) == {}


def test_adoption_needs_a_rationale(people, chair, at_channel):
    with pytest.raises(ApplicationError) as error:
        channel.adoption_decide(
            task=open_task(at_channel, "adoption_decision"), user=chair, adopt=True, rationale="  "
        )
    assert error.value.field == "rationale"
    assert not at_channel.channel_decisions.exists()


def test_consent_refused_leads_to_a_recorded_decision(people, chair, at_channel):
    referral = at_channel
    adopt(referral, chair)
    assert consent(referral, people.panel, given=False) is False
    task = open_task(referral, "consent_outcome")
    with pytest.raises(ApplicationError):
        channel.consent_outcome_decide(task=task, user=chair, result="police_led", rationale="")
    channel.consent_outcome_decide(
        task=task, user=chair, result="police_led", rationale="Risk remains; police to manage."
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.IN_PROGRESS
    assert referral.channel_decisions.latest().kind == ChannelDecision.Kind.CONSENT_OUTCOME


def test_consent_withdrawn_mid_support(people, chair, provider, at_channel):
    referral = at_channel
    adopt(referral, chair)
    consent(referral, people.panel)
    plan(referral, people.panel, owner=chair, provider=provider)
    channel.consent_withdraw(
        referral=referral,
        user=people.panel,
        withdrawn_on=timezone.localdate(),
        reason="No longer taking part",
    )
    assert list(open_tasks(referral)) == ["consent_outcome"]
    channel.consent_outcome_decide(
        task=open_task(referral, "consent_outcome"),
        user=chair,
        result="closed",
        rationale="Risk low; closed.",
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED


def test_under_18_needs_parental_consent(people, chair):
    referral = refer_to_channel(people, submit_referral(people.referrer, dob=date(2011, 1, 5)))
    adopt(referral, chair)
    with pytest.raises(ApplicationError) as error:
        consent(referral, people.panel)
    assert error.value.field == "parent_name"
    with pytest.raises(ApplicationError) as error:
        consent(referral, people.panel, parent_name="A Parent")
    assert error.value.field == "parent_given"
    assert not Consent.objects.filter(referral=referral).exists()
    today = timezone.localdate()
    refused = consent(
        referral,
        people.panel,
        parent_name="A Parent",
        parent_given=False,
        parent_on=today,
        parent_how="phone",
    )
    assert refused is False  # the person agreed, the parent did not: no consent
    assert list(open_tasks(referral)) == ["consent_outcome"]


def test_provider_sees_only_their_items_and_records_sessions(people, chair, provider, at_channel):
    referral = at_channel
    adopt(referral, chair)
    consent(referral, people.panel)
    support = plan(referral, people.panel, owner=chair, provider=provider)
    mentoring, education = support.interventions.order_by("pk")
    assert may_record_session(provider, mentoring)
    assert not may_record_session(provider, education)
    assert not provider.has_perm("referrals.view_referral", referral)
    session = channel.intervention_session_record(
        intervention=mentoring,
        user=provider,
        held_on=timezone.localdate(),
        duration_minutes=60,
        attended=True,
        notes="Discussed online sources",
    )
    assert session.recorded_by == provider
    with pytest.raises(PermissionDenied):
        channel.intervention_session_record(
            intervention=education,
            user=provider,
            held_on=timezone.localdate(),
            duration_minutes=60,
            attended=True,
            notes="x",
        )
    other = make_user("other@provider.example", Role.INTERVENTION_PROVIDER)
    with pytest.raises(PermissionDenied):
        channel.intervention_session_record(
            intervention=mentoring,
            user=other,
            held_on=timezone.localdate(),
            duration_minutes=30,
            attended=True,
            notes="x",
        )
    assert InterventionSession.objects.count() == 1


def test_non_provider_cannot_be_commissioned(people, chair, at_channel):
    referral = at_channel
    adopt(referral, chair)
    consent(referral, people.panel)
    with pytest.raises(ApplicationError) as error:
        plan(referral, people.panel, owner=chair, provider=people.referrer)
    assert error.value.field == "provider"


def _run_beat_on(day: date):
    with time_machine.travel(
        datetime(day.year, day.month, day.day, 9, 0, tzinfo=LONDON), tick=False
    ):
        return fire_due_timers()


def test_post_exit_reviews_created_exactly_on_their_due_dates(people, chair, at_channel):
    referral = at_channel
    exit_day = date(2026, 8, 31)
    with time_machine.travel(datetime(2026, 8, 31, 10, 0, tzinfo=LONDON), tick=False):
        adopt(referral, chair)
        consent(referral, people.panel)
        plan(referral, people.panel, owner=chair)
        review(referral, chair, "exit")
    six, twelve = date(2027, 2, 28), date(2027, 8, 31)  # 31 Feb does not exist
    assert channel.post_exit_due_on(referral, 6) == six
    assert _run_beat_on(six - timedelta(days=1)) == 0
    assert "post_exit_review_6" not in open_tasks(referral)
    assert _run_beat_on(six) == 1
    assert list(open_tasks(referral)) == ["post_exit_review_6"]
    assert _run_beat_on(six) == 0  # running the job again creates nothing more
    with time_machine.travel(datetime(2027, 3, 1, 10, 0, tzinfo=LONDON), tick=False):
        channel.post_exit_review_complete(
            task=open_task(referral, "post_exit_review_6"),
            user=people.panel,
            assessment="Stable",
            concern=False,
        )
    assert _run_beat_on(twelve - timedelta(days=1)) == 0
    assert _run_beat_on(twelve) == 1
    with time_machine.travel(datetime(2027, 9, 1, 10, 0, tzinfo=LONDON), tick=False):
        channel.post_exit_review_complete(
            task=open_task(referral, "post_exit_review_12"),
            user=people.panel,
            assessment="Stable",
            concern=False,
        )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED
    assert exit_day < six < twelve


def test_concern_at_post_exit_review_reopens_the_case(people, chair, at_channel):
    referral = at_channel
    with time_machine.travel(datetime(2026, 1, 10, 10, 0, tzinfo=LONDON), tick=False):
        adopt(referral, chair)
        consent(referral, people.panel)
        plan(referral, people.panel, owner=chair)
        review(referral, chair, "exit")
    assert _run_beat_on(date(2026, 7, 10)) == 1
    with time_machine.travel(datetime(2026, 7, 11, 10, 0, tzinfo=LONDON), tick=False):
        channel.post_exit_review_complete(
            task=open_task(referral, "post_exit_review_6"),
            user=people.panel,
            assessment="New concerning posts",
            concern=True,
        )
    assert list(open_tasks(referral)) == ["panel_review"]


def test_no_interventions_after_exit(people, chair, provider, at_channel):
    referral = at_channel
    adopt(referral, chair)
    consent(referral, people.panel)
    plan(referral, people.panel, owner=chair)
    channel.intervention_add(
        referral=referral,
        user=people.panel,
        kind="housing",
        description="Housing advice",
        owner=chair,
    )
    review(referral, chair, "exit")
    with pytest.raises(ApplicationError, match="being supported"):
        channel.intervention_add(
            referral=referral,
            user=people.panel,
            kind="mentoring",
            description="More mentoring",
            owner=chair,
            provider=provider,
        )
    assert not provider.interventions.exists()
