"""Bad input is refused plainly: control characters with a 400 (a GOV.UK page, or JSON under
/api/), ids that are not ids with a 404, and one 404 answer whether an object is missing or
outside the user's reach."""

import json
import re
import uuid

import pytest
from django.urls import reverse

from compliance.models import AuditEvent
from config.errors import NOT_FOUND
from config.task_ids import task_api_id
from tests.cases import error_summary, open_task
from tests.clients import APIClient
from workflows.referral import services
from workflows.referral.models import CaseNote

# The one 404 answer, whether Django's URL resolver or an API view gives it.
NOT_FOUND_PROBLEM = {
    "type": "/api/problems/not_found",
    "title": "Not Found",
    "status": 404,
    "detail": NOT_FOUND,
    "code": "not_found",
}


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- Control characters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/cases/%00/",
        "/compliance/complaints/CMP%00/",
        "/tasks/1%01/",
        "/referrals/?page=1%00",
        "/compliance/audit/?actor=a%1bb",
    ],
)
def test_a_control_character_in_the_address_is_a_gov_uk_400(client, people, url):
    client.force_login(people.police)
    response = client.get(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem with what was sent" in page
    assert "govuk-heading-l" in page


def test_a_nul_byte_in_a_form_is_refused_and_nothing_is_saved(client, people, referral):
    client.force_login(people.police)
    response = client.post(reverse("workflows:note", args=[referral.public_id]), {"text": "a\x00b"})
    assert response.status_code == 400
    assert not CaseNote.objects.exists()


def test_tabs_and_new_lines_in_answers_are_fine(client, people, referral):
    client.force_login(people.police)
    response = client.post(
        reverse("workflows:note", args=[referral.public_id]),
        {"kind": CaseNote.Kind.values[0], "text": "One\tTwo\r\nThree\n"},
    )
    assert response.status_code == 302
    assert CaseNote.objects.get().text.startswith("One\tTwo")


@pytest.mark.parametrize(
    "body",
    [
        '{"note": "a\\u0000b"}',
        '{"note": "a\\u001bb"}',
        '{"note": "\\ud800"}',
        '{"a\\u0000": "key"}',
        '{"nested": [{"deep": "\\u0000"}]}',
    ],
)
def test_the_api_refuses_control_characters_and_half_surrogates_with_json(people, referral, body):
    task = open_task(referral, "police_acknowledge")
    before = AuditEvent.objects.count()
    response = api_client(people.police).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["code"] == "bad_request"
    assert AuditEvent.objects.count() == before


def test_unreadable_json_is_the_apis_own_400(people, referral):
    task = open_task(referral, "police_acknowledge")
    response = api_client(people.police).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/",
        "{not json",
        content_type="application/json",
    )
    assert response.status_code == 400


# --- Ids that are not ids ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "task_id",
    ["abc", "-1", "1.5", "１２", "9" * 19, "9" * 40, "\u202e12", "12", "tsk_", "tsk_aaaaaaaaaaaa"],
)
@pytest.mark.parametrize("action", ["claim", "unclaim", "assign", "complete"])
def test_the_api_answers_404_to_a_task_id_that_is_not_one(people, referral, task_id, action):
    for body in ({"assignee": None}, {"assignee": True}, {}):
        response = api_client(people.adviser).post(
            f"/api/v1/tasks/{task_id}/{action}/", body, format="json"
        )
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert json.loads(response.content) == NOT_FOUND_PROBLEM


@pytest.mark.parametrize("path", ["tasks/{}/", "tasks/{}/pause/", "channel/meetings/{}/"])
@pytest.mark.parametrize("task_id", ["9" * 19, "9" * 40, "-1", "１２"])
def test_a_page_answers_404_to_an_id_beyond_64_bits(client, people, path, task_id):
    client.force_login(people.adviser)
    assert client.get("/" + path.format(task_id)).status_code == 404


def test_the_api_assignee_must_be_an_email_address(people, referral):
    task = open_task(referral, "police_acknowledge")
    for assignee in (None, True, 12, ["a@b.c"]):
        response = api_client(people.adviser).post(
            f"/api/v1/tasks/{task_api_id(task.pk)}/assign/", {"assignee": assignee}, format="json"
        )
        assert response.status_code == 400, assignee
        assert "assignee" in response.json()["errors"]


def test_the_api_assignment_reason_has_the_pages_limit_and_never_reaches_the_audit(
    people, referral
):
    task = open_task(referral, "police_acknowledge")
    before = AuditEvent.objects.count()
    response = api_client(people.adviser).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/assign/",
        {"assignee": people.police.email, "reason": "x" * 2_000_000},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": ["Reason must be 200 characters or fewer"]}
    assert AuditEvent.objects.count() == before


def test_a_two_megabyte_note_is_refused_by_the_api(people, referral):
    task = open_task(referral, "police_acknowledge")
    response = api_client(people.police).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", {"note": "n" * 2_000_000}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["note"] == ["Notes must be 10,000 characters or fewer"]
    assert not AuditEvent.objects.filter(action="task.completed").exists()


# --- One 404 -----------------------------------------------------------------------------------


def test_a_missing_task_and_one_out_of_reach_get_the_same_404(people, referral):
    task = open_task(referral, "police_acknowledge")
    outsider = api_client(people.police_other_region)
    for action in ("claim", "unclaim", "assign", "complete"):
        missing = outsider.post(f"/api/v1/tasks/{task_api_id(999999)}/{action}/", {}, format="json")
        hidden = outsider.post(f"/api/v1/tasks/{task_api_id(task.pk)}/{action}/", {}, format="json")
        assert missing.status_code == hidden.status_code == 404, action
        assert missing.content == hidden.content, action
    missing, hidden = (
        outsider.get(f"/api/v1/tasks/{task_api_id(999999)}/"),
        outsider.get(f"/api/v1/tasks/{task_api_id(task.pk)}/"),
    )
    assert missing.status_code == hidden.status_code == 404
    assert missing.content == hidden.content


def test_a_missing_case_and_one_out_of_reach_get_the_same_404(client, people, referral):
    outsider = api_client(people.police_other_region)
    missing = outsider.get(f"/api/v1/cases/{uuid.uuid4()}/")
    hidden = outsider.get(f"/api/v1/cases/{referral.public_id}/")
    assert missing.status_code == hidden.status_code == 404
    assert missing.content == hidden.content
    client.force_login(people.police_other_region)
    pages = [
        client.get(reverse("workflows:case", args=[case_id]))
        for case_id in (uuid.uuid4(), referral.public_id)
    ]
    assert [p.status_code for p in pages] == [404, 404]
    assert _without_csrf(pages[0]) == _without_csrf(pages[1])


def _without_csrf(response) -> str:
    """A page's HTML without its per-request CSRF token (the sign-out form's)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode())


def test_an_address_the_api_does_not_have_is_the_apis_own_404_problem(people):
    response = api_client(people.police).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content) == NOT_FOUND_PROBLEM


def test_an_overlong_answer_beside_valid_ones_is_a_field_error(client, people, referral):
    """The rules are rehearsed on the answers that could be read; an unreadable text answer
    reaches them as empty text, never as nothing."""
    services.task_acknowledge(task=open_task(referral, "police_acknowledge"), user=people.police)
    task = open_task(referral, "police_deconfliction")
    answers = {"outcome": "no_conflict", "notes": "n" * 10_001}
    response = api_client(people.police).post(
        f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", answers, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["notes"] == ["Notes must be 10,000 characters or fewer"]
    client.force_login(people.police)
    page = client.post(f"/tasks/{task.pk}/", answers)
    assert page.status_code == 200
    assert error_summary(page) == {"notes": ["Notes must be 10,000 characters or fewer"]}
