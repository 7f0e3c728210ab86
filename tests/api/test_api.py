"""The API: what each role sees and may do, field errors for bad input, flat query counts."""

import pytest

from compliance.models import AuditEvent
from config.task_ids import task_api_id
from tests.cases import error_summary, open_task, open_tasks, submit_referral
from tests.clients import APIClient
from workflows.models import Deconfliction, SafeguardingChecks
from workflows.referral import services


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_anonymous_is_refused(db):
    response = APIClient().get("/api/v1/cases/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == "not_authenticated"


def test_schema_is_published(people):
    response = client_for(people.police).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/tasks/{id}/complete/" in response.content


def test_referrer_sees_own_referrals_as_plain_status(people, referral):
    own = client_for(people.referrer).get("/api/v1/my-referrals/").json()["results"]
    assert [r["reference"] for r in own] == [referral.reference]
    assert own[0]["status"] == "Being assessed"
    assert set(own[0]) == {"id", "reference", "status", "created_at", "submitted_at"}
    other = client_for(people.other_referrer)
    assert other.get("/api/v1/my-referrals/").json()["results"] == []
    assert other.get(f"/api/v1/my-referrals/{referral.public_id}/").status_code == 404


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("police", True),
        ("la", True),
        ("adviser", True),
        ("police_other_region", False),
        ("la_other_la", False),
        ("referrer", False),
        ("compliance", False),
        ("panel", False),
    ],
)
def test_case_access_follows_the_case(people, referral, who, visible):
    client = client_for(getattr(people, who))
    listed = [c["id"] for c in client.get("/api/v1/cases/").json()["results"]]
    assert listed == ([str(referral.public_id)] if visible else [])
    detail = client.get(f"/api/v1/cases/{referral.public_id}/")
    assert detail.status_code == (200 if visible else 404)


def test_case_detail_read_is_audited(people, referral):
    response = client_for(people.la).get(f"/api/v1/cases/{referral.public_id}/")
    assert response.json()["narrative"] == referral.narrative
    read = AuditEvent.objects.filter(action="case.read", actor=people.la).latest("pk")
    assert read.case_reference == referral.reference
    assert read.detail.get("via") == "api"


def test_tasks_are_the_teams_own(people, referral):
    police = client_for(people.police).get("/api/v1/tasks/").json()["results"]
    assert [t["stage"] for t in police] == ["police_acknowledge"]
    la = client_for(people.la).get("/api/v1/tasks/").json()["results"]
    assert [t["stage"] for t in la] == ["la_acknowledge"]
    assert client_for(people.police_other_region).get("/api/v1/tasks/").json()["results"] == []


def test_claim_and_complete_through_the_api(people, referral):
    client = client_for(people.police)
    task = open_task(referral, "police_acknowledge")
    claimed = client.post(f"/api/v1/tasks/{task_api_id(task.pk)}/claim/")
    assert claimed.status_code == 200 and claimed.json()["owner"] == people.police.email
    again = client_for(people.police2).post(f"/api/v1/tasks/{task_api_id(task.pk)}/claim/")
    assert again.status_code == 400
    assert "already been claimed" in again.json()["errors"]["non_field_errors"][0]
    assert client.post(f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", {}).status_code == 204
    deconfliction = open_task(referral, "police_deconfliction")
    bad = client.post(
        f"/api/v1/tasks/{task_api_id(deconfliction.pk)}/complete/",
        {"outcome": "maybe"},
        format="json",
    )
    assert bad.status_code == 400 and "outcome" in bad.json()["errors"]
    assert not Deconfliction.objects.exists()
    good = client.post(
        f"/api/v1/tasks/{task_api_id(deconfliction.pk)}/complete/",
        {"outcome": "no_conflict"},
        format="json",
    )
    assert good.status_code == 204
    assert "police_gateway_checks" in open_tasks(referral)


def test_completing_a_task_answers_every_problem_at_once_as_the_page_does(people, referral, client):
    services.task_acknowledge(task=open_task(referral, "la_acknowledge"), user=people.la)
    services.la_initial_discussion_complete(
        task=open_task(referral, "la_initial_discussion"),
        user=people.la,
        held_on=referral.created_at.date(),
        summary="Held",
    )
    task = open_task(referral, "la_safeguarding_checks")
    url = f"/api/v1/tasks/{task_api_id(task.pk)}/complete/"
    partly = {"social_care": "Not known", "domestic_abuse_notes": " "}
    response = client_for(people.la).post(url, partly, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["type"] == "/api/problems/invalid"
    assert body["status"] == 400 and body["title"] == "Bad Request"
    assert response["Content-Type"] == "application/problem+json"
    assert body["errors"] == {
        "education": ["Enter the result of the education check"],
        "health": ["Enter the result of the health check"],
        "domestic_abuse_result": ["The domestic-abuse check is mandatory: select its result"],
        "domestic_abuse_notes": ["Record what was checked for domestic abuse and what was found"],
    }
    client.force_login(people.la)
    assert error_summary(client.post(f"/tasks/{task.pk}/", partly)) == body["errors"]
    empty = client_for(people.la).post(url, {}, format="json").json()
    assert set(empty["errors"]) == {*body["errors"], "social_care"}
    assert not SafeguardingChecks.objects.filter(referral=referral).exists()
    assert open_task(referral, "la_safeguarding_checks").status != "DONE"


def test_outsiders_cannot_claim_complete_or_assign(people, referral):
    task = open_task(referral, "police_acknowledge")
    for who in ("la", "police_other_region", "referrer", "compliance"):
        client = client_for(getattr(people, who))
        assert client.post(f"/api/v1/tasks/{task_api_id(task.pk)}/claim/").status_code == 404
        assert client.post(f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", {}).status_code == 404
        assigned = client.post(
            f"/api/v1/tasks/{task_api_id(task.pk)}/assign/", {"assignee": people.police.email}
        )
        assert assigned.status_code == 404
    assert open_task(referral, "police_acknowledge").owner is None


def test_adviser_assigns_through_the_api(people, referral):
    task = open_task(referral, "la_acknowledge")
    response = client_for(people.adviser).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/assign/",
        {"assignee": people.la2.email, "reason": "Cover"},
    )
    assert response.status_code == 200 and response.json()["owner"] == people.la2.email
    wrong_team = client_for(people.adviser).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/assign/", {"assignee": people.police.email}
    )
    assert wrong_team.status_code == 400 and "assignee" in wrong_team.json()["errors"]


@pytest.mark.parametrize(
    ("who", "path", "most"),
    [
        ("police", "/api/v1/cases/", 2),  # the page, and the audit of the list's read
        ("police", "/api/v1/tasks/", 1),
        ("referrer", "/api/v1/my-referrals/", 4),  # with the second-factor check's reads
    ],
)
def test_list_query_counts_do_not_grow(people, django_assert_max_num_queries, who, path, most):
    client = client_for(getattr(people, who))
    submit_referral(people.referrer)
    client.get(path)  # warm per-process caches (content types, flow nodes)
    with django_assert_max_num_queries(most) as few:
        assert client.get(path).status_code == 200
    for _ in range(8):
        submit_referral(people.referrer)
    with django_assert_max_num_queries(most) as many:
        response = client.get(path)
    assert len(response.json()["results"]) == 9
    assert len(many) == len(few)


def test_lists_page_by_cursor_newest_first(people):
    client = client_for(people.police)
    submitted = [submit_referral(people.referrer) for _ in range(3)]
    first = client.get("/api/v1/cases/", {"page_size": 2}).json()
    assert set(first) == {"next", "previous", "results"}
    assert first["previous"] is None and "cursor=" in first["next"]
    second = client.get(first["next"]).json()
    shown = [case["reference"] for case in first["results"] + second["results"]]
    assert shown == [referral.reference for referral in reversed(submitted)]
    assert second["next"] is None
    assert client.get("/api/v1/cases/", {"cursor": "not-a-cursor"}).status_code == 404


def test_the_inbox_and_the_unclaimed_queue(people, referral):
    client = client_for(people.police)
    task = open_task(referral, "police_acknowledge")
    assert client.get("/api/v1/tasks/?owner=me").json()["results"] == []
    unclaimed = client.get("/api/v1/tasks/?owner=nobody").json()["results"]
    assert [t["id"] for t in unclaimed] == [task_api_id(task.pk)]
    assert client.post(f"/api/v1/tasks/{task_api_id(task.pk)}/claim/").status_code == 200
    assert [t["id"] for t in client.get("/api/v1/tasks/?owner=me").json()["results"]] == [
        task_api_id(task.pk)
    ]
    assert client.get("/api/v1/tasks/?owner=nobody").json()["results"] == []
    assert client_for(people.police2).get("/api/v1/tasks/?owner=me").json()["results"] == []
    staged = client.get("/api/v1/tasks/?stage=police_acknowledge").json()["results"]
    assert [t["id"] for t in staged] == [task_api_id(task.pk)]
    assert client.get("/api/v1/tasks/?owner=everyone").status_code == 400
