"""Access follows the case, not the task: after a transfer to another region the old region's
people find nothing of the case, not even its completed tasks, and the new region's do."""

import pytest
from django.urls import reverse

from regions.models import LocalAuthority
from tests.cases import MANCHESTER, open_task
from workflows.engine.models import CaseTask
from workflows.engine.permissions import is_task_team_member
from workflows.referral import services


@pytest.fixture
def moved(people, referral):
    services.task_acknowledge(task=open_task(referral, "police_acknowledge"), user=people.police)
    services.case_transfer(
        referral=referral,
        user=people.adviser,
        to_local_authority=LocalAuthority.objects.get(code=MANCHESTER),
        reason="The family moved to Manchester",
    )
    referral.refresh_from_db()
    return referral


def _done_task_id(referral) -> int:
    return CaseTask.objects.get(referral=referral, stage="police_acknowledge", is_open=False).pk


@pytest.mark.parametrize("who", ["adviser", "police", "la"])
def test_the_old_region_cannot_open_a_completed_task(client, people, moved, who):
    client.force_login(getattr(people, who))
    task_id = _done_task_id(moved)
    for name in ("workflows:task", "workflows:pause", "workflows:resume"):
        response = client.get(reverse(name, args=[task_id]))
        assert response.status_code == 404, name
    assert (
        moved.first_name
        not in client.get(reverse("workflows:task", args=[task_id])).content.decode()
    )


def test_the_new_regions_adviser_sees_the_completed_task(client, people, moved):
    client.force_login(people.adviser_other_region)
    response = client.get(reverse("workflows:task", args=[_done_task_id(moved)]))
    assert response.status_code == 200
    assert "This task has been completed." in response.content.decode()


def test_open_tasks_moved_with_the_case(people, moved):
    open_task_row = CaseTask.objects.get(referral=moved, stage="police_deconfliction")
    assert open_task_row.team.region_id == moved.region_id
    assert is_task_team_member(people.police_other_region, open_task_row.task)
    assert not is_task_team_member(people.police, open_task_row.task)
