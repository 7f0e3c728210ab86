"""The stage registry: every human step of every flow is declared once, and the task page and
the API both work each step through that declaration, with the same validation."""

import pytest
from viewflow.workflow.models import Task

from compliance.models import ComplaintStatus
from config.task_ids import task_api_id
from regions.models import Team
from tests.cases import error_summary, open_task, refer_to_channel, services_team_add
from tests.clients import APIClient, Client
from tests.compliance.factories import ComplianceOfficerFactory, ReceivedComplaintFactory
from workflows.channel.flows import ChannelFlow
from workflows.complaint.flows import ComplaintFlow
from workflows.complaint.selectors import complaint_open_task
from workflows.engine.registry import UNIT, human_nodes, registered_flows, step_for_node
from workflows.models import ChannelDecision, Deconfliction
from workflows.referral.flows import ReferralFlow

FLOWS = [ReferralFlow, ChannelFlow, ComplaintFlow]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_every_flow_is_registered():
    assert set(registered_flows()) == set(FLOWS)


@pytest.mark.parametrize("flow_class", FLOWS, ids=lambda f: f.__name__)
def test_every_human_node_has_exactly_one_entry(flow_class):
    nodes = human_nodes(flow_class)
    assert nodes, "a flow with no human step"
    missing = [node.name for node in nodes if step_for_node(node) is None]
    assert missing == []
    for node in nodes:
        step = step_for_node(node)
        assert step.team in {*Team.Kind.values, UNIT}
        assert callable(step.may_work) and callable(step.service) and step.template


def test_api_completes_a_referral_task_with_the_page_validation(people, referral):
    task = open_task(referral, "police_acknowledge")
    assert (
        api(people.police)
        .post(f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", {}, format="json")
        .status_code
        == 204
    )
    task = open_task(referral, "police_deconfliction")
    refused = api(people.police).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", {}, format="json"
    )
    page = _page_errors(people.police, task)
    assert refused.status_code == 400
    assert page == {"outcome": ["Select the outcome of the deconfliction check"]}
    assert refused.json()["errors"] == page
    assert not Deconfliction.objects.filter(referral=referral).exists()
    done = api(people.police).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/",
        {"outcome": "no_conflict", "notes": "No live investigation"},
        format="json",
    )
    assert done.status_code == 204
    assert Deconfliction.objects.get(referral=referral).outcome == "no_conflict"
    assert "police_gateway_checks" in {t.flow_task.name for t in _open(referral)}


def test_api_refuses_answers_the_step_does_not_take(people, referral):
    task = open_task(referral, "police_acknowledge")
    response = api(people.police).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", {"outcome": "channel"}, format="json"
    )
    assert response.status_code == 400
    assert "outcome" in response.json()["errors"]
    assert Task.objects.get(pk=task.pk).status != "DONE"


def test_api_completes_a_channel_task_as_its_page_does(people, referral):
    services_team_add(people.panel.teams.get(), people.la)
    refer_to_channel(people, referral)
    task = open_task(referral, "adoption_decision")
    # A panel member who is not the chair is refused by the service, as on the page.
    refused = api(people.panel).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/",
        {"adopt": True, "rationale": "Meets the vulnerability criteria"},
        format="json",
    )
    assert refused.status_code == 404
    assert not ChannelDecision.objects.filter(referral=referral).exists()
    done = api(people.la).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/",
        {"adopt": True, "rationale": "Meets the vulnerability criteria"},
        format="json",
    )
    assert done.status_code == 204
    assert ChannelDecision.objects.get(referral=referral).result == "adopted"
    assert "consent" in {t.flow_task.name for t in _open(referral)}


def test_api_completes_a_complaint_step_and_only_for_the_unit(people, db):
    complaint = ReceivedComplaintFactory()
    officer = ComplianceOfficerFactory()
    task = complaint_open_task(complaint, "triage")
    outsider = api(people.police).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", {"in_scope": False}, format="json"
    )
    assert outsider.status_code == 404
    missing = api(officer).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", {"in_scope": False}, format="json"
    )
    assert missing.status_code == 400
    assert missing.json()["errors"]["rationale"] == ["Give the reason for your decision"]
    done = api(officer).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/",
        {
            "in_scope": False,
            "rationale": "About a private employer, not the Prevent duty",
            "signposting": "The employer's own complaints procedure",
        },
        format="json",
    )
    assert done.status_code == 204
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED


def _open(referral):
    return [t.task for t in referral.case_tasks.filter(is_open=True).select_related("task")]


def _page_errors(user, task) -> dict[str, list[str]]:
    """The errors the task's own page shows in its error summary for an empty submission."""
    client = Client()
    client.force_login(user)
    response = client.post(f"/tasks/{task.pk}/", {})
    assert response.status_code == 200
    return error_summary(response)
