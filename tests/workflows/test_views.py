"""The referral pages: who may open and act on them, the forms' errors, and the whole path.

Outsiders get a 404 on a case or task (its existence is not disclosed) and a 403 on pages of a
role they do not have; insiders get the page. Every refused form shows the GOV.UK error summary
and changes nothing.
"""

from datetime import date

import pytest
from django.utils import timezone
from guardian.shortcuts import assign_perm
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from compliance.models import AuditEvent
from config.task_ids import task_api_id
from referrals.models import PossibleDuplicate
from regions.models import LocalAuthority
from tests.cases import (
    ALL_CLEAR,
    WESTMINSTER,
    decide,
    error_summary,
    la_branch,
    open_task,
    open_tasks,
    police_branch,
    sharing,
    submit_referral,
)
from tests.clients import APIClient
from workflows.engine import services as engine
from workflows.engine.permissions import VIEW_CASE, is_task_team_member
from workflows.models import (
    BelowThresholdOutcome,
    CaseNote,
    CaseTask,
    CaseTransfer,
    Deconfliction,
    GatewayCheck,
    HomeVisit,
    HomeVisitRiskAssessment,
    InitialDiscussion,
    OutcomeDecision,
    ReferralProcess,
    RiskAssessment,
    SafeguardingChecks,
    ThresholdDecision,
)
from workflows.referral import services
from workflows.referral.services import SHARE_REQUIRED

ERROR_SUMMARY = b"govuk-error-summary"
INSIDERS = ["police", "police2", "la", "la2", "adviser", "adviser2"]
OUTSIDERS = [
    "police_other_region",
    "la_other_la",
    "westminster_la",
    "adviser_other_region",
    "referrer",
    "other_referrer",
    "compliance",
    "panel",
]


@pytest.fixture
def as_user(client, people):
    def login(who: str):
        client.force_login(getattr(people, who))
        return client

    return login


def _today() -> date:
    return timezone.localdate()


def _date(prefix: str, day: date) -> dict:
    return {f"{prefix}-day": day.day, f"{prefix}-month": day.month, f"{prefix}-year": day.year}


def _to_threshold(referral, people):
    police_branch(referral, people.police)
    la_branch(referral, people.la)


def _risk_assessed(referral, people):
    _to_threshold(referral, people)
    decide(referral, people.police, meets=True)
    services.risk_assessment_complete(
        task=open_task(referral, "risk_assessment"),
        user=people.police,
        engagement_rating="high",
        engagement_evidence="Posts",
        intent_rating="low",
        intent_evidence="None",
        capability_rating="low",
        capability_evidence="None",
        overall_risk="medium",
        summary="Medium.",
        **sharing("Shared with partners."),
    )


# --- Who may open what -----------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, referral):
    task = open_task(referral, "police_acknowledge")
    for url in ("/tasks/", "/queue/", f"/cases/{referral.public_id}/", f"/tasks/{task.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in/" in response["Location"]


@pytest.mark.parametrize("who", INSIDERS)
def test_the_case_teams_and_advisers_see_the_case(as_user, referral, who):
    response = as_user(who).get(f"/cases/{referral.public_id}/")
    assert response.status_code == 200
    assert referral.reference.encode() in response.content
    assert b"Shared violent extremist material." in response.content


@pytest.mark.parametrize("who", OUTSIDERS)
def test_everyone_else_gets_404_on_the_case(as_user, referral, who):
    response = as_user(who).get(f"/cases/{referral.public_id}/")
    assert response.status_code == 404
    assert b"McExample" not in response.content


def test_a_break_glass_grant_opens_the_case_and_the_read_is_recorded(as_user, people, referral):
    assert as_user("compliance").get(f"/cases/{referral.public_id}/").status_code == 404
    from tests.compliance.factories import break_glass_granted, linked_investigation

    assign_perm(VIEW_CASE, people.compliance, referral)
    # The bare permission is not enough: only a live break-glass grant opens the case.
    assert as_user("compliance").get(f"/cases/{referral.public_id}/").status_code == 404
    linked_investigation(referral, people.compliance)
    break_glass_granted(people.compliance, referral, reason="Complaint investigation")
    response = as_user("compliance").get(f"/cases/{referral.public_id}/")
    assert response.status_code == 200
    assert b"Add a case note" not in response.content  # no staff actions
    read = AuditEvent.objects.filter(
        case_reference=referral.reference, actor=people.compliance
    ).latest("pk")
    assert read.action == "case.read"
    assert read.detail["break_glass"] is True


def test_every_case_and_task_page_view_is_recorded(as_user, people, referral):
    task = open_task(referral, "police_acknowledge")
    reads = AuditEvent.objects.filter(case_reference=referral.reference, actor=people.police)
    before = reads.count()
    client = as_user("police")
    client.get(f"/cases/{referral.public_id}/")
    client.get(f"/tasks/{task.pk}/")
    assert reads.count() == before + 2


@pytest.mark.parametrize(
    ("who", "stage", "status"),
    [
        ("police", "police_acknowledge", 200),
        ("police2", "police_acknowledge", 200),
        ("adviser", "police_acknowledge", 200),
        ("la", "police_acknowledge", 404),
        ("police_other_region", "police_acknowledge", 404),
        ("adviser_other_region", "police_acknowledge", 404),
        ("referrer", "police_acknowledge", 404),
        ("compliance", "police_acknowledge", 404),
        ("la", "la_acknowledge", 200),
        ("police", "la_acknowledge", 404),
        ("la_other_la", "la_acknowledge", 404),
        ("westminster_la", "la_acknowledge", 404),
        ("panel", "la_acknowledge", 404),
    ],
)
def test_task_pages_open_to_their_team_and_the_regions_advisers(
    as_user, referral, who, stage, status
):
    task = open_task(referral, stage)
    assert as_user(who).get(f"/tasks/{task.pk}/").status_code == status


def test_an_adviser_sees_another_teams_task_but_cannot_complete_it(as_user, referral):
    task = open_task(referral, "police_acknowledge")
    client = as_user("adviser")
    page = client.get(f"/tasks/{task.pk}/")
    assert b"Acknowledge the referral</button>" not in page.content
    assert b"assign it to one of the team" in page.content
    assert client.post(f"/tasks/{task.pk}/", {}).status_code == 403
    assert Task.objects.get(pk=task.pk).status == STATUS.NEW


def test_a_missing_task_is_404(as_user):
    assert as_user("police").get("/tasks/999999/").status_code == 404


@pytest.mark.parametrize("who", ["adviser", "adviser2", "adviser_other_region"])
def test_advisers_have_a_queue(as_user, who):
    assert as_user(who).get("/queue/").status_code == 200


@pytest.mark.parametrize("who", ["police", "la", "referrer", "compliance", "panel"])
def test_no_one_else_has_the_regional_queue(as_user, who):
    client = as_user(who)
    assert client.get("/queue/").status_code == 403
    assert client.post("/queue/assign/", {}).status_code == 403


def test_the_queue_stops_at_the_region(as_user, people, referral):
    manchester = submit_referral(people.referrer, la_code="E08000003")
    mine = as_user("adviser").get("/queue/").content
    assert referral.reference.encode() in mine and manchester.reference.encode() not in mine
    theirs = as_user("adviser_other_region").get("/queue/").content
    assert manchester.reference.encode() in theirs and referral.reference.encode() not in theirs


def test_your_tasks_lists_the_teams_open_tasks_claimed_first(as_user, people):
    first, second = submit_referral(people.referrer), submit_referral(people.referrer)
    engine.task_claim(task=open_task(second, "police_acknowledge"), user=people.police)
    page = as_user("police").get("/tasks/").content.decode()
    assert page.index(second.reference) < page.index(first.reference)
    assert "Local authority: acknowledge" not in page
    assert first.reference not in as_user("la_other_la").get("/tasks/").content.decode()
    assert as_user("referrer").get("/tasks/").status_code == 403


# --- The queue: filters, sorting, paging, claiming, assigning -----------------------------


def test_queue_filters_and_sorting(as_user, people):
    camden = submit_referral(people.referrer)
    westminster = submit_referral(people.referrer, la_code=WESTMINSTER)
    repeat = submit_referral(people.referrer, first_name="Again")
    PossibleDuplicate.objects.get_or_create(referral=repeat, earlier=camden, defaults={"score": 1})
    _risk_assessed(camden, people)
    CaseTask.objects.filter(referral=westminster, stage="la_acknowledge").update(overdue=True)
    client = as_user("adviser")

    def refs(query: str) -> set[str]:
        html = client.get(f"/queue/?{query}").content.decode()
        return {r.reference for r in (camden, westminster, repeat) if r.reference in html}

    westminster_la = LocalAuthority.objects.get(code=WESTMINSTER)
    assert refs("") == {camden.reference, westminster.reference, repeat.reference}
    assert refs(f"local_authority={westminster_la.pk}") == {westminster.reference}
    assert refs("stage=outcome_decision") == {camden.reference}
    assert refs("stage=la_acknowledge") == {westminster.reference, repeat.reference}
    assert refs("overdue=on") == {westminster.reference}
    assert refs("risk_level=medium") == {camden.reference}
    assert refs("risk_level=high") == set()
    assert refs("possible_duplicate=on") == {repeat.reference}
    assert refs("repeat_referral=on") == {repeat.reference}
    PossibleDuplicate.objects.filter(referral=repeat).update(decision="confirmed")
    assert refs("possible_duplicate=on") == set()
    assert refs("repeat_referral=on") == {repeat.reference}
    assert refs("stage=nonsense&page=x&sort=evil") == {
        camden.reference,
        westminster.reference,
        repeat.reference,
    }

    ascending = client.get("/queue/?sort=reference").content.decode()
    descending = client.get("/queue/?sort=-reference").content.decode()
    assert ascending.index(camden.reference) < ascending.index(repeat.reference)
    assert descending.index(camden.reference) > descending.index(repeat.reference)
    assert 'aria-sort="ascending"' in ascending and 'aria-sort="descending"' in descending
    assert 'aria-sort="none"' in ascending


def test_queue_is_paginated(as_user, people, settings):
    from bench.casegen import bulk_cases

    bulk_cases(30, referrer=people.referrer, assessor=people.police)  # 60 open tasks
    client = as_user("adviser")
    first = client.get("/queue/").content.decode()
    assert "page 1 of 3" in first and 'aria-label="Pagination"' in first
    assert first.count('name="tasks"') == 25
    last = client.get("/queue/?page=3&sort=created").content.decode()
    assert last.count('name="tasks"') == 10 and 'rel="prev"' in last


def test_adviser_assigns_many_tasks_at_once(as_user, people):
    referrals = [submit_referral(people.referrer) for _ in range(3)]
    tasks = [open_task(r, "police_acknowledge") for r in referrals]
    response = as_user("adviser").post(
        "/queue/assign/",
        {
            "tasks": [t.pk for t in tasks],
            "assignee": people.police2.pk,
            "reason": "Cover for leave",
            "next": "/queue/?sort=reference",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/queue/?sort=reference"
    assert {Task.objects.get(pk=t.pk).owner for t in tasks} == {people.police2}
    page = as_user("adviser").get(response["Location"]).content.decode()
    assert "3 tasks assigned to pc.two" in page


def test_reassigning_to_someone_outside_the_team_changes_nothing(as_user, people, referral):
    police_task = open_task(referral, "police_acknowledge")
    la_task = open_task(referral, "la_acknowledge")
    response = as_user("adviser").post(
        "/queue/assign/", {"tasks": [la_task.pk, police_task.pk], "assignee": people.la.pk}
    )
    assert response.status_code == 200 and ERROR_SUMMARY in response.content
    assert b"is not in London CT policing" in response.content
    assert Task.objects.get(pk=la_task.pk).owner_id is None  # all or nothing


def test_assigning_needs_tasks_and_a_person(as_user, people, referral):
    response = as_user("adviser").post("/queue/assign/", {})
    assert response.status_code == 200
    assert b"Select at least one task to assign" in response.content
    assert b"Select who to assign the tasks to" in response.content
    assert b'href="#id_tasks"' in response.content
    assert b'name="next" value="/queue/"' in response.content  # not back to the POST url


def test_an_adviser_cannot_assign_tasks_of_another_region(as_user, people):
    manchester = submit_referral(people.referrer, la_code="E08000003")
    task = open_task(manchester, "police_acknowledge")
    response = as_user("adviser").post(
        "/queue/assign/", {"tasks": [task.pk], "assignee": people.police.pk}
    )
    assert b"no longer open in your region" in response.content
    assert Task.objects.get(pk=task.pk).owner_id is None


def test_claim_and_release(as_user, people, referral):
    task = open_task(referral, "police_acknowledge")
    response = as_user("police").post(f"/tasks/{task.pk}/claim/", {"next": "/tasks/"})
    assert response["Location"] == "/tasks/"
    assert Task.objects.get(pk=task.pk).owner == people.police
    taken = as_user("police2").post(f"/tasks/{task.pk}/claim/", follow=True)
    assert b"already been claimed by pc.one" in taken.content
    assert as_user("la").post(f"/tasks/{task.pk}/claim/").status_code == 404
    as_user("adviser").post(f"/tasks/{task.pk}/unclaim/", {"next": "https://evil.example/"})
    assert Task.objects.get(pk=task.pk).owner_id is None


def test_claim_ignores_an_offsite_next(as_user, referral):
    task = open_task(referral, "police_acknowledge")
    response = as_user("police").post(f"/tasks/{task.pk}/claim/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/tasks/{task.pk}/"


# --- Task pages: mandatory fields refused, nothing saved ----------------------------------


def _stage_ready(stage: str, referral, people):
    """Drive the case to `stage`; return the user who works it."""
    if stage == "police_acknowledge":
        return people.police
    if stage == "la_acknowledge":
        return people.la
    if stage.startswith("police_"):
        services.task_acknowledge(
            task=open_task(referral, "police_acknowledge"), user=people.police
        )
        if stage == "police_deconfliction":
            return people.police
        services.police_deconfliction_complete(
            task=open_task(referral, "police_deconfliction"),
            user=people.police,
            outcome="no_conflict",
        )
        if stage == "police_gateway_checks":
            return people.police
        services.police_gateway_checks_complete(
            task=open_task(referral, "police_gateway_checks"), user=people.police, checks=ALL_CLEAR
        )
        return people.police
    if stage.startswith("la_"):
        services.task_acknowledge(task=open_task(referral, "la_acknowledge"), user=people.la)
        if stage == "la_initial_discussion":
            return people.la
        services.la_initial_discussion_complete(
            task=open_task(referral, "la_initial_discussion"),
            user=people.la,
            held_on=_today(),
            summary="Held",
        )
        return people.la
    _to_threshold(referral, people)
    if stage == "threshold_decision":
        return people.police
    if stage == "risk_assessment":
        decide(referral, people.police, meets=True)
        return people.police
    if stage == "outcome_decision":
        _risk_assessed_after_threshold(referral, people)
        return people.police
    if stage == "below_threshold_outcome":
        decide(referral, people.police, meets=False)
        return people.la
    raise AssertionError(stage)


def _risk_assessed_after_threshold(referral, people):
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


MANDATORY = {
    "police_deconfliction": ["Select the outcome of the deconfliction check"],
    "police_gateway_checks": ["Select a result for Police national systems"],
    "police_information_gathering": ["Summarise the information gathered"],
    "la_initial_discussion": [
        "Enter the date of the discussion",
        "Summarise the discussion with the referrer",
    ],
    "la_safeguarding_checks": [
        "Enter the result of the social care check",
        "The domestic-abuse check is mandatory: select its result",
    ],
    "threshold_decision": [
        "Answer whether there is an identifiable ideological element",
        "Answer whether there is a terrorism risk",
        "Give the rationale for the decision",
    ],
    "below_threshold_outcome": ["Select the outcome"],
    "risk_assessment": ["Rate engagement with an ideology or cause", "Select the overall risk"],
    "outcome_decision": ["Select the outcome", "Give the rationale for the outcome"],
}
RECORDS = {
    "police_deconfliction": Deconfliction,
    "police_gateway_checks": GatewayCheck,
    "police_information_gathering": CaseNote,
    "la_initial_discussion": InitialDiscussion,
    "la_safeguarding_checks": SafeguardingChecks,
    "threshold_decision": ThresholdDecision,
    "below_threshold_outcome": BelowThresholdOutcome,
    "risk_assessment": RiskAssessment,
    "outcome_decision": OutcomeDecision,
}


@pytest.mark.parametrize("stage", sorted(MANDATORY))
def test_task_forms_refuse_missing_answers_and_save_nothing(client, people, referral, stage):
    user = _stage_ready(stage, referral, people)
    task = open_task(referral, stage)
    model = RECORDS[stage]
    before = model.objects.filter(referral=referral).count()
    client.force_login(user)
    data = {"letter": ""} if stage == "below_threshold_outcome" else {}
    response = client.post(f"/tasks/{task.pk}/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and "<title>Error: " in html
    for message in MANDATORY[stage]:
        assert message in html
    assert model.objects.filter(referral=referral).count() == before
    assert Task.objects.get(pk=task.pk).status != STATUS.DONE


GATEWAY = list(GatewayCheck.Check)
EVERY_PROBLEM = {
    "police_deconfliction": {"outcome": ["Select the outcome of the deconfliction check"]},
    "police_gateway_checks": {
        f"{c.value}_result": [f"Select a result for {c.label}"] for c in GATEWAY
    },
    "police_information_gathering": {
        "summary": ["Summarise the information gathered"],
        "share_summary": [SHARE_REQUIRED],
    },
    "la_initial_discussion": {
        "held_on": ["Enter the date of the discussion"],
        "summary": ["Summarise the discussion with the referrer"],
    },
    "la_safeguarding_checks": {
        "social_care": ["Enter the result of the social care check"],
        "education": ["Enter the result of the education check"],
        "health": ["Enter the result of the health check"],
        "domestic_abuse_result": ["The domestic-abuse check is mandatory: select its result"],
        "domestic_abuse_notes": ["Record what was checked for domestic abuse and what was found"],
    },
    "threshold_decision": {
        "ideological_element": ["Answer whether there is an identifiable ideological element"],
        "terrorism_risk": ["Answer whether there is a terrorism risk"],
        "rationale": ["Give the rationale for the decision"],
    },
    "below_threshold_outcome": {
        "outcome": ["Select the outcome"],
        "letter": ["Write the outcome letter to the referrer"],
    },
    "risk_assessment": {
        "engagement_rating": ["Rate engagement with an ideology or cause"],
        "engagement_evidence": [
            "Give the evidence for the rating of engagement with an ideology or cause"
        ],
        "intent_rating": ["Rate intent to cause harm"],
        "intent_evidence": ["Give the evidence for the rating of intent to cause harm"],
        "capability_rating": ["Rate capability to cause harm"],
        "capability_evidence": ["Give the evidence for the rating of capability to cause harm"],
        "overall_risk": ["Select the overall risk level"],
        "summary": ["Summarise the assessment"],
        "share_summary": [SHARE_REQUIRED],
    },
    "outcome_decision": {
        "outcome": ["Select the outcome"],
        "rationale": ["Give the rationale for the outcome"],
    },
}


def _api_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    return response.json()["errors"]


@pytest.mark.parametrize("stage", sorted(EVERY_PROBLEM))
def test_an_empty_task_lists_every_problem_at_once_on_the_page_and_in_the_api(
    client, people, referral, stage
):
    user = _stage_ready(stage, referral, people)
    task = open_task(referral, stage)
    model = RECORDS[stage]
    before = model.objects.filter(referral=referral).count()
    client.force_login(user)
    data = {"letter": ""} if stage == "below_threshold_outcome" else {}
    page = error_summary(client.post(f"/tasks/{task.pk}/", data))
    assert page == EVERY_PROBLEM[stage]
    api = APIClient()
    api.force_authenticate(user)
    answers = _api_errors(
        api.post(f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", data, format="json")
    )
    assert answers == page
    assert model.objects.filter(referral=referral).count() == before
    assert Task.objects.get(pk=task.pk).status != STATUS.DONE


def test_a_partly_answered_threshold_decision_lists_the_rest_at_once(as_user, people, referral):
    _to_threshold(referral, people)
    task = open_task(referral, "threshold_decision")
    answers = {"ideological_element": "yes"}
    expected = {
        "ideology": ["Select the ideology"],
        "terrorism_risk": ["Answer whether there is a terrorism risk"],
        "rationale": ["Give the rationale for the decision"],
    }
    response = as_user("police").post(f"/tasks/{task.pk}/", answers)
    assert response.status_code == 200
    assert error_summary(response) == expected
    api = APIClient()
    api.force_authenticate(people.police)
    refused = api.post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/",
        {"ideological_element": True},
        format="json",
    )
    assert _api_errors(refused) == expected
    assert not ThresholdDecision.objects.filter(referral=referral).exists()


def test_a_pursue_outcome_lists_every_missing_handover_answer(as_user, people, referral):
    _stage_ready("outcome_decision", referral, people)
    task = open_task(referral, "outcome_decision")
    expected = {
        "rationale": ["Give the rationale for the outcome"],
        "handover_to": ["Enter the Pursue team receiving the case"],
        "handover_notes": ["Write the handover record for Pursue"],
    }
    response = as_user("police").post(f"/tasks/{task.pk}/", {"outcome": "pursue"})
    assert error_summary(response) == expected
    api = APIClient()
    api.force_authenticate(people.police)
    refused = api.post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", {"outcome": "pursue"}, format="json"
    )
    assert _api_errors(refused) == expected
    assert not OutcomeDecision.objects.filter(referral=referral).exists()


def test_every_gateway_check_problem_is_shown_on_its_own_box(as_user, people, referral):
    _stage_ready("police_gateway_checks", referral, people)
    task = open_task(referral, "police_gateway_checks")
    answers = {
        "police_national_systems_result": "no_trace",
        "intelligence_result": "trace",
        "visor_result": "not_done",
        "visor_summary": "   ",
        "firearms_result": "trace",
        "firearms_summary": "Shotgun certificate held",
    }
    response = as_user("police").post(f"/tasks/{task.pk}/", answers)
    assert response.status_code == 200
    assert error_summary(response) == {
        "intelligence_summary": ["Summarise the trace found in Intelligence holdings"],
        "visor_summary": ["Give the reason ViSOR and offender management records was not done"],
        "previous_prevent_result": ["Select a result for Previous Prevent contact"],
    }
    html = response.content.decode()
    assert 'href="#id_intelligence_summary"' in html
    assert 'href="#id_previous_prevent_result"' in html
    assert not GatewayCheck.objects.filter(referral=referral).exists()
    assert Task.objects.get(pk=task.pk).status != STATUS.DONE


def test_an_assurance_sent_back_without_reasons_is_refused(as_user, people, child_referral):
    police_branch(child_referral, people.police)
    la_branch(child_referral, people.la, mash_notified_on=_today(), mash_response="Known")
    decide(child_referral, people.police, meets=False)
    task = open_task(child_referral, "assurance_review")
    client = as_user("adviser")
    assert error_summary(client.post(f"/tasks/{task.pk}/", {})) == {
        "confirm": ["Select whether to confirm the closure or send it back"]
    }
    assert error_summary(client.post(f"/tasks/{task.pk}/", {"confirm": "no"})) == {
        "reasons": ["Give the reasons for sending the decision back"]
    }
    decision = ThresholdDecision.objects.get(referral=child_referral)
    assert decision.assurance == ThresholdDecision.Assurance.PENDING
    assert decision.reviewed_by is None


def test_safeguarding_for_a_child_lists_the_mash_with_everything_else(
    as_user, people, child_referral
):
    _stage_ready("la_safeguarding_checks", child_referral, people)
    task = open_task(child_referral, "la_safeguarding_checks")
    future = _today().replace(year=_today().year + 1)
    response = as_user("la").post(
        f"/tasks/{task.pk}/", {"health": "Fine", **_date("mash_notified_on", future)}
    )
    assert error_summary(response) == {
        "social_care": ["Enter the result of the social care check"],
        "education": ["Enter the result of the education check"],
        "domestic_abuse_result": ["The domestic-abuse check is mandatory: select its result"],
        "domestic_abuse_notes": ["Record what was checked for domestic abuse and what was found"],
        "mash_notified_on": ["The date the MASH was notified must be today or in the past"],
        "mash_response": ["The person is under 18: record the MASH response"],
    }
    assert not SafeguardingChecks.objects.filter(referral=child_referral).exists()


def test_follow_up_answers_are_required_when_their_question_says_so(as_user, people, referral):
    _to_threshold(referral, people)
    task = open_task(referral, "threshold_decision")
    response = as_user("police").post(
        f"/tasks/{task.pk}/",
        {"ideological_element": "yes", "terrorism_risk": "no", "rationale": "Because"},
    )
    assert b"Select the ideology" in response.content
    assert b'href="#id_ideology"' in response.content
    gateway = submit_referral(people.referrer)
    _stage_ready("police_gateway_checks", gateway, people)
    answers = {f"{c.value}_result": "no_trace" for c in GatewayCheck.Check}
    answers["visor_result"] = "trace"
    response = as_user("police").post(
        f"/tasks/{open_task(gateway, 'police_gateway_checks').pk}/", answers
    )
    assert b"Summarise the trace found in ViSOR" in response.content
    assert b'href="#id_visor_summary"' in response.content
    assert not GatewayCheck.objects.filter(referral=gateway).exists()


def test_a_service_refusal_is_shown_in_the_error_summary(as_user, people, referral):
    """The form is complete, but the task is claimed by a colleague: the service says no."""
    task = open_task(referral, "police_acknowledge")
    engine.task_claim(task=task, user=people.police2)
    response = as_user("police").post(f"/tasks/{task.pk}/", {"note": "Seen"})
    assert response.status_code == 200 and ERROR_SUMMARY in response.content
    assert b"This task is assigned to pc.two" in response.content
    assert Task.objects.get(pk=task.pk).status != STATUS.DONE


def test_safeguarding_asks_for_the_mash_only_for_under_18s(
    as_user, people, referral, child_referral
):
    _stage_ready("la_safeguarding_checks", referral, people)
    adult = as_user("la").get(f"/tasks/{open_task(referral, 'la_safeguarding_checks').pk}/")
    assert b"MASH" not in adult.content.split(b"<form")[1]
    _stage_ready("la_safeguarding_checks", child_referral, people)
    task = open_task(child_referral, "la_safeguarding_checks")
    answers = {
        "social_care": "Known",
        "education": "Fine",
        "health": "Fine",
        "domestic_abuse_result": "no_concern",
        "domestic_abuse_notes": "Checked",
    }
    response = as_user("la").post(f"/tasks/{task.pk}/", answers)
    assert b"The person is under 18: enter the date the MASH was notified" in response.content
    assert b"The person is under 18: record the MASH response" in response.content
    assert not SafeguardingChecks.objects.filter(referral=child_referral).exists()
    answers |= _date("mash_notified_on", _today()) | {"mash_response": "Known to MASH"}
    response = as_user("la").post(f"/tasks/{task.pk}/", answers)
    assert response.status_code == 302
    assert SafeguardingChecks.objects.get(referral=child_referral).mash_response == "Known to MASH"


def test_la_confirms_the_discussion_the_police_held(as_user, people, referral):
    services.initial_discussion_record(
        referral=referral, user=people.police, held_on=_today(), summary="Called the DSL"
    )
    _stage_ready("la_initial_discussion", referral, people)
    task = open_task(referral, "la_initial_discussion")
    client = as_user("la")
    page = client.get(f"/tasks/{task.pk}/").content
    assert b"Called the DSL" in page and b'name="confirm"' in page and b'name="summary"' not in page
    refused = client.post(f"/tasks/{task.pk}/", {})
    assert b"Confirm you have read it" in refused.content
    assert client.post(f"/tasks/{task.pk}/", {"confirm": "on"}).status_code == 302
    assert InitialDiscussion.objects.get(referral=referral).confirmed_by == people.la


def test_assurance_page_shows_the_decision_under_review(as_user, people, child_referral):
    referral = child_referral
    police_branch(referral, people.police)
    la_branch(referral, people.la, mash_notified_on=_today(), mash_response="Known")
    decide(referral, people.police, meets=False)
    task = open_task(referral, "assurance_review")
    client = as_user("adviser")
    page = client.get(f"/tasks/{task.pk}/").content
    assert b"The decision under review" in page and b"the person is under 18" in page
    assert b"Ideology clear; risk assessed against the threshold." in page
    refused = client.post(f"/tasks/{task.pk}/", {"confirm": "no"})
    assert b"Give the reasons for sending the decision back" in refused.content
    assert as_user("police").get(f"/tasks/{task.pk}/").status_code == 404
    assert as_user("adviser").post(f"/tasks/{task.pk}/", {"confirm": "yes"}).status_code == 302
    assert list(open_tasks(referral)) == ["below_threshold_outcome"]


def test_below_threshold_letter_is_prefilled_and_sent(as_user, people, referral):
    _stage_ready("below_threshold_outcome", referral, people)
    task = open_task(referral, "below_threshold_outcome")
    client = as_user("la")
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert f"Thank you for your Prevent referral {referral.reference}" in page
    refused = client.post(f"/tasks/{task.pk}/", {"outcome": "signposted", "letter": "Dear DSL"})
    assert "Enter the service the person is signposted to" in refused.content.decode()
    done = client.post(
        f"/tasks/{task.pk}/",
        {"outcome": "signposted", "signposted_to": "Youth service", "letter": "Dear DSL"},
    )
    assert done.status_code == 302
    referral.refresh_from_db()
    assert referral.process.outcome == ReferralProcess.Outcome.SIGNPOSTED


def test_a_channel_task_is_worked_on_the_one_task_page(as_user, people, referral):
    _stage_ready("outcome_decision", referral, people)
    services.outcome_decide(
        task=open_task(referral, "outcome_decision"),
        user=people.police,
        outcome="channel",
        rationale="Needs support",
        **sharing("Needs support from the panel."),
    )
    task = open_task(referral, "adoption_decision")
    page = as_user("panel").get(f"/tasks/{task.pk}/")
    assert page.status_code == 200
    assert "Does the panel adopt the case?" in page.content.decode()
    panel_address = as_user("panel").get(f"/channel/tasks/{task.pk}/")
    assert panel_address.status_code == 200
    assert "Does the panel adopt the case?" in panel_address.content.decode()


# --- The whole path through the pages -------------------------------------------------------


def test_a_referral_carried_through_the_pages_to_channel(client, people, referral):
    def work(user, stage, answers):
        client.force_login(user)
        task = open_task(referral, stage)
        assert client.get(f"/tasks/{task.pk}/").status_code == 200
        response = client.post(f"/tasks/{task.pk}/", answers)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response["Location"] == f"/cases/{referral.public_id}/"
        page = client.get(response["Location"]).content.decode()
        assert "govuk-notification-banner--success" in page

    work(people.la, "la_acknowledge", {})
    work(people.la, "la_initial_discussion", {**_date("held_on", _today()), "summary": "Held"})
    work(
        people.la,
        "la_safeguarding_checks",
        {
            "social_care": "Not known",
            "education": "Good attendance",
            "health": "No concerns",
            "domestic_abuse_result": "no_concern",
            "domestic_abuse_notes": "Checked with the service",
        },
    )
    work(people.police, "police_acknowledge", {"note": "On it"})
    work(people.police, "police_deconfliction", {"outcome": "no_conflict"})
    work(
        people.police,
        "police_gateway_checks",
        {f"{c.value}_result": "no_trace" for c in GatewayCheck.Check}
        | {"firearms_result": "not_done", "firearms_summary": "No licence system access"},
    )
    shared = {"share_with": "all_partners", "share_basis": "ctsa_s38"}
    work(
        people.police,
        "police_information_gathering",
        {"summary": "Spoke to the school", "share_summary": "Nothing to share", **shared},
    )
    work(
        people.police,
        "threshold_decision",
        {
            "ideological_element": "yes",
            "ideology": "extreme_right_wing",
            "terrorism_risk": "yes",
            "rationale": "Both parts met",
        },
    )
    factors = {
        f"{f}_{part}": value
        for f in ("engagement", "intent", "capability")
        for part, value in (("rating", "medium"), ("evidence", "Seen"))
    }
    work(
        people.police,
        "risk_assessment",
        {**factors, "overall_risk": "medium", "summary": "Medium overall", **shared}
        | {"share_summary": "Medium risk; safe to work with"},
    )
    work(
        people.police,
        "outcome_decision",
        {"outcome": "channel", "rationale": "Needs support", "share_summary": "Mentoring"} | shared,
    )
    referral.refresh_from_db()
    assert referral.process.outcome == ReferralProcess.Outcome.CHANNEL
    assert GatewayCheck.objects.get(referral=referral, check_name="firearms").result == "not_done"
    client.force_login(people.adviser)
    page = client.get(f"/cases/{referral.public_id}/").content.decode()
    for text in ("Gateway checks", "No licence system access", "Threshold decision", "Timeline"):
        assert text in page


# --- The case page and its actions ----------------------------------------------------------


def test_case_page_shows_tasks_timeline_and_diagram(as_user, people, referral):
    engine.task_claim(task=open_task(referral, "police_acknowledge"), user=people.police)
    page = as_user("adviser").get(f"/cases/{referral.public_id}/").content.decode()
    assert "Police: acknowledge referral" in page and "pc.one" in page
    assert 'class="moj-timeline"' in page and "Task claimed: Police: acknowledge referral" in page
    assert 'role="img" aria-labelledby="diagram-title diagram-desc"' in page
    assert 'id="diagram-police_acknowledge"' in page
    assert 'current"' in page.split('id="diagram-police_acknowledge"')[1].split(">")[0]
    assert 'id="diagram-threshold_decision" transform' in page
    assert 'current"' not in page.split('id="diagram-threshold_decision"')[1].split(">")[0]
    assert '<title id="diagram-title">The referral process</title>' in page
    assert "Open now: Police: acknowledge referral, Local authority" in page
    assert 'id="end-marker"' not in page


@pytest.mark.parametrize(
    ("url", "who", "status"),
    [
        ("deconfliction/", "police", 200),
        ("deconfliction/", "la", 403),
        ("deconfliction/", "adviser", 403),
        ("deconfliction/", "police_other_region", 404),
        ("notes/new/", "la", 200),
        ("notes/new/", "adviser", 200),
        ("notes/new/", "referrer", 404),
        ("notes/new/", "la_other_la", 404),
        ("initial-discussion/", "police", 200),
        ("initial-discussion/", "la", 200),
        ("initial-discussion/", "adviser", 403),
        ("home-visit-risk-assessment/", "police", 200),
        ("home-visit-risk-assessment/", "la", 403),
        ("home-visit/", "police", 200),
        ("home-visit/", "adviser", 403),
        ("transfer/", "adviser", 200),
        ("transfer/", "police", 403),
        ("transfer/", "adviser_other_region", 404),
        ("transfer/", "westminster_la", 404),
    ],
)
def test_case_actions_by_role(as_user, referral, url, who, status):
    assert as_user(who).get(f"/cases/{referral.public_id}/{url}").status_code == status


def test_police_record_another_deconfliction(as_user, referral):
    client = as_user("police")
    url = f"/cases/{referral.public_id}/deconfliction/"
    refused = client.post(url, {})
    assert b"Enter what prompted this check" in refused.content
    assert not Deconfliction.objects.filter(referral=referral).exists()
    client.post(url, {"trigger": "A second report", "outcome": "conflict_managed"})
    assert Deconfliction.objects.get(referral=referral).trigger == "A second report"
    assert as_user("la").post(url, {"trigger": "x", "outcome": "no_conflict"}).status_code == 403


def _next_year() -> date:
    return _today().replace(year=_today().year + 1)


FAR_FUTURE = _date("held_on", date(2999, 1, 1))


@pytest.mark.parametrize(
    ("url", "who", "answers", "expected", "model"),
    [
        (
            "deconfliction/",
            "police",
            {},
            {
                "trigger": ["Enter what prompted this check"],
                "outcome": ["Select the outcome of the deconfliction check"],
            },
            Deconfliction,
        ),
        (
            "notes/new/",
            "la",
            {"text": "  "},
            {"kind": ["Select the kind of note"], "text": ["Enter the note"]},
            CaseNote,
        ),
        (
            "initial-discussion/",
            "police",
            {"held_on-year": "x"},
            {"held_on": ["The date of the discussion must include a day and month"]},
            InitialDiscussion,
        ),
        (
            "initial-discussion/",
            "police",
            FAR_FUTURE,
            {
                "held_on": ["The date of the discussion must be today or in the past"],
                "summary": ["Summarise the discussion with the referrer"],
            },
            InitialDiscussion,
        ),
        (
            "home-visit-risk-assessment/",
            "police",
            {},
            {
                "risks_identified": ["Describe the risks identified"],
                "controls": ["Describe the controls in place"],
                "visit_safe": ["Answer whether the visit can go ahead safely"],
            },
            HomeVisitRiskAssessment,
        ),
        (
            "home-visit/",
            "police",
            {},
            {
                "non_field_errors": [
                    "Complete a home-visit risk assessment that finds the visit safe before "
                    "recording a visit."
                ],
                "visited_on": ["Enter the date of the visit"],
                "notes": ["Record what happened on the visit"],
            },
            HomeVisit,
        ),
        (
            "transfer/",
            "adviser",
            {},
            {
                "to_local_authority": ["Select the local authority the case is moving to"],
                "reason": ["Give the reason for the transfer"],
            },
            CaseTransfer,
        ),
    ],
    ids=[
        "deconfliction",
        "note",
        "discussion-date-not-real",
        "discussion",
        "home-visit-risk-assessment",
        "home-visit",
        "transfer",
    ],
)
def test_case_actions_list_every_problem_at_once(
    as_user, referral, url, who, answers, expected, model
):
    response = as_user(who).post(f"/cases/{referral.public_id}/{url}", answers)
    assert response.status_code == 200
    assert error_summary(response) == expected
    assert not model.objects.filter(referral=referral).exists()


def test_a_home_visit_lists_its_date_and_notes_problems_with_the_assessment(
    as_user, people, referral
):
    services.home_visit_assessment_record(
        referral=referral,
        user=people.police,
        risks_identified="Dog",
        controls="Dog secured",
        visit_safe=True,
    )
    client = as_user("police")
    url = f"/cases/{referral.public_id}/home-visit/"
    future = client.post(url, {**_date("visited_on", _next_year()), "notes": ""})
    assert error_summary(future) == {
        "visited_on": ["The date of the visit must be today or in the past"],
        "notes": ["Record what happened on the visit"],
    }
    too_early = client.post(url, {**_date("visited_on", date(2020, 1, 1)), "notes": "Seen"})
    assert error_summary(too_early) == {
        "visited_on": ["The visit cannot be before its risk assessment"]
    }
    assert not HomeVisit.objects.filter(referral=referral).exists()


def test_a_refused_role_sees_no_validation_at_all(as_user, referral):
    """The permission refusal comes first and alone, before any answer is looked at."""
    response = as_user("la").post(f"/cases/{referral.public_id}/deconfliction/", {})
    assert response.status_code == 403
    assert ERROR_SUMMARY not in response.content
    assert b"Enter what prompted this check" not in response.content


def test_case_note_and_initial_discussion_from_the_case_page(as_user, people, referral):
    client = as_user("la")
    response = client.post(f"/cases/{referral.public_id}/notes/new/", {"kind": "note", "text": ""})
    assert b"Enter the note" in response.content
    client.post(f"/cases/{referral.public_id}/notes/new/", {"kind": "note", "text": "Called"})
    assert CaseNote.objects.get(referral=referral).team.kind == "la_prevent"
    future = _date("held_on", _today().replace(year=_today().year + 1))
    response = as_user("police").post(
        f"/cases/{referral.public_id}/initial-discussion/", {**future, "summary": "Spoke"}
    )
    assert b"must be today or in the past" in response.content
    as_user("police").post(
        f"/cases/{referral.public_id}/initial-discussion/",
        {**_date("held_on", _today()), "summary": "Spoke"},
    )
    assert InitialDiscussion.objects.get(referral=referral).held_by == people.police
    again = as_user("la").get(f"/cases/{referral.public_id}/initial-discussion/")
    assert again.status_code == 403


def test_home_visit_needs_a_safe_assessment_first(as_user, referral):
    client = as_user("police")
    visit = {**_date("visited_on", _today()), "notes": "Visited"}
    refused = client.post(f"/cases/{referral.public_id}/home-visit/", visit)
    assert (
        refused.status_code == 200 and b"Complete a home-visit risk assessment" in refused.content
    )
    assert not HomeVisit.objects.exists()
    client.post(
        f"/cases/{referral.public_id}/home-visit-risk-assessment/",
        {"risks_identified": "Dog", "controls": "Dog secured", "visit_safe": "yes"},
    )
    assert client.post(f"/cases/{referral.public_id}/home-visit/", visit).status_code == 302
    assert HomeVisit.objects.get(referral=referral).notes == "Visited"


def test_adviser_transfers_a_case_and_access_moves(as_user, people, referral):
    westminster = LocalAuthority.objects.get(code=WESTMINSTER)
    client = as_user("adviser")
    url = f"/cases/{referral.public_id}/transfer/"
    page = client.get(url).content.decode()
    assert "Westminster" in page and f'value="{referral.local_authority_id}"' not in page
    refused = client.post(url, {"to_local_authority": westminster.pk})
    assert "Give the reason for the transfer" in refused.content.decode()
    response = client.post(url, {"to_local_authority": westminster.pk, "reason": "Moved house"})
    assert response.status_code == 302
    la_task = open_task(referral, "la_acknowledge")
    assert is_task_team_member(people.westminster_la, la_task)
    assert as_user("westminster_la").get(f"/cases/{referral.public_id}/").status_code == 200
    assert as_user("la").get(f"/cases/{referral.public_id}/").status_code == 404


def test_adviser_confirms_or_dismisses_a_possible_duplicate(as_user, people):
    earlier = submit_referral(people.referrer)
    referral = submit_referral(people.referrer)
    duplicate, _ = PossibleDuplicate.objects.get_or_create(
        referral=referral, earlier=earlier, defaults={"score": 0.9}
    )
    url = f"/cases/{referral.public_id}/possible-duplicates/{duplicate.pk}/"
    case_page = as_user("adviser").get(f"/cases/{referral.public_id}/").content.decode()
    assert url in case_page
    assert url not in as_user("police").get(f"/cases/{referral.public_id}/").content.decode()
    assert as_user("police").post(url, {"same_person": "yes"}).status_code == 403
    refused = as_user("adviser").post(url, {})
    assert b"Select whether this is the same person" in refused.content
    assert (
        as_user("adviser").post(url, {"same_person": "no", "reason": "Different DOB"})["Location"]
        == f"/cases/{referral.public_id}/"
    )
    duplicate.refresh_from_db()
    assert duplicate.decision == PossibleDuplicate.Decision.DISMISSED
    assert not services.is_repeat_referral(referral)


def test_an_answer_that_cannot_be_read_shows_beside_the_rules_other_findings(
    client, people, referral
):
    """A real-looking but impossible date and a missing summary: both errors on one submit,
    on the page and in the API, and nothing is kept from the service's rehearsal."""
    services.task_acknowledge(task=open_task(referral, "la_acknowledge"), user=people.la)
    task = open_task(referral, "la_initial_discussion")
    events = AuditEvent.objects.count()
    client.force_login(people.la)
    page = error_summary(
        client.post(
            f"/tasks/{task.pk}/",
            {"held_on-day": "31", "held_on-month": "2", "held_on-year": "2026", "summary": ""},
        )
    )
    assert set(page) == {"held_on", "summary"}
    assert page["summary"] == ["Summarise the discussion with the referrer"]
    api = APIClient()
    api.force_authenticate(people.la)
    url = f"/api/v1/tasks/{task_api_id(task.pk)}/complete/"
    answers = _api_errors(api.post(url, {"held_on": "2026-02-31"}, format="json"))
    assert answers == page
    assert not InitialDiscussion.objects.filter(referral=referral).exists()
    assert AuditEvent.objects.count() == events
    assert Task.objects.get(pk=task.pk).status != STATUS.DONE
    done = api.post(url, {"held_on": "2026-02-27", "summary": "Held"}, format="json")
    assert done.status_code == 204
    assert InitialDiscussion.objects.get(referral=referral).held_on == date(2026, 2, 27)
