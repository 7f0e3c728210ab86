"""The unit finds its complaints' open steps through the API and works them by task id."""

import pytest

from compliance.models import Complaint
from tests.clients import APIClient
from tests.compliance.factories import (
    ComplianceOfficerFactory,
    InvestigatingComplaintFactory,
    ReceivedComplaintFactory,
)

URL = "/api/v1/unit-complaints/"


def _api(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


@pytest.fixture
def officer(people):
    return ComplianceOfficerFactory()


def test_the_unit_lists_complaints_with_their_open_steps_and_completes_one(officer):
    received = ReceivedComplaintFactory()
    investigating = InvestigatingComplaintFactory(investigator=officer)
    body = _api(officer).get(URL).json()
    listed = {item["reference"]: item for item in body["results"]}
    assert list(listed) == [investigating.reference, received.reference]  # newest first
    assert [s["stage"] for s in listed[received.reference]["open_steps"]] == ["triage"]
    assert listed[investigating.reference]["investigator"] == officer.email
    triage = listed[received.reference]["open_steps"][0]["id"]
    done = _api(officer).post(
        f"/api/v1/tasks/{triage}/complete/",
        {"in_scope": False, "rationale": "About a private employer", "signposting": "ACAS"},
        format="json",
    )
    assert done.status_code == 204, done.content
    assert Complaint.objects.get(pk=received.pk).status != "received"
    filtered = _api(officer).get(f"{URL}?status=investigating").json()["results"]
    assert [item["reference"] for item in filtered] == [investigating.reference]


@pytest.mark.parametrize("who", ["referrer", "police", "adviser", "la"])
def test_nobody_else_lists_them(people, who):
    ReceivedComplaintFactory()
    assert _api(getattr(people, who)).get(URL).status_code == 403
    assert APIClient().get(URL).status_code == 401


@pytest.mark.parametrize("count", [1, 8])
def test_the_list_costs_the_same_whatever_its_length(officer, count, django_assert_max_num_queries):
    for _ in range(count):
        ReceivedComplaintFactory()
    api = _api(officer)
    with django_assert_max_num_queries(6):
        response = api.get(URL)
    assert len(response.json()["results"]) == count
