"""Every Channel path, parental consent, providers' access, and post-exit reviews on time."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.timers import fire_due_timers

from accounts.roles import Role
from compliance.models import AuditEvent
from config.errors import ApplicationError, PermissionDenied
from referrals.models import ReferralStatus
from tests.cases import (
    adopt,
    consent,
    make_user,
    open_task,
    open_tasks,
    plan,
    refer_to_channel,
    review,
    services_team_add,
    submit_referral,
)
from workflows.channel import services as channel
from workflows.channel.permissions import may_record_session
from workflows.engine.permissions import is_task_team_member
from workflows.models import (
    AgendaItem,
    ChannelDecision,
    Consent,
    Intervention,
    InterventionSession,
    PanelMeeting,
    PanelReview,
    PostExitReview,
    SupportPlan,
)

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def chair(people):
    """Camden's Prevent lead also chairs its Channel panel."""
    route_panel = people.panel.teams.get()
    services_team_add(route_panel, people.la)
    return people.la


@pytest.fixture
def provider(db):
    return make_user("mentor@provider.example", Role.INTERVENTION_PROVIDER)


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
    assert not is_task_team_member(user, task)
    with pytest.raises(PermissionDenied):
        channel.adoption_decide(task=task, user=user, adopt=True, rationale="x")


@pytest.mark.parametrize("result", ["police_led", "closed"])
def test_not_adopted_goes_back_to_the_police(people, chair, at_channel, result):
    referral = at_channel
    adopt(referral, chair, adopt=False)
    task = open_task(referral, "not_adopted_outcome")
    assert is_task_team_member(people.police, task) and not is_task_team_member(chair, task)
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
    assert error.value.by_field() == {
        "intervention-1-provider": [f"{people.referrer} is not a registered intervention provider"]
    }
    assert not SupportPlan.objects.filter(referral=referral).exists()


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
    assert channel.exit_date(referral) == exit_day
    recorded = list(referral.post_exit_reviews.order_by("months").values_list("months", "due_on"))
    assert recorded == [(6, six), (12, twelve)]


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


# --- Every problem at once ------------------------------------------------------------------


def problems_of(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ApplicationError) as error:
        call(**kwargs)
    assert not isinstance(error.value, PermissionDenied)
    return error.value.by_field()


def test_adoption_reports_every_missing_answer_at_once(chair, at_channel):
    task = open_task(at_channel, "adoption_decision")
    assert problems_of(
        channel.adoption_decide, task=task, user=chair, adopt=None, rationale=" "
    ) == {
        "adopt": ["Select whether the panel adopts the case"],
        "rationale": ["Give the panel's rationale"],
    }
    assert not at_channel.channel_decisions.exists()
    assert "adoption_decision" in open_tasks(at_channel)


def test_permission_is_refused_before_the_answers_are_checked(people, chair, at_channel):
    with pytest.raises(PermissionDenied) as error:
        channel.adoption_decide(
            task=open_task(at_channel, "adoption_decision"),
            user=people.panel,
            adopt=None,
            rationale="",
        )
    assert error.value.errors == [(None, channel.CHAIR_ONLY)]
    adopt(at_channel, chair)
    consent(at_channel, people.panel)
    plan(at_channel, people.panel, owner=chair)
    with pytest.raises(PermissionDenied):  # exit is the chair's, whatever else is missing
        channel.panel_review_complete(
            task=open_task(at_channel, "panel_review"),
            user=people.panel,
            progress="",
            risk="",
            recommendation="exit",
            rationale="",
        )
    assert not PanelReview.objects.exists()


def test_outcome_reports_result_and_rationale_together(people, chair, at_channel):
    adopt(at_channel, chair, adopt=False)
    assert problems_of(
        channel.not_adopted_outcome_decide,
        task=open_task(at_channel, "not_adopted_outcome"),
        user=people.police,
        result="",
        rationale="",
    ) == {
        "result": ["Select police-led partnership or closure"],
        "rationale": ["Give the rationale for the decision"],
    }
    assert at_channel.channel_decisions.count() == 1  # the adoption decision only


def test_under_18_consent_reports_the_person_and_the_parent_together(people, chair):
    referral = refer_to_channel(people, submit_referral(people.referrer, dob=date(2011, 1, 5)))
    adopt(referral, chair)
    tomorrow = timezone.localdate() + timedelta(days=1)
    problems = problems_of(
        channel.consent_record,
        task=open_task(referral, "consent"),
        user=people.panel,
        person_given=None,
        person_on=tomorrow,
        person_how="",
        parent_name=" ",
    )
    assert problems == {
        "person_given": ["Select whether the person consents"],
        "person_on": ["The date cannot be in the future"],
        "person_how": ["Select how consent was obtained"],
        "parent_name": ["The person is under 18: enter the parent's or guardian's name"],
        "parent_given": ["The person is under 18: select whether a parent or guardian consents"],
        "parent_on": ["Enter the date consent was given or refused"],
        "parent_how": ["Select how consent was obtained"],
    }
    assert not Consent.objects.filter(referral=referral).exists()
    assert list(open_tasks(referral)) == ["consent"]


def test_support_plan_checks_the_summary_and_every_intervention_before_saving(
    people, chair, provider, at_channel
):
    adopt(at_channel, chair)
    consent(at_channel, people.panel)
    task = open_task(at_channel, "support_plan")
    assert problems_of(
        channel.support_plan_complete, task=task, user=people.panel, summary="", interventions=[]
    ) == {
        "summary": ["Summarise the support plan"],
        "interventions": ["Add at least one intervention to the support plan"],
    }
    problems = problems_of(
        channel.support_plan_complete,
        task=task,
        user=people.panel,
        summary="Mentoring",
        interventions=[
            {"kind": "mentoring", "description": "Weekly", "owner": chair, "provider": provider},
            {"kind": "", "description": " ", "owner": None, "provider": people.referrer},
            {"kind": "astrology", "description": "Stars", "owner": chair},
        ],
    )
    assert problems == {
        "intervention-2-kind": ["Select the kind of intervention"],
        "intervention-2-description": ["Describe the intervention"],
        "intervention-2-owner": ["Select who owns this intervention"],
        "intervention-2-provider": [f"{people.referrer} is not a registered intervention provider"],
        "intervention-3-kind": ["Select the kind of intervention"],
    }
    assert not SupportPlan.objects.exists() and not Intervention.objects.exists()
    assert list(open_tasks(at_channel)) == ["support_plan"]


def test_adding_an_intervention_reports_the_state_and_the_answers_together(
    people, chair, at_channel
):
    adopt(at_channel, chair)
    consent(at_channel, people.panel)
    assert problems_of(
        channel.intervention_add,
        referral=at_channel,
        user=people.panel,
        kind="",
        description="",
        owner=None,
    ) == {
        "non_field_errors": ["Create the support plan first."],
        "kind": ["Select the kind of intervention"],
        "description": ["Describe the intervention"],
        "owner": ["Select who owns this intervention"],
    }
    plan(at_channel, people.panel, owner=chair)
    review(at_channel, chair, "exit")
    assert problems_of(
        channel.intervention_add,
        referral=at_channel,
        user=people.panel,
        kind="housing",
        description="",
        owner=chair,
    ) == {
        "non_field_errors": [
            "Interventions can only be added while the person is being supported."
        ],
        "description": ["Describe the intervention"],
    }
    assert Intervention.objects.filter(plan__referral=at_channel).count() == 2


def test_session_reports_every_missing_answer_at_once(people, chair, provider, at_channel):
    adopt(at_channel, chair)
    consent(at_channel, people.panel)
    mentoring = plan(at_channel, people.panel, owner=chair, provider=provider).interventions.get(
        kind="mentoring"
    )
    tomorrow = timezone.localdate() + timedelta(days=1)
    common = {"intervention": mentoring, "user": provider}
    assert problems_of(
        channel.intervention_session_record,
        **common,
        held_on=None,
        duration_minutes=None,
        attended=None,
        notes="",
    ) == {
        "held_on": ["Enter the date of the session"],
        "duration_minutes": ["Enter how long the session lasted, in minutes"],
        "attended": ["Select whether the person attended"],
        "notes": ["Record what happened in the session"],
    }
    assert problems_of(
        channel.intervention_session_record,
        **common,
        held_on=tomorrow,
        duration_minutes=-5,
        attended=False,
        notes="Did not come",
    ) == {
        "held_on": ["The session date cannot be in the future"],
        "duration_minutes": ["Enter how long the session lasted, in minutes"],
    }
    assert not InterventionSession.objects.exists()


def test_panel_review_reports_every_missing_answer_at_once(people, chair, at_channel):
    adopt(at_channel, chair)
    consent(at_channel, people.panel)
    plan(at_channel, people.panel, owner=chair)
    assert problems_of(
        channel.panel_review_complete,
        task=open_task(at_channel, "panel_review"),
        user=people.panel,
        progress=" ",
        risk="severe",
        recommendation=None,
        rationale="",
    ) == {
        "progress": ["Describe the progress made"],
        "risk": ["Select the current risk level"],
        "recommendation": ["Select whether support continues or the case exits"],
        "rationale": ["Give the rationale"],
    }
    assert not PanelReview.objects.exists()
    assert list(open_tasks(at_channel)) == ["panel_review"]


def test_consent_withdrawal_reports_every_problem_at_once(people, chair, at_channel):
    adopt(at_channel, chair)
    consent(at_channel, people.panel)
    plan(at_channel, people.panel, owner=chair)
    common = {"referral": at_channel, "user": people.panel}
    assert problems_of(channel.consent_withdraw, **common, withdrawn_on=None, reason=" ") == {
        "withdrawn_on": ["Enter the date of withdrawal"],
        "reason": ["Record why consent was withdrawn"],
    }
    assert problems_of(
        channel.consent_withdraw,
        **common,
        withdrawn_on=timezone.localdate(),
        reason="Moved away",
        given_by=None,
    ) == {"given_by": ["Select whose consent has been withdrawn"]}
    assert problems_of(  # an adult has no parent's consent to withdraw
        channel.consent_withdraw,
        **common,
        withdrawn_on=None,
        reason="Moved away",
        given_by=Consent.GivenBy.PARENT,
    ) == {
        "non_field_errors": ["There is no consent in place to withdraw."],
        "withdrawn_on": ["Enter the date of withdrawal"],
    }
    assert not Consent.objects.filter(withdrawn_on__isnull=False).exists()
    assert list(open_tasks(at_channel)) == ["panel_review"]


def test_meeting_and_agenda_report_their_problems(people, chair, at_channel):
    panel = people.panel.teams.get()
    assert problems_of(channel.panel_meeting_create, panel=panel, user=chair, meets_on=None) == {
        "meets_on": ["Enter the date of the meeting"]
    }
    assert not PanelMeeting.objects.exists()
    meeting = channel.panel_meeting_create(
        panel=panel, user=chair, meets_on=timezone.localdate(), location=" Town hall "
    )
    assert meeting.location == "Town hall"
    assert problems_of(
        channel.agenda_add, meeting=meeting, referral=None, purpose="", user=people.panel
    ) == {
        "referral": ["Select the case to add to the agenda"],
        "purpose": ["Select why the case is on the agenda"],
    }
    with pytest.raises(PermissionDenied):  # without a case, the meeting's panel is asked
        channel.agenda_add(meeting=meeting, referral=None, purpose="", user=people.police)
    assert not AgendaItem.objects.exists()


def test_post_exit_review_reports_every_missing_answer_at_once(people, chair, at_channel):
    with time_machine.travel(datetime(2026, 1, 10, 10, 0, tzinfo=LONDON), tick=False):
        adopt(at_channel, chair)
        consent(at_channel, people.panel)
        plan(at_channel, people.panel, owner=chair)
        review(at_channel, chair, "exit")
    assert _run_beat_on(date(2026, 7, 10)) == 1
    assert problems_of(
        channel.post_exit_review_complete,
        task=open_task(at_channel, "post_exit_review_6"),
        user=people.panel,
        assessment="",
        concern=None,
    ) == {
        "assessment": ["Record the review's assessment"],
        "concern": ["Select whether the review raises a concern"],
    }
    assert not PostExitReview.objects.exists()
    assert list(open_tasks(at_channel)) == ["post_exit_review_6"]


# --- Branches of the flow -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "status"),
    [("closed", ReferralStatus.CLOSED), ("police_led", ReferralStatus.IN_PROGRESS)],
)
def test_consent_withdrawn_before_the_support_plan_is_recorded(
    people, chair, at_channel, result, status
):
    referral = at_channel
    adopt(referral, chair)
    consent(referral, people.panel)
    support_task = open_task(referral, "support_plan")
    channel.consent_withdraw(
        referral=referral,
        user=people.panel,
        withdrawn_on=timezone.localdate(),
        reason="Does not want support",
    )
    assert Task.objects.get(pk=support_task.pk).status == "DONE"
    assert list(open_tasks(referral)) == ["consent_outcome"]
    assert channel.consent_withdrawn(referral) and not channel.consent_in_place(referral)
    assert not SupportPlan.objects.filter(referral=referral).exists()
    task = open_task(referral, "consent_outcome")
    with pytest.raises(PermissionDenied):
        channel.consent_outcome_decide(
            task=task, user=people.panel, result=result, rationale="Member, not chair"
        )
    channel.consent_outcome_decide(
        task=task, user=chair, result=result, rationale="Consent withdrawn before any support."
    )
    referral.refresh_from_db()
    assert referral.status == status
    assert (referral.closed_at is not None) == (status == ReferralStatus.CLOSED)
    decision = referral.channel_decisions.latest()
    assert (decision.kind, decision.result) == (ChannelDecision.Kind.CONSENT_OUTCOME, result)
    assert open_tasks(referral) == {}


def test_concern_at_the_12_month_review_reopens_the_case_for_a_panel_review(
    people, chair, at_channel
):
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
            assessment="Stable",
            concern=False,
        )
    assert _run_beat_on(date(2027, 1, 9)) == 0
    assert _run_beat_on(date(2027, 1, 10)) == 1
    assert list(open_tasks(referral)) == ["post_exit_review_12"]
    with time_machine.travel(datetime(2027, 1, 11, 10, 0, tzinfo=LONDON), tick=False):
        channel.post_exit_review_complete(
            task=open_task(referral, "post_exit_review_12"),
            user=people.panel,
            assessment="New concerning contacts",
            concern=True,
        )
    assert list(open_tasks(referral)) == ["panel_review"]
    referral.refresh_from_db()
    assert referral.status != ReferralStatus.CLOSED and referral.closed_at is None
    twelve = PostExitReview.objects.get(referral=referral, months=12)
    assert twelve.concern and twelve.due_on == date(2027, 1, 10)
    assert AuditEvent.objects.filter(
        action="channel.reopened", case_reference=referral.reference
    ).exists()
    # Back in support: interventions may be added again, and a new exit starts new reviews.
    channel.intervention_add(
        referral=referral, user=people.panel, kind="mentoring", description="More", owner=chair
    )
    with time_machine.travel(datetime(2027, 2, 1, 10, 0, tzinfo=LONDON), tick=False):
        review(referral, chair, "exit")
    assert channel.post_exit_due_on(referral, 6) == date(2027, 8, 1)
    assert _run_beat_on(date(2027, 7, 31)) == 0
    assert _run_beat_on(date(2027, 8, 1)) == 1
    assert list(open_tasks(referral)) == ["post_exit_review_6"]
