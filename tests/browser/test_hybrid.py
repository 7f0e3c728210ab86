"""The hybrid referral process in a real browser, every page scanned with axe.

An adviser triages the regional queue; police and the local authority complete their branches
in either order; the threshold is decided (met, and not met with assurance); an outcome ends
the police's part.
"""

import re
from datetime import date
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from viewflow.workflow.models import Task

from accounts.roles import Role
from referrals.models import PossibleDuplicate
from regions.selectors import route_local_authority
from tests.cases import la_branch, make_user, open_task, open_tasks, police_branch, submit_referral
from tests.factories import CAMDEN, PASSWORD, WESTMINSTER
from workflows.engine.permissions import is_task_team_member
from workflows.models import CaseTask, ReferralProcess, ThresholdDecision

pytestmark = pytest.mark.browser


def _user(email, full_name, role, *teams):
    user = make_user(email, role, *teams)
    user.full_name = full_name
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def london(regions_loaded):
    camden = route_local_authority(CAMDEN)
    westminster = route_local_authority(WESTMINSTER)
    return SimpleNamespace(
        adviser=_user(
            "alex.adviser@homeoffice.example",
            "Alex Adviser",
            Role.REGIONAL_ADVISER,
            camden.regional_team,
        ),
        police=_user(
            "pat.police@police.example", "Pat Police", Role.CTP_PREVENT_OFFICER, camden.ctp_team
        ),
        police2=_user(
            "chris.constable@police.example",
            "Chris Constable",
            Role.CTP_PREVENT_OFFICER,
            camden.ctp_team,
        ),
        la=_user("lee.lead@camden.example", "Lee Lead", Role.LA_PREVENT_LEAD, camden.la_team),
        westminster=_user(
            "wren.lead@westminster.example",
            "Wren Lead",
            Role.LA_PREVENT_LEAD,
            westminster.la_team,
        ),
        referrer=_user("sam.safeguarding@school.example", "Sam Safeguarding", Role.REFERRER),
    )


def _submit(page, name):
    page.get_by_role("button", name=name, exact=True).click()


def _group(page, name):
    return page.get_by_role("group", name=name, exact=True)


def _fill_date(scope, day: date):
    scope.get_by_label("Day").fill(str(day.day))
    scope.get_by_label("Month").fill(str(day.month))
    scope.get_by_label("Year").fill(str(day.year))


def _banner(page, text):
    expect(page.locator(".govuk-notification-banner")).to_contain_text(text)


def _errors(page, *texts):
    summary = page.locator(".govuk-error-summary")
    for text in texts:
        expect(summary).to_contain_text(text)


def _share(page, text, audience="All partners on the case (local authority and panel)"):
    """A police step's sharing summary: what partners may see, with whom, on what basis."""
    page.get_by_label("What can be shared with the local authority and panel?").fill(text)
    _group(page, "Who can see it?").get_by_label(audience, exact=True).check()
    _group(page, "Lawful basis for sharing").get_by_label(
        "Counter-Terrorism and Security Act 2015 s.38"
    ).check()


def _open_my_task(page, title, referral, axe=None):
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Your tasks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your tasks")
    if axe:
        axe()
    page.get_by_role("link", name=f"{title} for {referral.reference}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


# --- The adviser's triage -------------------------------------------------------------------


def test_adviser_filters_assigns_releases_and_checks_a_duplicate(page, axe, sign_in, london):
    first = submit_referral(london.referrer, first_name="Robin", last_name="Example")
    second = submit_referral(london.referrer, first_name="Casey", last_name="Sample")
    repeat = submit_referral(london.referrer, first_name="Robyn", last_name="Example")
    elsewhere = submit_referral(
        london.referrer, la_code=WESTMINSTER, first_name="Jamie", last_name="Specimen"
    )
    PossibleDuplicate.objects.get_or_create(
        referral=repeat, earlier=first, defaults={"score": 0.92, "reasons": ["Similar name"]}
    )
    CaseTask.objects.filter(referral=second, stage="la_acknowledge").update(overdue=True)

    sign_in(london.adviser)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Regional queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Regional queue")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(8)
    axe()

    page.get_by_label("Local authority", exact=True).select_option(label="Westminster")
    _submit(page, "Apply filters")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(elsewhere.reference)
    axe()
    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("Overdue only").check()
    _submit(page, "Apply filters")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(second.reference)
    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("Possible duplicate to check").check()
    _submit(page, "Apply filters")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(repeat.reference)
    page.get_by_role("link", name="Clear filters").click()

    page.get_by_role("link", name="Case").click()
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Case")
    expect(rows.first).to_contain_text(first.reference)
    page.get_by_role("link", name="Case").click()
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Case")
    axe()

    _submit(page, "Assign")
    _errors(page, "Select at least one task to assign", "Select who to assign the tasks to")
    axe()
    for referral in (first, second):
        page.get_by_label(f"Select Police: acknowledge referral for {referral.reference}").check()
    page.get_by_label("Assign the selected tasks to").select_option(
        label="Pat Police (London CT policing Prevent officers)"
    )
    page.get_by_label("Reason (optional)").fill("Sharing out the new referrals")
    _submit(page, "Assign")
    _banner(page, "2 tasks assigned to Pat Police")
    axe()
    for referral in (first, second):
        assert open_task(referral, "police_acknowledge").owner == london.police

    # Cover for an absent colleague: Pat's tasks go to Chris.
    for referral in (first, second):
        page.get_by_label(f"Select Police: acknowledge referral for {referral.reference}").check()
    page.get_by_label("Assign the selected tasks to").select_option(
        label="Chris Constable (London CT policing Prevent officers)"
    )
    page.get_by_label("Reason (optional)").fill("Pat Police is on leave")
    _submit(page, "Assign")
    _banner(page, "2 tasks assigned to Chris Constable")
    assert open_task(first, "police_acknowledge").owner == london.police2

    _submit(page, f"Release Police: acknowledge referral for {first.reference}")
    _banner(page, "released to the team")
    assert open_task(first, "police_acknowledge").owner is None
    axe()

    page.get_by_role("link", name=repeat.reference).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Robyn Example")
    axe()
    page.get_by_role("link", name=f"Check {first.reference}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check a possible earlier referral")
    axe()
    _submit(page, "Record the decision")
    _errors(page, "Select whether this is the same person")
    axe()
    page.get_by_label("Yes, the same person").check()
    page.get_by_label("Reason (optional)").fill("Same school and date of birth")
    _submit(page, "Record the decision")
    _banner(page, f"{first.reference} recorded as the same person")
    expect(page.locator("main")).to_contain_text("Repeat referral")
    axe()

    page.get_by_role("link", name="Add a case note").click()
    _submit(page, "Add the note")
    _errors(page, "Select the kind of note", "Enter the note")
    axe()
    page.get_by_label("Contact with the referrer").check()
    page.get_by_label("What do you want to record?").fill(
        "The school confirmed both referrals are Robyn."
    )
    _submit(page, "Add the note")
    _banner(page, "Note added")

    page.get_by_role("link", name="Transfer to another local authority").click()
    axe()
    _submit(page, "Transfer the case")
    _errors(page, "Select the local authority the case is moving to")
    axe()
    page.get_by_label("Which local authority is the case moving to?").select_option(
        label="Westminster"
    )
    page.get_by_label("Why is the case moving?").fill("The family has moved to Westminster")
    _submit(page, "Transfer the case")
    _banner(page, "Case transferred")
    axe()
    assert is_task_team_member(london.westminster, open_task(repeat, "la_acknowledge"))


# --- Police and local authority, in either order --------------------------------------------


def _police_pages(page, axe, sign_in, london, referral):
    sign_in(london.police, check=False)
    _open_my_task(page, "Police: acknowledge referral", referral, axe)
    axe()
    _submit(page, "Claim this task")
    _banner(page, "claimed by you")
    _submit(page, "Acknowledge the referral")
    _banner(page, f"Referral acknowledged for {referral.reference}")
    axe()  # the case page
    discussion = page.get_by_role("link", name="Record the initial discussion with the referrer")
    if discussion.count():  # not yet held by the local authority
        discussion.click()
        _submit(page, "Record the discussion")
        _errors(page, "Enter the date of the discussion")
        axe()
        page.get_by_role("link", name="Back to the case").click()

    _open_my_task(page, "Deconfliction", referral)
    _submit(page, "Record the deconfliction")
    _errors(page, "Select the outcome of the deconfliction check")
    axe()
    page.get_by_label("No conflict with a live investigation").check()
    _submit(page, "Record the deconfliction")
    _banner(page, "Deconfliction recorded")

    _open_my_task(page, "Gateway checks", referral)
    _submit(page, "Record the gateway checks")
    _errors(page, "Select a result for Police national systems", "Select a result for Firearms")
    axe()
    for check in (
        "Police national systems",
        "Intelligence holdings",
        "ViSOR and offender management records",
        "Previous Prevent contact",
        "Firearms licensing",
    ):
        _group(page, check).get_by_label("No trace").check()
    _group(page, "Intelligence holdings").get_by_label("Trace found").check()
    _submit(page, "Record the gateway checks")
    _errors(page, "Summarise the trace found in Intelligence holdings")
    axe()
    page.get_by_label("Intelligence holdings: what was found, or why the check was not done").fill(
        "Named in a 2024 report; no further action then."
    )
    _submit(page, "Record the gateway checks")
    _banner(page, "Gateway checks recorded")

    _open_my_task(page, "Information gathering", referral)
    _submit(page, "Record the information gathered")
    _errors(
        page,
        "Summarise the information gathered",
        "Enter what can be shared with the local authority and panel",
    )
    axe()
    page.get_by_label("What information has been gathered?").fill("Spoke to the school.")
    page.get_by_label("Contact with the referrer (optional)").fill("Called the DSL on Monday.")
    _share(page, "Nothing to share", audience="The local authority's Prevent team")
    _submit(page, "Record the information gathered")
    _banner(page, "Information gathering recorded")

    page.get_by_role("link", name="Record another deconfliction check").click()
    _submit(page, "Record the check")
    _errors(page, "Enter what prompted this check", "Select the outcome")
    axe()
    page.get_by_label("What new information prompted this check?").fill("A second report")
    page.get_by_label("No conflict with a live investigation").check()
    _submit(page, "Record the check")
    _banner(page, "Deconfliction check recorded")


def _la_pages(page, axe, sign_in, london, referral):
    sign_in(london.la, check=False)
    _open_my_task(page, "Local authority: acknowledge referral", referral)
    axe()
    _submit(page, "Acknowledge the referral")
    _banner(page, "Referral acknowledged")

    _open_my_task(page, "Initial discussion with the referrer", referral)
    _submit(page, "Save and continue")
    _errors(page, "Enter the date of the discussion", "Summarise the discussion with the referrer")
    axe()
    _fill_date(_group(page, "When was the discussion held?"), timezone.localdate())
    page.get_by_label("Summary of the discussion").fill("Went through the concern with the DSL.")
    _submit(page, "Save and continue")
    _banner(page, "Initial discussion recorded")

    _open_my_task(page, "Safeguarding and domestic-abuse checks", referral)
    _submit(page, "Record the checks")
    _errors(page, "The domestic-abuse check is mandatory: select its result")
    axe()
    page.get_by_label("Children's or adult social care", exact=True).fill("Not known")
    page.get_by_label("Education", exact=True).fill("Attendance good")
    page.get_by_label("Health", exact=True).fill("No concerns")
    page.get_by_label("No domestic abuse concern found").check()
    page.get_by_label("What was checked for domestic abuse, and what was found").fill(
        "Checked with the local domestic abuse service: nothing held."
    )
    _submit(page, "Record the checks")
    _banner(page, "Safeguarding checks recorded")


@pytest.mark.parametrize("police_first", [True, False], ids=["police-first", "la-first"])
def test_branches_in_either_order_then_threshold_and_outcome(
    page, axe, sign_in, london, police_first
):
    referral = submit_referral(london.referrer, first_name="Taylor", last_name="Instance")
    if police_first:
        _police_pages(page, axe, sign_in, london, referral)
        assert "threshold_decision" not in open_tasks(referral)
        _la_pages(page, axe, sign_in, london, referral)
    else:
        _la_pages(page, axe, sign_in, london, referral)
        assert "threshold_decision" not in open_tasks(referral)
        _police_pages(page, axe, sign_in, london, referral)
    assert list(open_tasks(referral)) == ["threshold_decision"]

    sign_in(london.police, check=False)
    _open_my_task(page, "Threshold decision", referral)
    expect(page.locator("main")).to_contain_text("Went through the concern with the DSL.")
    axe()
    _group(page, "Is there an identifiable ideological element?").get_by_label("Yes").check()
    _submit(page, "Record the decision")
    _errors(page, "Select the ideology", "Answer whether there is a terrorism risk")
    axe()
    page.get_by_label("If yes, which ideology?").select_option(label="Extreme right-wing")
    _group(page, "Is there a terrorism risk?").get_by_label("Yes").check()
    page.get_by_label("Why have you reached this decision?").fill(
        "Clear extreme right-wing ideology and statements about violence."
    )
    _submit(page, "Record the decision")
    _banner(page, "Threshold decision recorded")

    _open_my_task(page, "Police risk assessment", referral)
    _submit(page, "Record the risk assessment")
    _errors(page, "Rate engagement with an ideology or cause", "Select the overall risk level")
    axe()
    for factor, rating in (
        ("Engagement with an ideology or cause", "High"),
        ("Intent to cause harm", "Medium"),
        ("Capability to cause harm", "Low"),
    ):
        _group(page, factor).get_by_label(rating).check()
        page.get_by_label(f"Evidence for the rating of {factor[0].lower()}{factor[1:]}").fill(
            "Seen in school and online."
        )
    _group(page, "Overall risk level").get_by_label("Medium").check()
    page.get_by_label("Summary of the assessment").fill("Medium risk overall.")
    _share(page, "Medium risk; partners can work with Taylor.")
    _submit(page, "Record the risk assessment")
    _banner(page, "Risk assessment recorded")

    page.get_by_role("link", name="Home-visit risk assessment").click()
    axe()
    page.get_by_label("What risks have been identified?").fill("A large dog at the address.")
    page.get_by_label("What controls are in place?").fill("Family asked to secure the dog.")
    _group(page, "Can the visit go ahead safely?").get_by_label("Yes").check()
    _submit(page, "Record the assessment")
    _banner(page, "Home-visit risk assessment recorded")
    page.get_by_role("link", name="Record a home visit").click()
    _submit(page, "Record the visit")
    _errors(page, "Enter the date of the visit")
    axe()
    _fill_date(_group(page, "When did the visit take place?"), timezone.localdate())
    page.get_by_label("What happened on the visit?").fill("Met Taylor and a parent.")
    _submit(page, "Record the visit")
    _banner(page, "Home visit recorded")

    _open_my_task(page, "Outcome decision", referral)
    _group(page, "What is the outcome?").get_by_label("Escalate to Pursue").check()
    _submit(page, "Record the outcome")
    _errors(
        page,
        "Give the rationale for the outcome",
        "Enter the Pursue team receiving the case",
        "Write the handover record for Pursue",
    )
    axe()
    _group(page, "What is the outcome?").get_by_label("Police-led partnership").check()
    page.get_by_label("Why have you reached this outcome?").fill(
        "Risk best managed by police with partners."
    )
    _submit(page, "Record the outcome")
    _errors(page, "The case goes on with partners")
    _share(page, "Police will lead, with the school and the LA.")
    _submit(page, "Record the outcome")
    _banner(page, "Outcome recorded")
    expect(page.locator("main")).to_contain_text("Police-led partnership")
    axe()
    assert ReferralProcess.objects.get(referral=referral).outcome == "police_led"

    # The local authority sees what the police shared, never their records.
    sign_in(london.la, check=False)
    page.goto(f"/cases/{referral.public_id}/")
    shared = page.locator("#shared")
    expect(shared).to_have_text("Police information shared with you")
    main = page.locator("main")
    expect(main).to_contain_text("Medium risk; partners can work with Taylor.")
    expect(main).to_contain_text("Police will lead, with the school and the LA.")
    expect(main).not_to_contain_text("Named in a 2024 report")
    expect(main).not_to_contain_text("Risk best managed by police with partners.")
    axe()


def test_below_threshold_for_an_under_18_is_assured_then_closed_with_a_letter(
    page, axe, sign_in, london
):
    today = timezone.localdate()
    referral = submit_referral(
        london.referrer,
        first_name="Riley",
        last_name="Placeholder",
        dob=today.replace(year=today.year - 15, day=1),
    )
    police_branch(referral, london.police)
    la_branch(referral, london.la, mash_notified_on=today, mash_response="Known to early help")

    sign_in(london.police)
    _open_my_task(page, "Threshold decision", referral)
    _group(page, "Is there an identifiable ideological element?").get_by_label("No").check()
    _group(page, "Is there a terrorism risk?").get_by_label("No").check()
    page.get_by_label("Why have you reached this decision?").fill(
        "Interest in violence without any ideology; no terrorism risk."
    )
    _submit(page, "Record the decision")
    _banner(page, "Threshold decision recorded")
    assert list(open_tasks(referral)) == ["assurance_review"]

    sign_in(london.adviser, check=False)
    _open_my_task(page, "Assurance by the regional adviser", referral)
    expect(page.locator("main")).to_contain_text("The decision under review")
    expect(page.locator("main")).to_contain_text("the person is under 18")
    axe()
    page.get_by_label("No, send it back").check()
    _submit(page, "Record the review")
    _errors(page, "Give the reasons for sending the decision back")
    axe()
    page.get_by_label("Yes, confirm the closure").check()
    _submit(page, "Record the review")
    _banner(page, "Assurance review recorded")
    assert ThresholdDecision.objects.get(referral=referral).assurance == "confirmed"

    sign_in(london.la, check=False)
    _open_my_task(page, "Below threshold: outcome and letter", referral)
    letter = page.get_by_label("Letter to the referrer")
    expect(letter).to_have_value(re.compile(f"Prevent referral {referral.reference}, about Riley"))
    axe()
    page.get_by_label("Signpost to another service").check()
    _submit(page, "Record the outcome and send the letter")
    _errors(page, "Enter the service the person is signposted to")
    axe()
    page.get_by_label("If signposting, which service?").fill("Camden early help service")
    _submit(page, "Record the outcome and send the letter")
    _banner(page, "Outcome recorded and letter sent")
    expect(page.locator("main")).to_contain_text("Signposted to another service")
    axe()
    assert ReferralProcess.objects.get(referral=referral).outcome == "signposted"
    assert not Task.objects.filter(
        process__referralprocess__referral=referral, status__in=["NEW", "ASSIGNED", "STARTED"]
    ).exists()
