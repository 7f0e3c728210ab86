"""The API shows each person exactly what the pages show them: for every demo user, the cases
it lists are the case pages that open for them, and the tasks it lists are the tasks on their
"Your tasks" page."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from config.task_ids import task_pk
from referrals.models import Referral, ReferralStatus
from tests.clients import APIClient, Client

pytestmark = pytest.mark.django_db

TASK_LINK = re.compile(r'href="/tasks/(\d+)/"')


def _api_ids(api: APIClient, path: str, key: str) -> set[str] | None:
    """Every item of a cursor-paged list, following `next` to the end (None: refused)."""
    found: set[str] = set()
    url = f"{path}?page_size=200"
    while url:
        response = api.get(url)
        if response.status_code in (401, 403):
            return None
        assert response.status_code == 200, (path, response.content[:200])
        body = response.json()
        found |= {str(item[key]) for item in body["results"]}
        url = body["next"]
    return found


def _page_task_ids(client: Client) -> set[str] | None:
    found: set[str] = set()
    page = 1
    while True:
        response = client.get(f"/tasks/?page={page}")
        if response.status_code == 403:
            return None
        assert response.status_code == 200
        ids = set(TASK_LINK.findall(response.content.decode()))
        if not ids - found:
            return found
        found |= ids
        if f"?page={page + 1}" not in response.content.decode():
            return found
        page += 1


@pytest.fixture
def demo(regions_loaded):
    call_command("demo_data", password="a-demo-password-1", stdout=StringIO())


def test_every_demo_user_sees_the_same_cases_and_tasks_in_the_api_as_in_the_pages(demo):
    cases = list(Referral.objects.exclude(status=ReferralStatus.DRAFT))
    assert len(cases) >= 10
    checked = 0
    for user in User.objects.filter(is_active=True).order_by("email"):
        client, api = Client(), APIClient()
        client.force_login(user)
        api.force_login(user)
        opened = {
            str(case.public_id)
            for case in cases
            if client.get(f"/cases/{case.public_id}/").status_code == 200
        }
        listed = _api_ids(api, "/api/v1/cases/", "id") or set()
        assert listed == opened, user.email
        page_tasks = _page_task_ids(client)
        api_tasks = {str(task_pk(i)) for i in _api_ids(api, "/api/v1/tasks/", "id") or set()}
        assert api_tasks == (page_tasks or set()), user.email
        checked += bool(opened) + bool(page_tasks)
    assert checked >= 10  # the comparison was about something for many of them
