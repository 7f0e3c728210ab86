"""The Channel pages: who may open them, what they refuse, and what they save."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.timers import fire_due_timers

from accounts.models import User
from accounts.roles import Role
from config.task_ids import task_api_id
from referrals.models import InformationRequest, Referral
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
from tests.clients import APIClient
from workflows.channel import forms as cf
from workflows.channel import services as channel
from workflows.models import (
    AgendaItem,
    ChannelDecision,
    ClockPause,
    Consent,
    Intervention,
    InterventionSession,
    PanelMeeting,
    PanelReview,
    SupportPlan,
)


@pytest.fixture
def chair(people):
    services_team_add(people.panel.teams.get(), people.la)
    return people.la


@pytest.fixture
def provider(db):
    return make_user("mentor@provider.example", Role.INTERVENTION_PROVIDER)


@pytest.fixture
def other_provider(db):
    return make_user("coach@provider.example", Role.INTERVENTION_PROVIDER)


@pytest.fixture
def at_channel(people, chair):
    return refer_to_channel(people, submit_referral(people.referrer, first_name="Robin"))


@pytest.fixture
def in_support(people, chair, provider, at_channel):
    adopt(at_channel, chair)
    consent(at_channel, people.panel)
    plan(at_channel, people.panel, owner=chair, provider=provider)
    return at_channel


def task_url(referral, stage):
    return reverse("channel:task", args=[open_task(referral, stage).pk])


def get_as(client, user, url):
    client.force_login(user)
    return client.get(url)


def post_as(client, user, url, data):
    client.force_login(user)
    return client.post(url, data)


def day_fields(prefix, day):
    return {f"{prefix}-day": day.day, f"{prefix}-month": day.month, f"{prefix}-year": day.year}


def assert_error_summary(response, *messages):
    html = response.content.decode()
    assert "There is a problem" in html, html
    assert 'class="govuk-error-summary"' in html
    for message in messages:
        assert message in html


def error_summary_links(response) -> list[str]:
    """Where each entry of the error summary points, in order."""
    html = response.content.decode()
    summary = html[html.index("govuk-error-summary__list") :]
    summary = summary[: summary.index("</ul>")]
    return re.findall(r'<li><a href="([^"]+)">', summary)


OUTSIDERS = [
    "police_other_region",
    "la_other_la",
    "westminster_la",
    "referrer",
    "compliance",
    "adviser_other_region",
    "adviser",
]


# --- Who may open which page ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("chair", 200),
        ("panel", 200),
        ("police", 404),
        ("provider", 404),
        *[(outsider, 404) for outsider in OUTSIDERS],
    ],
)
def test_adoption_page_role_matrix(client, people, chair, provider, at_channel, who, status):
    user = {"chair": chair, "provider": provider}.get(who) or getattr(people, who)
    response = get_as(client, user, task_url(at_channel, "adoption_decision"))
    assert response.status_code == status
    if status == 200:
        assert "Does the panel adopt the case?" in response.content.decode()


def test_adoption_by_a_panel_member_who_is_not_the_chair_is_refused_clearly(
    client, people, at_channel
):
    response = post_as(
        client,
        people.panel,
        task_url(at_channel, "adoption_decision"),
        {"adopt": "yes", "rationale": "Agreed"},
    )
    assert response.status_code == 403
    assert_error_summary(response, "Only the panel&#x27;s chair, from the local authority")
    assert not ChannelDecision.objects.filter(referral=at_channel).exists()
    assert "adoption_decision" in open_tasks(at_channel)


def test_chair_adopts_the_case(client, people, chair, at_channel):
    meeting = PanelMeeting.objects.create(
        panel=people.panel.teams.get(), chair=chair, meets_on=timezone.localdate()
    )
    response = post_as(
        client,
        chair,
        task_url(at_channel, "adoption_decision"),
        {"adopt": "yes", "rationale": "Vulnerable; support will help.", "meeting": meeting.pk},
    )
    assert response.status_code == 302 and response.url == reverse("channel:home")
    decision = ChannelDecision.objects.get(referral=at_channel)
    assert decision.result == ChannelDecision.Result.ADOPTED and decision.meeting == meeting
    assert list(open_tasks(at_channel)) == ["consent"]
    assert "Adoption decision recorded" in client.get(response.url).content.decode()


def test_adoption_refuses_missing_answers_and_saves_nothing(client, chair, at_channel):
    response = post_as(client, chair, task_url(at_channel, "adoption_decision"), {})
    assert response.status_code == 200
    assert_error_summary(
        response, "Select whether the panel adopts the case", "Give the panel&#x27;s rationale"
    )
    assert 'href="#id_adopt"' in response.content.decode()
    assert not ChannelDecision.objects.exists()


def test_rationale_of_only_spaces_is_refused_by_the_service(client, chair, at_channel):
    response = post_as(
        client,
        chair,
        task_url(at_channel, "adoption_decision"),
        {"adopt": "yes", "rationale": "   "},
    )
    assert_error_summary(response, "Give the panel&#x27;s rationale")
    assert not ChannelDecision.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("police", 200),
        ("police2", 200),
        ("police_other_region", 404),
        ("chair", 404),
        ("panel", 404),
        ("adviser", 404),
        ("referrer", 404),
    ],
)
def test_not_adopted_outcome_is_for_the_regions_police_only(
    client, people, chair, at_channel, who, status
):
    adopt(at_channel, chair, adopt=False)
    user = chair if who == "chair" else getattr(people, who)
    assert get_as(client, user, task_url(at_channel, "not_adopted_outcome")).status_code == status


def test_police_decide_the_outcome_after_not_adopting(client, people, chair, at_channel):
    adopt(at_channel, chair, adopt=False)
    url = task_url(at_channel, "not_adopted_outcome")
    assert_error_summary(
        post_as(client, people.police, url, {"result": "closed"}),
        "Give the rationale for the decision",
    )
    response = post_as(
        client,
        people.police,
        url,
        {"result": "police_led", "rationale": "Police to manage the risk."},
    )
    assert response.status_code == 302 and response.url == reverse("home")
    assert at_channel.channel_decisions.latest().result == ChannelDecision.Result.POLICE_LED


@pytest.mark.parametrize(
    "who",
    ["police", "provider", "referrer", "compliance", "adviser", "la_other_la", "westminster_la"],
)
def test_panel_pages_are_hidden_from_everyone_else(
    client, people, provider, at_channel, in_support, who
):
    user = provider if who == "provider" else getattr(people, who)
    meeting = PanelMeeting.objects.create(
        panel=people.panel.teams.get(), chair=people.la, meets_on=timezone.localdate()
    )
    client.force_login(user)
    for url in (
        reverse("channel:home"),
        reverse("channel:meeting_create"),
        reverse("channel:meeting", args=[meeting.pk]),
        task_url(in_support, "panel_review"),
        reverse("channel:consent_withdraw", args=[in_support.public_id]),
        reverse("channel:intervention_add", args=[in_support.public_id]),
    ):
        assert client.get(url).status_code == 404, url
        if url != reverse("channel:home"):  # a list: POST is not allowed at all (405)
            assert client.post(url, {}).status_code == 404, url


def test_signed_out_users_are_sent_to_sign_in(client, at_channel):
    response = client.get(task_url(at_channel, "adoption_decision"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_a_referral_flow_task_is_not_a_channel_page(client, people, referral):
    task = open_task(referral, "la_acknowledge")
    assert get_as(client, people.la, reverse("channel:task", args=[task.pk])).status_code == 404


# --- Consent --------------------------------------------------------------------------------


def test_consent_for_an_adult_has_no_parent_questions(client, people, chair, at_channel):
    adopt(at_channel, chair)
    url = task_url(at_channel, "consent")
    html = get_as(client, people.panel, url).content.decode()
    assert "Parent" not in html
    response = post_as(
        client,
        people.panel,
        url,
        {
            "person_given": "yes",
            **day_fields("person_on", timezone.localdate()),
            "person_how": "in_person",
        },
    )
    assert response.status_code == 302
    assert list(open_tasks(at_channel)) == ["support_plan"]


def test_under_18_consent_page_requires_a_parent_or_guardian(client, people, chair):
    referral = refer_to_channel(people, submit_referral(people.referrer, dob=date(2011, 1, 5)))
    adopt(referral, chair)
    url = task_url(referral, "consent")
    html = get_as(client, people.panel, url).content.decode()
    assert "Parent&#x27;s or guardian&#x27;s full name" in html
    assert "a parent or guardian must consent as well" in html
    person = {
        "person_given": "yes",
        **day_fields("person_on", timezone.localdate()),
        "person_how": "phone",
    }
    response = post_as(client, people.panel, url, person)
    assert_error_summary(
        response,
        "The person is under 18: enter the parent&#x27;s or guardian&#x27;s name",
        "The person is under 18: select whether a parent or guardian consents",
    )
    assert not Consent.objects.filter(referral=referral).exists()
    response = post_as(
        client,
        people.panel,
        url,
        {
            **person,
            "parent_name": "Alex Parent",
            "parent_given": "yes",
            **day_fields("parent_on", timezone.localdate()),
            "parent_how": "in_person",
        },
    )
    assert response.status_code == 302
    assert Consent.objects.filter(referral=referral).count() == 2
    assert list(open_tasks(referral)) == ["support_plan"]


def test_consent_date_in_the_future_is_refused(client, people, chair, at_channel):
    adopt(at_channel, chair)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = post_as(
        client,
        people.panel,
        task_url(at_channel, "consent"),
        {"person_given": "yes", **day_fields("person_on", tomorrow), "person_how": "phone"},
    )
    assert_error_summary(response, "Date of consent must be today or in the past")
    assert 'href="#id_person_on-day"' in response.content.decode()
    assert not Consent.objects.exists()


def test_consent_refused_then_only_the_chair_decides(client, people, chair, at_channel):
    adopt(at_channel, chair)
    consent(at_channel, people.panel, given=False)
    url = task_url(at_channel, "consent_outcome")
    data = {"result": "closed", "rationale": "Low risk; closed."}
    response = post_as(client, people.panel, url, data)
    assert response.status_code == 403
    assert_error_summary(response, "Only the panel&#x27;s chair")
    assert post_as(client, chair, url, data).status_code == 302
    assert at_channel.channel_decisions.latest().kind == ChannelDecision.Kind.CONSENT_OUTCOME


def test_consent_withdrawn_during_support(client, people, chair, in_support):
    url = reverse("channel:consent_withdraw", args=[in_support.public_id])
    assert "Record that consent was withdrawn" in get_as(client, people.panel, url).content.decode()
    assert_error_summary(
        post_as(client, people.panel, url, {"given_by": "person"}),
        "Enter the date of withdrawal",
        "Record why consent was withdrawn",
    )
    assert not Consent.objects.filter(withdrawn_on__isnull=False).exists()
    response = post_as(
        client,
        people.panel,
        url,
        {
            "given_by": "person",
            **day_fields("withdrawn_on", timezone.localdate()),
            "reason": "No longer wishes to take part",
        },
    )
    assert response.status_code == 302
    assert list(open_tasks(in_support)) == ["consent_outcome"]
    html = client.get(url).content.decode()
    assert "there is nothing to withdraw" in html


# --- Support plan ---------------------------------------------------------------------------


def row(n, **values):
    return {f"intervention-{n}-{key}": value for key, value in values.items()}


def test_support_plan_builder_saves_filled_rows_and_ignores_empty_ones(
    client, people, chair, provider, at_channel
):
    adopt(at_channel, chair)
    consent(at_channel, people.panel)
    url = task_url(at_channel, "support_plan")
    html = get_as(client, people.panel, url).content.decode()
    assert html.count("Kind of intervention") == 3
    assert provider.email in html and people.referrer.email not in html
    response = post_as(
        client,
        people.panel,
        url,
        {
            "summary": "Mentoring and a college course",
            **row(
                1,
                kind="mentoring",
                description="Weekly mentoring",
                owner=chair.email,
                provider=provider.email,
            ),
            **row(2, kind="", description="", owner="", provider=""),
            **row(3, kind="education", description="College course", owner=people.panel.email),
        },
    )
    assert response.status_code == 302, response.content.decode()
    interventions = Intervention.objects.filter(plan__referral=at_channel).order_by("pk")
    assert [i.kind for i in interventions] == ["mentoring", "education"]
    assert interventions[0].provider == provider and interventions[1].provider is None
    assert provider.has_perm("workflows.view_intervention", interventions[0])
    assert list(open_tasks(at_channel)) == ["panel_review"]


def test_support_plan_refuses_incomplete_rows_and_an_empty_plan(client, people, chair, at_channel):
    adopt(at_channel, chair)
    consent(at_channel, people.panel)
    url = task_url(at_channel, "support_plan")
    response = post_as(client, people.panel, url, {"summary": "Plan"})
    assert_error_summary(response, "Add at least one intervention to the support plan")
    response = post_as(
        client,
        people.panel,
        url,
        {"summary": "", **row(2, kind="health", description="", owner="")},
    )
    assert_error_summary(
        response,
        "Summarise the support plan",
        "Intervention 2: Describe the intervention",
        "Intervention 2: Select who owns this intervention",
    )
    assert 'href="#id_intervention-2-owner"' in response.content.decode()
    response = post_as(
        client,
        people.panel,
        url,
        {
            "summary": "Plan",
            **row(
                1,
                kind="health",
                description="GP",
                owner=chair.email,
                provider=people.referrer.email,
            ),
        },
    )
    assert_error_summary(response, "Select a registered intervention provider")
    assert not SupportPlan.objects.exists()
    assert "support_plan" in open_tasks(at_channel)


def test_add_an_intervention_during_support(client, people, chair, provider, in_support):
    url = reverse("channel:intervention_add", args=[in_support.public_id])
    assert_error_summary(
        post_as(client, people.panel, url, {}),
        "Select the kind of intervention",
        "Describe the intervention",
    )
    response = post_as(
        client,
        people.panel,
        url,
        {
            "kind": "family",
            "description": "Family sessions",
            "owner": chair.email,
            "provider": provider.email,
        },
    )
    assert response.status_code == 302
    added = Intervention.objects.get(kind="family")
    assert provider.has_perm("workflows.view_intervention", added)


# --- Reviews --------------------------------------------------------------------------------


def test_panel_review_continue_by_a_member_exit_only_by_the_chair(
    client, people, chair, in_support
):
    url = task_url(in_support, "panel_review")
    html = get_as(client, people.panel, url).content.decode()
    assert "Weekly mentoring" in html and "Add an intervention" in html
    answers = {"progress": "Engaging", "risk": "low", "rationale": "Sustained progress"}
    response = post_as(client, people.panel, url, {**answers, "recommendation": "exit"})
    assert response.status_code == 403
    assert_error_summary(response, "Only the panel&#x27;s chair")
    assert not PanelReview.objects.exists()
    assert (
        post_as(client, people.panel, url, {**answers, "recommendation": "continue"}).status_code
        == 302
    )
    assert (
        post_as(
            client,
            chair,
            task_url(in_support, "panel_review"),
            {**answers, "recommendation": "exit"},
        ).status_code
        == 302
    )
    assert in_support.channel_decisions.latest().kind == ChannelDecision.Kind.EXIT


def test_post_exit_review_page(client, people, chair, in_support):
    review(in_support, chair, "exit")
    Task.objects.filter(process__channelprocess__referral=in_support, status="SCHEDULED").update(
        scheduled=timezone.now()
    )
    assert fire_due_timers() == 1
    url = task_url(in_support, "post_exit_review_6")
    html = get_as(client, people.panel, url).content.decode()
    due = channel.post_exit_due_on(in_support, 6)
    assert f"This review was due on {due.day} {due:%B %Y}" in html
    assert_error_summary(
        post_as(client, people.panel, url, {}),
        "Record the review&#x27;s assessment",
        "Select whether the review raises a concern",
    )
    response = post_as(
        client, people.panel, url, {"assessment": "New concerning posts", "concern": "yes"}
    )
    assert response.status_code == 302
    assert list(open_tasks(in_support)) == ["panel_review"]


# --- Meetings -------------------------------------------------------------------------------


def test_chair_arranges_a_meeting_and_builds_its_agenda(client, people, chair, at_channel):
    url = reverse("channel:meeting_create")
    next_week = timezone.localdate() + timedelta(days=7)
    data = {
        "panel": people.panel.teams.get().pk,
        **day_fields("meets_on", next_week),
        "location": "Town hall",
    }
    response = post_as(client, people.panel, url, data)
    assert response.status_code == 403
    assert_error_summary(response, "Only the panel&#x27;s chair")
    assert_error_summary(
        post_as(client, chair, url, {"panel": data["panel"]}), "Enter the date of the meeting"
    )
    assert not PanelMeeting.objects.exists()
    response = post_as(client, chair, url, data)
    meeting = PanelMeeting.objects.get()
    assert response.url == reverse("channel:meeting", args=[meeting.pk])
    meeting_url = response.url
    assert_error_summary(
        post_as(client, people.panel, meeting_url, {}), "Select the case to add to the agenda"
    )
    response = post_as(
        client,
        people.panel,
        meeting_url,
        {"referral": str(at_channel.public_id), "purpose": "adoption"},
    )
    assert response.status_code == 302
    assert AgendaItem.objects.get().referral == at_channel
    html = client.get(meeting_url).content.decode()
    assert at_channel.reference in html and "Adoption decision" in html
    home = client.get(reverse("channel:home")).content.decode()
    assert "Town hall" in home and at_channel.reference in home


# --- Intervention providers -----------------------------------------------------------------


def test_provider_sees_only_their_items_and_no_case_content(
    client, people, provider, other_provider, in_support
):
    mentoring, education = Intervention.objects.filter(plan__referral=in_support).order_by("pk")
    html = get_as(client, provider, reverse("channel:interventions")).content.decode()
    assert "Weekly mentoring" in html and "Robin" in html
    assert "College course" not in html  # not commissioned from them
    for secret in (in_support.last_name, in_support.reference, in_support.narrative):
        assert secret not in html
    session_page = client.get(reverse("channel:session", args=[mentoring.pk])).content.decode()
    for secret in (in_support.last_name, in_support.reference, in_support.narrative):
        assert secret not in session_page
    assert client.get(reverse("channel:session", args=[education.pk])).status_code == 404
    assert (
        get_as(client, other_provider, reverse("channel:session", args=[mentoring.pk])).status_code
        == 404
    )
    assert "Weekly mentoring" not in client.get(reverse("channel:interventions")).content.decode()


@pytest.mark.parametrize("who", ["panel", "police", "referrer", "compliance", "adviser"])
def test_provider_pages_are_hidden_from_other_roles(client, people, in_support, who):
    mentoring = Intervention.objects.get(kind="mentoring")
    client.force_login(getattr(people, who))
    assert client.get(reverse("channel:interventions")).status_code == 404
    assert client.get(reverse("channel:session", args=[mentoring.pk])).status_code == 404


def test_provider_records_a_session(client, provider, in_support):
    mentoring = Intervention.objects.get(kind="mentoring")
    url = reverse("channel:session", args=[mentoring.pk])
    response = post_as(client, provider, url, {})
    assert_error_summary(
        response,
        "Enter the date of the session",
        "Enter how long the session lasted, in minutes",
        "Select whether the person attended",
        "Record what happened in the session",
    )
    assert error_summary_links(response) == [
        "#id_held_on-day",
        "#id_duration_minutes",
        "#id_attended",
        "#id_notes",
    ]
    response = post_as(
        client,
        provider,
        url,
        {
            **day_fields("held_on", timezone.localdate()),
            "duration_minutes": "0",
            "attended": "no",
            "notes": "Did not come",
        },
    )
    assert_error_summary(response, "Enter how long the session lasted, in minutes")
    assert error_summary_links(response) == ["#id_duration_minutes"]
    assert not InterventionSession.objects.exists()
    response = post_as(
        client,
        provider,
        url,
        {
            **day_fields("held_on", timezone.localdate()),
            "duration_minutes": "60",
            "attended": "yes",
            "notes": "Talked about online sources",
        },
    )
    assert response.status_code == 302 and response.url == reverse("channel:interventions")
    session = InterventionSession.objects.get()
    assert session.recorded_by == provider and session.attended
    assert "1, last on" in client.get(response.url).content.decode()


def test_owner_may_record_a_session_too(client, chair, in_support):
    education = Intervention.objects.get(kind="education")
    url = reverse("channel:session", args=[education.pk])
    assert get_as(client, chair, url).status_code == 200
    response = post_as(
        client,
        chair,
        url,
        {
            **day_fields("held_on", timezone.localdate()),
            "duration_minutes": "30",
            "attended": "no",
            "notes": "Did not attend; rearranged for next week",
        },
    )
    assert response.status_code == 302
    session = InterventionSession.objects.get()
    assert session.intervention == education and session.recorded_by == chair
    assert not session.attended and session.duration_minutes == 30


# --- Deadlines ------------------------------------------------------------------------------


def test_pause_and_resume_a_channel_task(client, people, chair, at_channel):
    task = open_task(at_channel, "adoption_decision")
    pause_url = reverse("workflows:pause", args=[task.pk])
    assert_error_summary(
        post_as(client, people.panel, pause_url, {}),
        "Say who the task is waiting on",
        "Say what information is awaited",
    )
    response = post_as(
        client,
        people.panel,
        pause_url,
        {"waiting_on": "Children's services", "reason": "School records"},
    )
    task = open_task(at_channel, "adoption_decision")
    assert response.status_code == 302 and response.url == f"/tasks/{task.pk}/"
    assert ClockPause.objects.filter(resumed_at__isnull=True).count() == 1
    assert "Clock paused" in client.get(reverse("channel:home")).content.decode()
    assert "already paused" in client.get(pause_url).content.decode()
    resume_url = reverse("workflows:resume", args=[task.pk])
    assert "Restart the clock" in client.get(resume_url).content.decode()
    assert client.post(resume_url).status_code == 302
    assert not ClockPause.objects.filter(resumed_at__isnull=True).exists()
    assert "not paused" in client.get(resume_url).content.decode()


def test_pause_is_for_the_tasks_team_and_region_advisers(client, people, chair, referral):
    task = open_task(referral, "police_acknowledge")
    url = reverse("workflows:pause", args=[task.pk])
    for outsider in (people.la, people.panel, people.police_other_region, people.referrer):
        assert get_as(client, outsider, url).status_code == 404
        assert client.post(reverse("workflows:resume", args=[task.pk])).status_code == 404
    assert get_as(client, people.adviser, url).status_code == 200
    response = post_as(client, people.police, url, {"waiting_on": "GP", "reason": "Records"})
    assert response.url == f"/tasks/{task.pk}/"  # not a Channel task: the main task page


def test_ask_the_referrer(client, people, referral):
    url = reverse("workflows:ask_referrer", args=[referral.public_id])
    for outsider in (people.la_other_la, people.referrer, people.police_other_region):
        assert get_as(client, outsider, url).status_code == 404
    assert_error_summary(
        post_as(client, people.la, url, {"question": " "}), "Enter the question for the referrer"
    )
    response = post_as(client, people.la, url, {"question": "Which year group?"})
    assert response.status_code == 302 and response.url == f"/cases/{referral.public_id}/"
    assert InformationRequest.objects.get().question == "Which year group?"
    assert ClockPause.objects.filter(case_task__team__memberships__user=people.la).exists()


# --- Query counts ---------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _more_channel_cases(people, n):
    return [refer_to_channel(people, submit_referral(people.referrer)) for _ in range(n)]


def test_panel_home_queries_do_not_grow_with_cases(
    client, people, chair, django_assert_max_num_queries
):
    meeting = PanelMeeting.objects.create(
        panel=people.panel.teams.get(), chair=chair, meets_on=timezone.localdate()
    )
    client.force_login(people.panel)
    url = reverse("channel:home")
    for case in _more_channel_cases(people, 2):
        AgendaItem.objects.create(meeting=meeting, referral=case, purpose="adoption")
    few = _count_queries(client, url)
    for case in _more_channel_cases(people, 8):
        AgendaItem.objects.create(meeting=meeting, referral=case, purpose="adoption")
    with django_assert_max_num_queries(few):
        html = client.get(url).content.decode()
    assert html.count("Panel: adoption decision") == 10


def test_provider_list_queries_do_not_grow_with_cases(
    client, people, chair, provider, django_assert_max_num_queries
):
    def supported(n):
        for case in _more_channel_cases(people, n):
            adopt(case, chair)
            consent(case, people.panel)
            plan(case, people.panel, owner=chair, provider=provider)

    client.force_login(provider)
    url = reverse("channel:interventions")
    supported(2)
    few = _count_queries(client, url)
    supported(8)
    with django_assert_max_num_queries(few):
        html = client.get(url).content.decode()
    assert html.count("Record a session") == 10


def test_reading_case_content_is_audited(client, people, provider, in_support):
    from compliance.models import AuditEvent

    get_as(client, people.panel, task_url(in_support, "panel_review"))
    mentoring = Intervention.objects.get(kind="mentoring")
    get_as(client, provider, reverse("channel:session", args=[mentoring.pk]))
    readers = set(
        AuditEvent.objects.filter(
            action="case.read", case_reference=in_support.reference
        ).values_list("actor_email", flat=True)
    )
    assert readers == {people.panel.email, provider.email}


# --- Every error at once --------------------------------------------------------------------


def test_channel_forms_leave_missing_answers_to_the_services(people):
    panel = people.panel.teams.get()
    no_meetings, nobody = PanelMeeting.objects.none(), User.objects.none()
    empty = [
        cf.MeetingForm({"panel": panel.pk}, panels=[panel]),
        cf.AgendaItemForm({}, candidates=Referral.objects.none()),
        cf.AdoptionForm({}, meetings=no_meetings),
        cf.OutcomeForm({}),
        cf.ConsentForm({}, under_18=True),
        cf.ConsentWithdrawForm({}, under_18=True),
        cf.PanelReviewForm({}, meetings=no_meetings),
        cf.PostExitReviewForm({}),
        cf.InterventionForm({}, owners=nobody, providers=nobody),
        cf.SessionForm({}),
        cf.SupportPlanForm({}, owners=nobody, providers=nobody),
    ]
    for form in empty:
        assert form.is_valid(), (type(form).__name__, form.errors)
    adoption = cf.AdoptionForm({}, meetings=no_meetings)
    assert adoption.is_valid() and adoption.service_kwargs() == {
        "adopt": None,
        "rationale": "",
        "meeting": None,
    }
    # What cannot be parsed is still refused by the form, in the service's words.
    adoption = cf.AdoptionForm({"adopt": "perhaps"}, meetings=no_meetings)
    assert adoption.errors == {"adopt": ["Select whether the panel adopts the case"]}
    session = cf.SessionForm(
        {
            "duration_minutes": "an hour",
            "held_on-day": "30",
            "held_on-month": "2",
            "held_on-year": "2020",
        }
    )
    assert session.errors == {
        "held_on": ["Date of the session must be a real date"],
        "duration_minutes": ["Enter the length of the session as a number of minutes, like 60"],
    }


def test_adult_consent_page_shows_every_missing_answer_at_once(client, people, chair, at_channel):
    adopt(at_channel, chair)
    response = post_as(client, people.panel, task_url(at_channel, "consent"), {})
    assert_error_summary(
        response,
        "Select whether the person consents",
        "Enter the date consent was given or refused",
        "Select how consent was obtained",
    )
    assert error_summary_links(response) == [
        "#id_person_given",
        "#id_person_on-day",
        "#id_person_how",
    ]
    assert not Consent.objects.exists()


def test_outcome_page_shows_both_missing_answers(client, people, chair, at_channel):
    adopt(at_channel, chair, adopt=False)
    response = post_as(client, people.police, task_url(at_channel, "not_adopted_outcome"), {})
    assert_error_summary(
        response, "Select police-led partnership or closure", "Give the rationale for the decision"
    )
    assert error_summary_links(response) == ["#id_result", "#id_rationale"]
    assert at_channel.channel_decisions.count() == 1


def test_support_plan_page_puts_each_problem_on_its_row(client, people, chair, at_channel):
    adopt(at_channel, chair)
    consent(at_channel, people.panel)
    url = task_url(at_channel, "support_plan")
    response = post_as(
        client,
        people.panel,
        url,
        {
            "summary": " ",
            **row(1, kind="mentoring", owner=chair.email),
            **row(2, kind="", description="", owner="", provider=""),
            **row(3, description="College course"),
        },
    )
    assert response.status_code == 200
    assert_error_summary(
        response,
        "Summarise the support plan",
        "Intervention 1: Describe the intervention",
        "Intervention 3: Select the kind of intervention",
        "Intervention 3: Select who owns this intervention",
    )
    assert error_summary_links(response) == [
        "#id_summary",
        "#id_intervention-1-description",
        "#id_intervention-3-kind",
        "#id_intervention-3-owner",
    ]
    html = response.content.decode()
    assert "Intervention 2:" not in html  # an empty row is ignored
    # Each problem is also shown on its field, in the row it belongs to.
    assert 'id="id_intervention-1-description-error"' in html
    assert 'id="id_intervention-3-kind-error"' in html
    assert 'id="id_intervention-1-kind-error"' not in html
    assert not SupportPlan.objects.exists() and not Intervention.objects.exists()
    assert "support_plan" in open_tasks(at_channel)


def test_support_plan_page_shows_parse_errors_of_every_row(client, people, chair, at_channel):
    adopt(at_channel, chair)
    consent(at_channel, people.panel)
    response = post_as(
        client,
        people.panel,
        task_url(at_channel, "support_plan"),
        {
            "summary": "Plan",
            **row(1, kind="astrology", description="Stars", owner=chair.email),
            **row(2, kind="health", description="GP", owner="nobody@example.com"),
        },
    )
    assert_error_summary(
        response,
        "Intervention 1: Select the kind of intervention",
        "Intervention 2: Select who owns this intervention",
    )
    assert not SupportPlan.objects.exists()


def test_panel_review_page_shows_every_missing_answer_at_once(client, people, in_support):
    response = post_as(client, people.panel, task_url(in_support, "panel_review"), {})
    assert_error_summary(
        response,
        "Describe the progress made",
        "Select the current risk level",
        "Select whether support continues or the case exits",
        "Give the rationale",
    )
    assert error_summary_links(response) == [
        "#id_progress",
        "#id_risk",
        "#id_recommendation",
        "#id_rationale",
    ]
    assert not PanelReview.objects.exists()


def test_agenda_page_shows_the_case_and_the_purpose_missing_together(
    client, people, chair, at_channel
):
    meeting = PanelMeeting.objects.create(
        panel=people.panel.teams.get(), chair=chair, meets_on=timezone.localdate()
    )
    response = post_as(client, people.panel, reverse("channel:meeting", args=[meeting.pk]), {})
    assert_error_summary(
        response, "Select the case to add to the agenda", "Select why the case is on the agenda"
    )
    assert error_summary_links(response) == ["#id_referral", "#id_purpose"]
    assert not AgendaItem.objects.exists()


def test_add_an_intervention_page_shows_every_missing_answer(client, people, in_support):
    url = reverse("channel:intervention_add", args=[in_support.public_id])
    response = post_as(client, people.panel, url, {"provider": ""})
    assert error_summary_links(response) == [
        "#id_kind",
        "#id_description",
        "#id_owner",
    ]
    assert Intervention.objects.filter(plan__referral=in_support).count() == 2


# --- The API: the same messages, all at once ------------------------------------------------


def api_complete(user, task, body):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", body, format="json")


def test_api_adoption_answers_400_with_every_message(chair, at_channel):
    task = open_task(at_channel, "adoption_decision")
    response = api_complete(chair, task, {"rationale": "  "})
    assert response.status_code == 400
    body = response.json()["errors"]
    assert body["adopt"] == ["Select whether the panel adopts the case"]
    assert body["rationale"] == ["Give the panel's rationale"]
    assert not ChannelDecision.objects.exists()
    refused = api_complete(chair, task, {"adopt": "perhaps", "rationale": "Agreed"})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"adopt": ["Select whether the panel adopts the case"]}
    assert refused.json()["code"] == "invalid"
    assert api_complete(chair, task, {"adopt": False, "rationale": "Below"}).status_code == 204
    assert ChannelDecision.objects.get().result == ChannelDecision.Result.NOT_ADOPTED


def test_api_under_18_consent_answers_400_with_the_parents_messages(people, chair):
    referral = refer_to_channel(people, submit_referral(people.referrer, dob=date(2011, 1, 5)))
    adopt(referral, chair)
    task = open_task(referral, "consent")
    today = timezone.localdate().isoformat()
    person = {"person_given": True, "person_on": today, "person_how": "phone"}
    response = api_complete(people.panel, task, person)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "parent_name": ["The person is under 18: enter the parent's or guardian's name"],
        "parent_given": ["The person is under 18: select whether a parent or guardian consents"],
        "parent_on": ["Enter the date consent was given or refused"],
        "parent_how": ["Select how consent was obtained"],
    }
    assert not Consent.objects.exists()
    done = api_complete(
        people.panel,
        task,
        {
            **person,
            "parent_name": "Alex Parent",
            "parent_given": False,
            "parent_on": today,
            "parent_how": "in_person",
        },
    )
    assert done.status_code == 204
    assert list(open_tasks(referral)) == ["consent_outcome"]


def test_api_support_plan_answers_400_with_every_intervention_message(
    people, chair, provider, at_channel
):
    adopt(at_channel, chair)
    consent(at_channel, people.panel)
    task = open_task(at_channel, "support_plan")
    response = api_complete(
        people.panel,
        task,
        {
            "summary": "",
            "interventions": [
                {"kind": "mentoring", "owner": chair.email, "provider": provider.email},
                {"description": "College course"},
            ],
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "summary": ["Summarise the support plan"],
        "intervention-1-description": ["Describe the intervention"],
        "intervention-2-kind": ["Select the kind of intervention"],
        "intervention-2-owner": ["Select who owns this intervention"],
    }
    empty = api_complete(people.panel, task, {"summary": "Plan", "interventions": []})
    assert empty.status_code == 400
    assert empty.json()["errors"]["interventions"] == [
        "Add at least one intervention to the support plan"
    ]
    assert not SupportPlan.objects.exists() and not Intervention.objects.exists()
    done = api_complete(
        people.panel,
        task,
        {
            "summary": "Mentoring and education",
            "interventions": [
                {
                    "kind": "mentoring",
                    "description": "Weekly mentoring",
                    "owner": chair.email,
                    "provider": provider.email,
                },
                {"kind": "education", "description": "College course", "owner": chair.email},
            ],
        },
    )
    assert done.status_code == 204
    mentoring = Intervention.objects.get(plan__referral=at_channel, kind="mentoring")
    assert provider.has_perm("workflows.view_intervention", mentoring)
    assert list(open_tasks(at_channel)) == ["panel_review"]


def test_api_panel_review_answers_400_with_every_message(people, in_support):
    response = api_complete(people.panel, open_task(in_support, "panel_review"), {})
    assert response.status_code == 400
    body = response.json()["errors"]
    assert body["progress"] == ["Describe the progress made"]
    assert body["risk"] == ["Select the current risk level"]
    assert body["recommendation"] == ["Select whether support continues or the case exits"]
    assert body["rationale"] == ["Give the rationale"]
    assert not PanelReview.objects.exists()


def test_api_post_exit_review_answers_400_with_every_message(people, chair, in_support):
    review(in_support, chair, "exit")
    Task.objects.filter(process__channelprocess__referral=in_support, status="SCHEDULED").update(
        scheduled=timezone.now()
    )
    assert fire_due_timers() == 1
    task = open_task(in_support, "post_exit_review_6")
    response = api_complete(people.panel, task, {"assessment": ""})
    assert response.status_code == 400
    body = response.json()["errors"]
    assert body["assessment"] == ["Record the review's assessment"]
    assert body["concern"] == ["Select whether the review raises a concern"]
    done = api_complete(people.panel, task, {"assessment": "Stable", "concern": False})
    assert done.status_code == 204
    assert list(open_tasks(in_support)) == []
