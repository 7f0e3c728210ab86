"""The Channel stage in a real browser: the panel chair's journey and a provider's, with axe."""

from datetime import date
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from regions.selectors import route_local_authority
from tests.cases import (
    adopt,
    consent,
    make_user,
    open_task,
    plan,
    refer_to_channel,
    submit_referral,
)
from tests.factories import CAMDEN, PASSWORD
from workflows.models import Intervention, InterventionSession

pytestmark = pytest.mark.browser


def _user(email, full_name, role, *teams):
    user = make_user(email, role, *teams)
    user.full_name = full_name
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def camden(regions_loaded):
    route = route_local_authority(CAMDEN)
    return SimpleNamespace(
        chair=_user(
            "lee.lead@camden.example",
            "Lee Lead",
            Role.LA_PREVENT_LEAD,
            route.la_team,
            route.channel_panel,
        ),
        panel=_user(
            "morgan.member@camden.example",
            "Morgan Member",
            Role.CHANNEL_PANEL_MEMBER,
            route.channel_panel,
        ),
        police=_user(
            "pat.police@police.example", "Pat Police", Role.CTP_PREVENT_OFFICER, route.ctp_team
        ),
        referrer=_user("sam.safeguarding@school.example", "Sam Safeguarding", Role.REFERRER),
        provider=_user("jo.mentor@mentoring.example", "Jo Mentor", Role.INTERVENTION_PROVIDER),
        other_provider=_user("kit.coach@coaching.example", "Kit Coach", Role.INTERVENTION_PROVIDER),
    )


def at_channel(camden, **person):
    people = SimpleNamespace(police=camden.police, la=camden.chair)
    return refer_to_channel(people, submit_referral(camden.referrer, **person))


def _submit(page, name):
    page.get_by_role("button", name=name).click()


def _group(page, name):
    return page.get_by_role("group", name=name, exact=True)


def _fill_date(scope, day: date):
    scope.get_by_label("Day").fill(str(day.day))
    scope.get_by_label("Month").fill(str(day.month))
    scope.get_by_label("Year").fill(str(day.year))


def test_panel_chair_adopts_records_consent_and_builds_a_support_plan(page, axe, sign_in, camden):
    referral = at_channel(camden, first_name="Robin", last_name="Example", dob=date(2010, 4, 2))
    sign_in(camden.chair)
    axe()
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Channel panel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Channel panel")
    axe()

    page.get_by_role("link", name=f"Panel: adoption decision for {referral.reference}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Panel: adoption decision")
    axe()
    _submit(page, "Record the decision")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select whether the panel adopts the case"
    )
    axe()
    _group(page, "Does the panel adopt the case?").get_by_label("Yes").check()
    page.get_by_label("The panel's rationale").fill("Vulnerable young person; support will help.")
    _submit(page, "Record the decision")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"Adoption decision recorded for {referral.reference}"
    )
    axe()

    page.get_by_role("link", name=f"Consent for {referral.reference}").click()
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        "a parent or guardian must consent as well"
    )
    axe()
    today = timezone.localdate()
    _group(page, "Does the person consent?").get_by_label("Yes").check()
    _fill_date(_group(page, "Date the person gave or refused consent"), today)
    _group(page, "How was the person's answer obtained?").get_by_label("In person").check()
    _submit(page, "Record consent")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The person is under 18: enter the parent's or guardian's name"
    )
    axe()
    page.get_by_label("Parent's or guardian's full name").fill("Alex Example")
    _group(page, "Does the parent or guardian consent?").get_by_label("Yes").check()
    _fill_date(_group(page, "Date the parent or guardian gave or refused consent"), today)
    _group(page, "How was the parent's or guardian's answer obtained?").get_by_label(
        "By phone"
    ).check()
    _submit(page, "Record consent")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Consent recorded")

    page.get_by_role("link", name=f"Support plan for {referral.reference}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support plan")
    axe()
    page.get_by_label("Summary of the support plan").fill("Mentoring, and family support.")
    first = _group(page, "Intervention 1")
    first.get_by_label("Kind of intervention").select_option(
        label="Ideological or theological mentoring"
    )
    first.get_by_label("Description").fill("Weekly mentoring sessions")
    first.get_by_label("Owner").select_option(value=camden.chair.email)
    first.get_by_label("Intervention provider (optional)").select_option(
        value=camden.provider.email
    )
    second = _group(page, "Intervention 2 (optional)")
    second.get_by_label("Kind of intervention").select_option(label="Family support")
    _submit(page, "Save the support plan")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Intervention 2: Describe the intervention"
    )
    axe()
    second = _group(page, "Intervention 2 (optional)")
    second.get_by_label("Description").fill("Sessions with the family")
    second.get_by_label("Owner").select_option(value=camden.panel.email)
    _submit(page, "Save the support plan")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Support plan recorded")
    expect(page.get_by_role("link", name=f"Panel review for {referral.reference}")).to_be_visible()
    axe()

    kinds = list(
        Intervention.objects.filter(plan__referral=referral)
        .values_list("kind", "provider__email")
        .order_by("pk")
    )
    assert kinds == [("mentoring", camden.provider.email), ("family", None)]


def test_provider_records_a_session_and_sees_nothing_else(page, axe, sign_in, camden):
    mine = at_channel(camden, first_name="Robin", last_name="Example")
    theirs = at_channel(camden, first_name="Casey", last_name="Sample")
    for referral, provider in ((mine, camden.provider), (theirs, camden.other_provider)):
        adopt(referral, camden.chair)
        consent(referral, camden.panel)
        plan(referral, camden.panel, owner=camden.chair, provider=provider)
    other_intervention = Intervention.objects.get(plan__referral=theirs, kind="mentoring")

    sign_in(camden.provider)
    axe()
    page.get_by_role("navigation", name="Menu").get_by_role(
        "link", name="Your interventions"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your interventions")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Robin")
    for hidden in ("Example", "Casey", mine.reference, "College course", mine.narrative):
        expect(page.locator("main")).not_to_contain_text(hidden)
    axe()

    page.get_by_role("link", name="Record a session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a session")
    axe()
    _submit(page, "Record the session")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the date of the session")
    axe()
    _fill_date(_group(page, "Date of the session"), timezone.localdate())
    page.get_by_label("How long did it last?").fill("45")
    _group(page, "Did the person attend?").get_by_label("Yes").check()
    page.get_by_label("What happened in the session").fill("Talked about online sources.")
    _submit(page, "Record the session")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Session recorded")
    expect(page.locator("tbody tr").first).to_contain_text("1, last on")
    axe()
    assert InterventionSession.objects.get().recorded_by == camden.provider

    for path in (
        f"/channel/interventions/{other_intervention.pk}/sessions/new/",
        f"/channel/tasks/{open_task(theirs, 'panel_review').pk}/",
        f"/channel/tasks/{open_task(mine, 'panel_review').pk}/",
        f"/channel/cases/{mine.public_id}/interventions/new/",
        f"/cases/{mine.public_id}/",
        f"/cases/{theirs.public_id}/",
        "/channel/",
    ):
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.locator("body")).not_to_contain_text("Casey")


def test_the_other_channel_pages_have_no_accessibility_violations(page, axe, sign_in, camden):
    """Meetings, reviews, withdrawal, deadlines and the police's outcome page, with errors."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.timers import fire_due_timers

    from tests.cases import review

    supported = at_channel(camden, first_name="Robin", last_name="Example")
    adopt(supported, camden.chair)
    consent(supported, camden.panel)
    plan(supported, camden.panel, owner=camden.chair, provider=camden.provider)
    exited = at_channel(camden, first_name="Casey", last_name="Sample")
    adopt(exited, camden.chair)
    consent(exited, camden.panel)
    plan(exited, camden.panel, owner=camden.chair)
    review(exited, camden.chair, "exit")
    Task.objects.filter(process__channelprocess__referral=exited, status="SCHEDULED").update(
        scheduled=timezone.now()
    )
    fire_due_timers()
    not_adopted = at_channel(camden, first_name="Jamie", last_name="Specimen")
    adopt(not_adopted, camden.chair, adopt=False)

    def visit(path, button=None):
        page.goto(path)
        axe()
        if button:
            _submit(page, button)
            expect(page.locator(".govuk-error-summary")).to_be_visible()
            axe()

    sign_in(camden.chair)
    visit("/channel/meetings/new/", "Arrange the meeting")
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill(str(timezone.localdate().year + 1))
    _submit(page, "Arrange the meeting")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Panel meeting on 1 December")
    axe()
    _submit(page, "Add to the agenda")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    axe()
    review_task = open_task(supported, "panel_review")
    visit(f"/channel/tasks/{review_task.pk}/", "Record the review")
    visit(f"/channel/tasks/{open_task(exited, 'post_exit_review_6').pk}/", "Record the review")
    visit(f"/channel/cases/{supported.public_id}/interventions/new/", "Add the intervention")
    visit(f"/channel/cases/{supported.public_id}/withdraw-consent/", "Record the withdrawal")
    visit(f"/tasks/{review_task.pk}/pause/", "Pause the clock")
    page.get_by_label("Who is the task waiting on?").fill("Children's services")
    page.get_by_label("What information is awaited?").fill("School attendance records")
    _submit(page, "Pause the clock")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("paused")
    axe()
    visit(f"/tasks/{review_task.pk}/resume/")
    visit(f"/cases/{supported.public_id}/ask-referrer/", "Send the question")

    sign_in(camden.police, check=False)
    visit(
        f"/channel/tasks/{open_task(not_adopted, 'not_adopted_outcome').pk}/", "Record the decision"
    )
