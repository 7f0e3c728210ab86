"""Need to know inside a case: police records stay with the case's police and the region's
advisers; the local authority, the panel and break-glass readers see what the police shared.

Each reader of one case referred to Channel (police, adviser, LA lead, panel member, chair,
compliance officer under break-glass, intervention provider) × the case page, a completed
police task page and the API's case detail: the police records' own words are present or
absent, and each disclosure reaches exactly the readers it names.
"""

import html
import json

import pytest
from guardian.shortcuts import assign_perm

from accounts.roles import Role
from compliance.models import AuditEvent
from config.errors import ApplicationError, PermissionDenied
from config.task_ids import task_api_id
from tests.cases import (
    ALL_CLEAR,
    POLICE_ONLY,
    SHARED_AT_RISK,
    SHARED_WITH_ALL,
    SHARED_WITH_LA,
    SHARED_WITH_PANEL,
    PoliceRecordsBelowThresholdFactory,
    PoliceRecordsChannelFactory,
    adopt,
    consent,
    decide,
    error_summary,
    join_branches,
    la_branch,
    make_chair,
    make_user,
    open_task,
    plan,
    police_branch,
    risk_assess,
    sharing,
    submit_referral,
)
from tests.clients import APIClient
from tests.compliance.factories import break_glass_granted, linked_investigation
from workflows.engine.models import CaseTask
from workflows.engine.permissions import may_see_police_records, may_see_task
from workflows.models import CaseNote, Disclosure, RiskAssessment
from workflows.referral import services
from workflows.referral.permissions import may_see_disclosure
from workflows.referral.services import SHARE_REQUIRED

LA, PANEL, ALL = SHARED_WITH_LA, SHARED_WITH_PANEL, SHARED_WITH_ALL
# Who reads the case: police records or not, and the disclosures each one sees.
READERS = {
    "police": (True, {LA, PANEL, ALL}),
    "adviser": (True, {LA, PANEL, ALL}),
    "la_lead": (False, {LA, ALL}),
    "panel": (False, {PANEL, ALL}),
    "chair": (False, {LA, PANEL, ALL}),
    "compliance": (False, {LA, PANEL, ALL}),
}
# Words of the timeline that would give police records away: a deconfliction outcome, a risk.
POLICE_TIMELINE = ("conflict managed", "Overall risk", "Deconfliction check recorded")


@pytest.fixture
def case(people):
    return PoliceRecordsChannelFactory(people=people)


@pytest.fixture
def readers(people, case):
    """Everyone who may open the case, and the provider commissioned on it, who may not."""
    chair = make_chair(people)
    provider = make_user("mentor@provider.example", Role.INTERVENTION_PROVIDER)
    adopt(case, chair)
    consent(case, people.panel)
    plan(case, people.panel, owner=people.la2, provider=provider)
    linked_investigation(case, people.compliance)
    break_glass_granted(people.compliance, case, reason="Complaint investigation")
    return {
        "police": people.police,
        "adviser": people.adviser,
        "la_lead": people.la2,
        "panel": people.panel,
        "chair": chair,
        "compliance": people.compliance,
        "provider": provider,
    }


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _assert_police_content(text: str, *, present: bool) -> None:
    for name, words in POLICE_ONLY.items():
        assert (words in text) is present, f"{name}: {words!r} {'missing' if present else 'shown'}"
    if not present:
        assert "KESTREL" not in text


def _assert_disclosures(text: str, expected: set[str]) -> None:
    for shared in (LA, PANEL, ALL):
        assert (shared in text) is (shared in expected), shared


def _completed(case, stage: str):
    return CaseTask.objects.select_related("task").get(referral=case, stage=stage).task


# --- The case page ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", sorted(READERS))
def test_the_case_page_shows_police_records_only_to_police_and_advisers(client, case, readers, who):
    police, disclosures = READERS[who]
    client.force_login(readers[who])
    response = client.get(f"/cases/{case.public_id}/")
    assert response.status_code == 200
    text = _text(response)
    _assert_police_content(text, present=police)
    _assert_disclosures(text, disclosures)
    assert ('id="police-records"' in text) is police
    assert ("Disclosure log" in text) is police
    assert ("Police information shared with you" in text) is not police
    for words in POLICE_TIMELINE:
        assert (words in text) is police, words


@pytest.mark.parametrize("who", sorted(READERS))
def test_a_disclosure_shows_who_shared_it_with_whom_and_on_what_basis(client, case, readers, who):
    client.force_login(readers[who])
    text = _text(client.get(f"/cases/{case.public_id}/"))
    assert "All partners on the case (local authority and panel)" in text
    assert "Counter-Terrorism and Security Act 2015 s.38" in text
    assert "at police risk assessment" in text
    assert "pc.one" in text


def test_the_timeline_shows_a_partner_only_the_disclosures_made_to_them(client, case, readers):
    client.force_login(readers["la_lead"])
    timeline = _text(client.get(f"/cases/{case.public_id}/")).split('id="timeline"', 1)[1]
    assert "Shared with: The local authority's Prevent team" in timeline
    assert "Shared with: All partners on the case" in timeline
    assert "Shared with: The Channel panel" not in timeline
    assert "Task completed: Gateway checks" in timeline  # that the step was done is shared
    assert "Outcome: channel" in timeline  # the case's outcome is too, not its rationale
    assert POLICE_ONLY["rationale"] not in timeline


def test_the_provider_sees_nothing_of_the_case(client, case, readers):
    client.force_login(readers["provider"])
    response = client.get(f"/cases/{case.public_id}/")
    assert response.status_code == 404
    _assert_police_content(_text(response), present=False)
    _assert_disclosures(_text(response), set())


def test_a_reader_without_need_to_know_is_told_when_nothing_was_shared(client, people):
    referral = submit_referral(people.referrer)
    client.force_login(people.la)
    text = _text(client.get(f"/cases/{referral.public_id}/"))
    assert "The police have not shared any information with you yet." in text


def test_partners_keep_seeing_their_own_notes(client, people, case):
    services.case_note_add(referral=case, user=people.la, kind="note", text="LA visited home")
    client.force_login(people.la2)
    text = _text(client.get(f"/cases/{case.public_id}/"))
    assert "LA visited home" in text
    assert POLICE_ONLY["note"] not in text


# --- Task pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", [*sorted(READERS), "provider"])
def test_a_completed_police_task_page_is_the_advisers_alone(client, case, readers, who):
    """A completed task belongs to no team; its region's advisers may still read it. Police
    steps show police records, so nobody without need to know may open one."""
    task = _completed(case, "risk_assessment")
    client.force_login(readers[who])
    response = client.get(f"/tasks/{task.pk}/")
    text = _text(response)
    if who == "adviser":
        assert response.status_code == 200
        _assert_police_content(text, present=True)
        _assert_disclosures(text, {LA, PANEL, ALL})
    else:
        assert response.status_code == 404
        _assert_police_content(text, present=False)


@pytest.mark.parametrize("who", ["la", "panel", "compliance"])
def test_a_police_step_stays_closed_to_a_partner_even_with_a_task_grant(people, case, who):
    """Defence in depth: the police-step rule holds whatever object grants a partner has (a
    task's own grant, as the engine once wrote, now decides nothing)."""
    user = people.compliance if who == "compliance" else getattr(people, who)
    if who == "compliance":
        linked_investigation(case, user)
        break_glass_granted(user, case, reason="Complaint investigation")
    task = _completed(case, "police_gateway_checks")
    assign_perm("viewflow.change_task", user, task)  # a stray grant: ignored
    assert not may_see_police_records(user, case)
    assert not may_see_task(user, task)


def test_the_las_below_threshold_page_shows_what_was_shared_not_police_records(client, people):
    referral = PoliceRecordsBelowThresholdFactory(people=people)
    task = open_task(referral, "below_threshold_outcome")
    client.force_login(people.la)
    response = client.get(f"/tasks/{task.pk}/")
    assert response.status_code == 200
    text = _text(response)
    _assert_police_content(text, present=False)
    assert SHARED_WITH_LA in text
    assert "Police information shared with you" in text


def test_the_police_threshold_page_shows_their_records_and_the_disclosure_log(client, people):
    referral = submit_referral(people.referrer)
    join_branches(people, referral)
    services.case_note_add(referral=referral, user=people.police, kind="note", text="Handler")
    client.force_login(people.police)
    text = _text(client.get(f"/tasks/{open_task(referral, 'threshold_decision').pk}/"))
    assert "Police records" in text and "Handler" in text
    assert "Disclosure log" in text


# --- The API --------------------------------------------------------------------------------


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.mark.parametrize("who", sorted(READERS))
def test_the_api_case_detail_omits_police_records_for_partners(case, readers, who):
    police, disclosures = READERS[who]
    response = _api(readers[who]).get(f"/api/v1/cases/{case.public_id}/")
    assert response.status_code == 200
    body = response.json()
    assert ("police_records" in body) is police
    _assert_police_content(json.dumps(body), present=police)
    assert {d["text"] for d in body["disclosures"]} == disclosures
    assert body["narrative"] == case.narrative


def test_the_api_gives_the_police_their_records_in_full(people, case):
    records = _api(people.police).get(f"/api/v1/cases/{case.public_id}/").json()["police_records"]
    visor = next(c for c in records["gateway_checks"] if c["check"] == "visor")
    assert visor == visor | {"result": "trace", "summary": POLICE_ONLY["trace"]}
    assert [d["notes"] for d in records["deconflictions"]][0] == POLICE_ONLY["deconfliction"]
    assert records["outcome_decisions"][0]["rationale"] == POLICE_ONLY["rationale"]
    assert records["risk_assessments"][0]["capability_evidence"] == POLICE_ONLY["risk"]
    assert {n["text"] for n in records["notes"]} == {POLICE_ONLY["gathering"], POLICE_ONLY["note"]}


def test_the_api_case_detail_is_a_404_for_the_provider(case, readers):
    assert _api(readers["provider"]).get(f"/api/v1/cases/{case.public_id}/").status_code == 404


def test_a_disclosure_in_the_api_names_its_audience_basis_and_sharer(people, case):
    body = _api(people.la2).get(f"/api/v1/cases/{case.public_id}/").json()
    shared = next(d for d in body["disclosures"] if d["text"] == SHARED_WITH_LA)
    assert shared == shared | {
        "stage": "police_information_gathering",
        "audience": "local_authority",
        "basis": "crime_and_disorder_s115",
        "shared_by": "pc.one",
    }


def test_the_schema_describes_both_readers_case_detail(people):
    schema = _api(people.police).get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    partner, police = components["CaseDetail"], components["PoliceCaseDetail"]
    assert "police_records" not in partner["properties"]
    assert "disclosures" in partner["properties"]
    assert police["properties"]["police_records"]["allOf"] == [
        {"$ref": "#/components/schemas/PoliceRecords"}
    ]
    assert set(components["PoliceRecords"]["properties"]) >= {"deconflictions", "gateway_checks"}
    assert {"audience", "basis", "text"} <= set(components["Disclosure"]["properties"])
    detail = schema["paths"]["/api/v1/cases/{public_id}/"]["get"]
    response = detail["responses"]["200"]["content"]["application/json"]["schema"]
    assert response == {"$ref": "#/components/schemas/CaseDetailForReader"}
    one_of = components["CaseDetailForReader"]["oneOf"]
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in one_of} == {"CaseDetail", "PoliceCaseDetail"}


# --- The sharing summary --------------------------------------------------------------------


def _to_gathering(referral, people):
    services.task_acknowledge(task=open_task(referral, "police_acknowledge"), user=people.police)
    services.police_deconfliction_complete(
        task=open_task(referral, "police_deconfliction"), user=people.police, outcome="no_conflict"
    )
    services.police_gateway_checks_complete(
        task=open_task(referral, "police_gateway_checks"), user=people.police, checks=ALL_CLEAR
    )
    return open_task(referral, "police_information_gathering")


def test_information_gathering_needs_a_sharing_summary(people, referral):
    task = _to_gathering(referral, people)
    with pytest.raises(ApplicationError) as refused:
        services.police_information_gathering_complete(task=task, user=people.police, summary="")
    assert refused.value.by_field() == {
        "summary": ["Summarise the information gathered"],
        "share_summary": [SHARE_REQUIRED],
    }
    assert not CaseNote.objects.filter(referral=referral).exists()


def test_a_summary_needs_whom_it_is_for_and_its_lawful_basis(people, referral):
    task = _to_gathering(referral, people)
    with pytest.raises(ApplicationError) as refused:
        services.police_information_gathering_complete(
            task=task, user=people.police, summary="Gathered", share_summary="Known locally"
        )
    assert refused.value.by_field() == {
        "share_with": ["Select who the police information can be shared with"],
        "share_basis": ["Select the lawful basis for sharing the information"],
    }
    assert not Disclosure.objects.exists()


def test_nothing_to_share_is_recorded_and_audited_as_a_disclosure(people, referral):
    task = _to_gathering(referral, people)
    services.police_information_gathering_complete(
        task=task,
        user=people.police,
        summary="Gathered",
        **sharing("Nothing to share", audience="local_authority", basis="consent"),
    )
    disclosure = Disclosure.objects.get(referral=referral)
    assert (disclosure.text, disclosure.audience, disclosure.basis) == (
        "Nothing to share",
        "local_authority",
        "consent",
    )
    assert disclosure.shared_by == people.police
    assert disclosure.stage == "police_information_gathering"
    event = AuditEvent.objects.get(action="disclosure.recorded")
    assert event.actor == people.police
    assert event.case_reference == referral.reference
    assert event.object_id == str(disclosure.pk)
    assert event.detail | {"audience": "local_authority", "basis": "consent"} == event.detail
    assert "Nothing to share" not in json.dumps(event.detail)


def test_the_risk_assessment_needs_a_sharing_summary_with_its_basis(people, referral):
    join_branches(people, referral)
    decide(referral, people.police, meets=True)
    answers = {
        f"{factor}_{part}": value
        for factor in ("engagement", "intent", "capability")
        for part, value in (("rating", "low"), ("evidence", "e"))
    } | {"overall_risk": "low", "summary": "Low"}
    task = open_task(referral, "risk_assessment")
    with pytest.raises(ApplicationError) as refused:
        services.risk_assessment_complete(task=task, user=people.police, **answers)
    assert refused.value.by_field() == {"share_summary": [SHARE_REQUIRED]}
    with pytest.raises(ApplicationError) as refused:
        services.risk_assessment_complete(
            task=task, user=people.police, share_summary="Low risk", share_with="panel", **answers
        )
    assert refused.value.by_field() == {
        "share_basis": ["Select the lawful basis for sharing the information"]
    }
    assert not RiskAssessment.objects.filter(referral=referral).exists()
    services.risk_assessment_complete(
        task=task, user=people.police, **sharing(SHARED_AT_RISK), **answers
    )
    assert Disclosure.objects.filter(referral=referral, stage="risk_assessment").count() == 1


@pytest.mark.parametrize(
    ("outcome", "extra", "needed"),
    [
        ("channel", {}, True),
        ("police_led", {}, True),
        ("no_further_action", {}, False),
        ("pursue", {"handover_to": "Pursue", "handover_notes": "Handed over"}, False),
    ],
)
def test_the_outcome_needs_a_summary_when_partners_take_the_case_on(
    people, referral, outcome, extra, needed
):
    join_branches(people, referral)
    decide(referral, people.police, meets=True)
    risk_assess(referral, people.police)
    before = Disclosure.objects.filter(referral=referral).count()
    task = open_task(referral, "outcome_decision")
    kwargs = {"outcome": outcome, "rationale": "Because", **extra}
    if needed:
        with pytest.raises(ApplicationError) as refused:
            services.outcome_decide(task=task, user=people.police, **kwargs)
        assert refused.value.field == "share_summary"
        assert "The case goes on with partners" in refused.value.message
    else:
        services.outcome_decide(task=task, user=people.police, **kwargs)
        assert Disclosure.objects.filter(referral=referral).count() == before


def test_an_optional_summary_left_blank_with_a_basis_chosen_is_refused(people, referral):
    join_branches(people, referral)
    decide(referral, people.police, meets=True)
    risk_assess(referral, people.police)
    with pytest.raises(ApplicationError) as refused:
        services.outcome_decide(
            task=open_task(referral, "outcome_decision"),
            user=people.police,
            outcome="no_further_action",
            rationale="Because",
            share_basis="consent",
        )
    assert refused.value.by_field() == {
        "share_summary": ["Enter what can be shared, or leave who and why blank"]
    }


def test_the_page_and_the_api_list_the_sharing_problems_with_the_rest(client, people, referral):
    task = _to_gathering(referral, people)
    expected = {
        "summary": ["Summarise the information gathered"],
        "share_with": ["Select who the police information can be shared with"],
        "share_basis": ["Select the lawful basis for sharing the information"],
    }
    client.force_login(people.police)
    page = client.get(f"/tasks/{task.pk}/")
    assert "Sharing with partners" in _text(page) and "Lawful basis for sharing" in _text(page)
    response = client.post(f"/tasks/{task.pk}/", {"share_summary": "Known locally"})
    assert error_summary(response) == expected
    api = _api(people.police).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/",
        {"share_summary": "Known locally"},
        format="json",
    )
    assert api.status_code == 400
    assert api.json()["errors"] == expected
    refused_basis = _api(people.police).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/",
        {"summary": "Gathered", "share_summary": "Known", "share_with": "all_partners"}
        | {"share_basis": "because_we_can"},
        format="json",
    )
    assert refused_basis.json()["errors"]["share_basis"] == [
        "Select the lawful basis for sharing the information"
    ]
    assert not Disclosure.objects.exists()


# --- Sharing from the case page ---------------------------------------------------------------


def test_the_police_share_new_information_from_the_case_page(client, people, referral):
    police_branch(referral, people.police)
    la_branch(referral, people.la)
    client.force_login(people.police)
    url = f"/cases/{referral.public_id}/share/"
    assert "lawful basis" in _text(client.get(url))
    refused = client.post(url, {"share_summary": "Moved house"})
    assert error_summary(refused) == {
        "share_with": ["Select who the police information can be shared with"],
        "share_basis": ["Select the lawful basis for sharing the information"],
    }
    done = client.post(
        url,
        {"share_summary": "Moved house", "share_with": "local_authority", "share_basis": "consent"},
    )
    assert done.status_code == 302
    disclosure = Disclosure.objects.get(referral=referral, text="Moved house")
    assert disclosure.stage == "" and disclosure.shared_by_team.kind == "ctp_prevent"
    client.force_login(people.la)
    assert "Moved house" in _text(client.get(f"/cases/{referral.public_id}/"))


@pytest.mark.parametrize("who", ["la", "adviser"])
def test_only_the_police_share_police_information(client, people, referral, who):
    client.force_login(getattr(people, who))
    response = client.post(
        f"/cases/{referral.public_id}/share/",
        {"share_summary": "x", "share_with": "local_authority", "share_basis": "consent"},
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.disclosure_record(
            referral=referral,
            user=getattr(people, who),
            share_summary="x",
            share_with="local_authority",
            share_basis="consent",
        )
    assert not Disclosure.objects.exists()


def test_a_police_note_is_said_to_stay_with_the_police(client, people, referral):
    client.force_login(people.police)
    text = _text(client.get(f"/cases/{referral.public_id}/notes/new/"))
    assert "only the police and the regional advisers see them" in text
    client.force_login(people.la)
    assert "only the police" not in _text(client.get(f"/cases/{referral.public_id}/notes/new/"))


@pytest.mark.parametrize(
    ("who", "sees_panel_only"),
    [
        ("police", True),
        ("adviser", True),
        ("la_lead", False),
        ("panel", True),
        ("chair", True),
        ("compliance", True),
        ("provider", False),
    ],
)
def test_may_see_disclosure_is_the_list_rule_for_one_disclosure(
    case, readers, who, sees_panel_only
):
    panel_only = Disclosure.objects.get(referral=case, audience="panel")
    assert may_see_disclosure(readers[who], panel_only) is sees_panel_only
    for_all = Disclosure.objects.get(referral=case, audience="all_partners")
    assert may_see_disclosure(readers[who], for_all) is (who != "provider")
