"""How many queries a write makes, and that every record it owes is still written.

A submission writes the referral, its reference, routing, grants to three teams, the process
and its first two tasks (each with its queue row, grants, audit event and notice), four audit
events and three emails; an acknowledgement closes one task and opens the next. Grants are one
INSERT a call, queue rows one UPDATE, the notices of one operation one INSERT, its audit
events one INSERT (sealed into the chain after commit, compliance/audit.py). Most of what is
left is Viewflow's own bookkeeping (a row per node). Each test warms the per-process caches
(content types, permission ids, this year's reference sequence) with a first write, then
measures a second.
"""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse
from guardian.models import GroupObjectPermission
from viewflow.workflow.models import Task

from compliance.models import AuditEvent
from notifications.models import Notification
from referrals.models import Referral
from regions.selectors import route_local_authority
from tests.cases import CAMDEN, SubmittedCaseFactory, open_task
from tests.factories import DraftReferralFactory, ReferrerFactory, postcodes_load
from workflows.engine.permissions import is_task_team_member
from workflows.referral import services
from workflows.referral.intake import referral_submit

# The most queries each may make, as measured, counting the savepoint pair the test's own
# transaction adds (so 38 and 16 in production). SQLite makes one more: it has no sequences,
# so the year's reference is counted in a row. Before the engine's bulk writes: 137 and 55;
# before the sealed chain and one INSERT for an operation's audit events: 70 and 35; before
# task access was read from the queue row, routing took one query and a process start no
# longer locked the row it had just inserted: 49 and 27. What is left is mostly Viewflow's own
# bookkeeping (a task row, a link row and an update per node, a savepoint per function node).
SUBMISSION_MAX = 40 + (connection.vendor == "sqlite")
SUBMISSION_PAGE_MAX = SUBMISSION_MAX + 7  # the session, the user, the draft and the token
TRANSITION_MAX = 18
TRANSITION_PAGE_MAX = TRANSITION_MAX + 13  # the session, the user and the task page's reads


@pytest.fixture
def referrer(people):
    postcodes_load()
    return ReferrerFactory(full_name="Sam Safeguarding", organisation="Example Academy")


def _grants(obj) -> set[tuple[str, int]]:
    rows = GroupObjectPermission.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk)
    )
    return {(row.permission.codename, row.group_id) for row in rows}


def _submitted_records_are_all_there(referral: Referral, referrer) -> None:
    route = route_local_authority(CAMDEN)
    assert _grants(referral) == {
        ("view_referral", team.group_id)
        for team in (route.ctp_team, route.la_team, route.regional_team)
    }
    tasks = {ct.stage: ct for ct in referral.case_tasks.select_related("task", "team")}
    assert set(tasks) == {"police_acknowledge", "la_acknowledge"}
    assert {(stage, ct.team_id, ct.is_open) for stage, ct in tasks.items()} == {
        ("police_acknowledge", route.ctp_team.pk, True),
        ("la_acknowledge", route.la_team.pk, True),
    }
    for case_task in tasks.values():
        assert _grants(case_task.task) == set(), "the queue row says who works it, not a grant"
    events = AuditEvent.objects.filter(case_reference=referral.reference)
    assert sorted(events.values_list("action", flat=True)) == [
        "case.routed",
        "referral.submitted",
        "task.created",
        "task.created",
    ]
    notices = Notification.objects.filter(case_reference=referral.reference)
    assert sorted(notices.values_list("kind", flat=True)) == [
        "referral_receipt",
        "task_created",
        "task_created",
    ]
    assert notices.get(kind="referral_receipt").to == [referrer.email]
    police = notices.get(dedupe_key=f"task-created:{tasks['police_acknowledge'].task_id}")
    members = route.ctp_team.members.values_list("email", flat=True)
    assert police.to == sorted({route.ctp_team.email, *members} - {""}) and police.to


def test_a_submission_through_the_service(referrer, django_assert_max_num_queries):
    referral_submit(
        user=referrer,
        referral=DraftReferralFactory(created_by=referrer),
        declaration_confirmed=True,
    )
    draft = DraftReferralFactory(created_by=referrer)
    with django_assert_max_num_queries(SUBMISSION_MAX):
        referral = referral_submit(user=referrer, referral=draft, declaration_confirmed=True)
    _submitted_records_are_all_there(referral, referrer)


def test_a_submission_through_the_journeys_final_post(
    client, referrer, django_assert_max_num_queries
):
    referral_submit(
        user=referrer,
        referral=DraftReferralFactory(created_by=referrer),
        declaration_confirmed=True,
    )
    draft = DraftReferralFactory(created_by=referrer)
    client.force_login(referrer)
    url = reverse("referrals:declaration", args=[draft.public_id])
    token = re.search(
        r'name="submission_token" value="([^"]+)"', client.get(url).content.decode()
    ).group(1)
    with django_assert_max_num_queries(SUBMISSION_PAGE_MAX):
        response = client.post(url, {"confirm": "on", "submission_token": token})
    assert response.status_code == 302
    _submitted_records_are_all_there(Referral.objects.get(pk=draft.pk), referrer)


def _last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _acknowledged_records_are_all_there(referral, task, people, since: int) -> None:
    task.refresh_from_db()
    assert task.status == "DONE" and task.owner_id == people.police.pk
    assert not referral.case_tasks.get(task=task).is_open
    assert not is_task_team_member(people.police, Task.objects.get(pk=task.pk))
    following = open_task(referral, "police_deconfliction")
    assert following.case.team_id == route_local_authority(CAMDEN).ctp_team.pk
    assert following.case.is_open and is_task_team_member(people.police, following)
    assert _grants(following) == set()
    events = AuditEvent.objects.filter(pk__gt=since, case_reference=referral.reference)
    assert sorted(events.values_list("action", "object_id")) == [
        ("task.completed", str(task.pk)),
        ("task.created", str(following.pk)),
    ]
    assert Notification.objects.filter(dedupe_key=f"task-created:{following.pk}").exists()


def test_a_transition_through_the_service(people, django_assert_max_num_queries):
    warm = SubmittedCaseFactory(people=people)
    services.task_acknowledge(task=open_task(warm, "police_acknowledge"), user=people.police)
    referral = SubmittedCaseFactory(people=people)
    task = open_task(referral, "police_acknowledge")
    since = _last_event()
    with django_assert_max_num_queries(TRANSITION_MAX):
        services.task_acknowledge(task=task, user=people.police)
    _acknowledged_records_are_all_there(referral, task, people, since)


def test_a_transition_through_the_task_page(client, people, django_assert_max_num_queries):
    warm = SubmittedCaseFactory(people=people)
    services.task_acknowledge(task=open_task(warm, "police_acknowledge"), user=people.police)
    referral = SubmittedCaseFactory(people=people)
    task = open_task(referral, "police_acknowledge")
    client.force_login(people.police)
    since = _last_event()
    with django_assert_max_num_queries(TRANSITION_PAGE_MAX):
        response = client.post(reverse("workflows:task", args=[task.pk]), {"note": ""})
    assert response.status_code == 302, response.content.decode()[:400]
    _acknowledged_records_are_all_there(referral, Task.objects.get(pk=task.pk), people, since)
