"""Each role's allowed and refused actions on tasks, claiming races, assignment and transfer."""

import threading

import pytest
from django.db import connection
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.roles import Role
from config.errors import ApplicationError, PermissionDenied
from regions.models import LocalAuthority
from tests.cases import MANCHESTER, WESTMINSTER, make_user, open_task, submit_referral
from workflows.engine import services as engine
from workflows.engine.permissions import VIEW_CASE, is_task_team_member
from workflows.models import CaseTask
from workflows.referral import services

OUTSIDERS = [
    "police_other_region",
    "la_other_la",
    "referrer",
    "westminster_la",
    "compliance",
    "adviser_other_region",
    "panel",
]


@pytest.mark.parametrize("who", OUTSIDERS + ["la"])
def test_outsiders_cannot_claim_or_complete_police_work(people, referral, who):
    user = getattr(people, who)
    task = open_task(referral, "police_acknowledge")
    with pytest.raises(PermissionDenied):
        engine.task_claim(task=task, user=user)
    with pytest.raises(PermissionDenied):
        services.task_acknowledge(task=task, user=user)
    assert Task.objects.get(pk=task.pk).status == STATUS.NEW


@pytest.mark.parametrize("who", OUTSIDERS + ["police"])
def test_outsiders_cannot_complete_la_work(people, referral, who):
    task = open_task(referral, "la_acknowledge")
    with pytest.raises(PermissionDenied):
        services.task_acknowledge(task=task, user=getattr(people, who))


@pytest.mark.parametrize(
    ("who", "stage"),
    [("police", "police_acknowledge"), ("police2", "police_acknowledge"), ("la", "la_acknowledge")],
)
def test_team_members_can_claim_and_complete(people, referral, who, stage):
    user = getattr(people, who)
    task = open_task(referral, stage)
    engine.task_claim(task=task, user=user)
    assert Task.objects.get(pk=task.pk).owner == user
    services.task_acknowledge(task=Task.objects.get(pk=task.pk), user=user)
    assert Task.objects.get(pk=task.pk).status == STATUS.DONE
    assert not is_task_team_member(user, Task.objects.get(pk=task.pk))  # revoked on completion


def test_claimed_task_cannot_be_completed_by_a_colleague(people, referral):
    task = open_task(referral, "police_acknowledge")
    engine.task_claim(task=task, user=people.police)
    with pytest.raises(ApplicationError, match="already been claimed"):
        engine.task_claim(task=Task.objects.get(pk=task.pk), user=people.police2)
    with pytest.raises(ApplicationError, match="assigned to"):
        services.task_acknowledge(task=Task.objects.get(pk=task.pk), user=people.police2)


def test_adviser_assigns_many_and_reassigns_to_cover_absence(people):
    referrals = [submit_referral(people.referrer) for _ in range(3)]
    tasks = [open_task(r, "police_acknowledge") for r in referrals]
    assert engine.tasks_assign(tasks=tasks, assignee=people.police, user=people.adviser) == 3
    assert {Task.objects.get(pk=t.pk).owner for t in tasks} == {people.police}
    reloaded = [Task.objects.get(pk=t.pk) for t in tasks]
    engine.tasks_assign(
        tasks=reloaded, assignee=people.police2, user=people.adviser, reason="Cover for leave"
    )
    assert {Task.objects.get(pk=t.pk).owner for t in tasks} == {people.police2}


@pytest.mark.parametrize("who", ["adviser_other_region", "police", "la", "referrer"])
def test_only_the_regions_adviser_may_assign(people, referral, who):
    with pytest.raises(PermissionDenied):
        engine.tasks_assign(
            tasks=[open_task(referral, "police_acknowledge")],
            assignee=people.police,
            user=getattr(people, who),
        )


def test_assignee_must_be_in_the_owning_team(people, referral):
    with pytest.raises(ApplicationError, match="is not in"):
        engine.tasks_assign(
            tasks=[open_task(referral, "police_acknowledge")],
            assignee=people.la,
            user=people.adviser,
        )
    assert open_task(referral, "police_acknowledge").owner is None


def test_unclaim_by_owner_or_adviser_only(people, referral):
    task = open_task(referral, "la_acknowledge")
    engine.task_claim(task=task, user=people.la)
    with pytest.raises(PermissionDenied):
        engine.task_unclaim(task=Task.objects.get(pk=task.pk), user=people.la2)
    engine.task_unclaim(task=Task.objects.get(pk=task.pk), user=people.adviser)
    assert Task.objects.get(pk=task.pk).owner is None


@pytest.mark.django_db(transaction=True)
def test_two_users_claiming_at_once_exactly_one_succeeds(regions_loaded, people):
    referral = submit_referral(people.referrer)
    task_id = open_task(referral, "police_acknowledge").pk
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def claim(user):
        try:
            barrier.wait()
            engine.task_claim(task=Task.objects.get(pk=task_id), user=user)
            results[user.email] = "claimed"
        except ApplicationError as exc:
            results[user.email] = exc.message
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in (people.police, people.police2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2
    assert list(results.values()).count("claimed") == 1
    assert any("already been claimed" in r for r in results.values())
    assert Task.objects.get(pk=task_id).owner.email in results


def test_transfer_moves_permissions_and_tasks(people, referral):
    engine.task_claim(task=open_task(referral, "la_acknowledge"), user=people.la)
    police_task = open_task(referral, "police_acknowledge")
    engine.task_claim(task=police_task, user=people.police)
    westminster = LocalAuthority.objects.get(code=WESTMINSTER)
    services.case_transfer(
        referral=referral,
        user=people.adviser,
        to_local_authority=westminster,
        reason="Family moved to Westminster",
    )
    referral.refresh_from_db()
    assert referral.local_authority == westminster
    la_task = open_task(referral, "la_acknowledge")
    assert not people.la.has_perm(VIEW_CASE, referral)
    assert not is_task_team_member(people.la, la_task)
    assert people.westminster_la.has_perm(VIEW_CASE, referral)
    assert is_task_team_member(people.westminster_la, la_task)
    assert la_task.owner is None  # Camden's lead is not in Westminster's team
    assert open_task(referral, "police_acknowledge").owner == people.police  # same CT region
    assert CaseTask.objects.get(task=la_task).local_authority == westminster


def test_transfer_to_another_region_moves_police_and_adviser_access(people, referral):
    manchester = LocalAuthority.objects.get(code=MANCHESTER)
    services.case_transfer(
        referral=referral, user=people.adviser, to_local_authority=manchester, reason="Moved north"
    )
    for user in (people.police, people.adviser, people.la):
        assert not user.has_perm(VIEW_CASE, referral)
    for user in (people.police_other_region, people.adviser_other_region, people.la_other_la):
        assert user.has_perm(VIEW_CASE, referral)
    assert is_task_team_member(
        people.police_other_region, open_task(referral, "police_acknowledge")
    )


@pytest.mark.parametrize("who", ["police", "la", "adviser_other_region", "referrer"])
def test_transfer_refused_to_non_advisers(people, referral, who):
    westminster = LocalAuthority.objects.get(code=WESTMINSTER)
    with pytest.raises(PermissionDenied):
        services.case_transfer(
            referral=referral, user=getattr(people, who), to_local_authority=westminster, reason="x"
        )


def test_transfer_needs_a_reason(people, referral):
    westminster = LocalAuthority.objects.get(code=WESTMINSTER)
    with pytest.raises(ApplicationError) as error:
        services.case_transfer(
            referral=referral, user=people.adviser, to_local_authority=westminster, reason=""
        )
    assert error.value.field == "reason"


def test_new_team_member_gains_access_to_open_tasks(people, referral):
    newcomer = make_user("new@police.example", Role.CTP_PREVENT_OFFICER, *people.police.teams.all())
    assert is_task_team_member(newcomer, open_task(referral, "police_acknowledge"))
    assert not is_task_team_member(newcomer, open_task(referral, "la_acknowledge"))
