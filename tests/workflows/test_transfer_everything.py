"""Access follows the case, always: at every stage, a transfer to another local authority (in the
same region, then in another region) takes every address of the case away from the teams it
leaves and gives the teams it joins exactly the access the old ones had.

Each case is built by the per-state factories, with a supporting document, a possible earlier
referral, a panel meeting with the case on its agenda and a commissioned provider where the
stage has them. Every address of the case is collected: the case page and its actions, every
task (open or done) with its clock pages, its Channel page and its API record, the Channel case
pages, intervention sessions, the document, the API case, and the POST-only actions. Before the
transfer each old team member's answer is recorded; after it, whoever left the case gets 404 on
every one, POSTs included, and their opposite number in the new area gets what they had. No
object permission of the old teams, or of the provider, is left on anything of the case.
"""

from dataclasses import dataclass

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermission, UserObjectPermission
from viewflow.workflow.models import Task

from accounts.models import User
from accounts.roles import Role
from config.task_ids import task_api_id
from referrals.models import Attachment, PossibleDuplicate, Referral
from regions.models import LocalAuthority
from regions.selectors import route_local_authority
from regions.services import team_add_member
from tests.cases import (
    CAMDEN,
    MANCHESTER,
    WESTMINSTER,
    BranchesJoinedFactory,
    ChannelAdoptedCaseFactory,
    ChannelCaseFactory,
    InSupportFactory,
    SubmittedCaseFactory,
    ThresholdMetCaseFactory,
    make_chair,
    make_user,
    review,
    submit_referral,
)
from tests.clients import Client
from workflows.channel import services as channel
from workflows.channel.flows import ChannelFlow
from workflows.channel.models import AgendaItem, Intervention
from workflows.engine.models import CaseTask
from workflows.referral import services

ROLES = ("police", "la", "adviser", "panel")


@dataclass
class Area:
    """The people of one local authority's teams: its police, LA lead (who chairs the panel),
    regional adviser and a panel member."""

    police: User
    la: User
    adviser: User
    panel: User

    def of(self, role: str) -> User:
        return getattr(self, role)


@pytest.fixture
def areas(people):
    def chair(code: str, user: User) -> User:
        team_add_member(team=route_local_authority(code).channel_panel, user=user)
        return user

    westminster = route_local_authority(WESTMINSTER)
    manchester = route_local_authority(MANCHESTER)
    return {
        "camden": Area(people.police, make_chair(people), people.adviser, people.panel),
        "westminster": Area(
            people.police,  # the same region: the same police and advisers
            chair(WESTMINSTER, people.westminster_la),
            people.adviser,
            make_user(
                "panel@westminster.example", Role.CHANNEL_PANEL_MEMBER, westminster.channel_panel
            ),
        ),
        "manchester": Area(
            people.police_other_region,
            chair(MANCHESTER, people.la_other_la),
            people.adviser_other_region,
            make_user(
                "panel@manchester.example", Role.CHANNEL_PANEL_MEMBER, manchester.channel_panel
            ),
        ),
    }


@pytest.fixture
def provider(db):
    return make_user("mentor@provider.example", Role.INTERVENTION_PROVIDER)


AT_CHANNEL = ("channel", "channel_adopted", "in_support", "exited")
STATES = {
    "submitted": SubmittedCaseFactory,
    "branches_joined": BranchesJoinedFactory,
    "threshold_met": ThresholdMetCaseFactory,
    "channel": ChannelCaseFactory,
    "channel_adopted": ChannelAdoptedCaseFactory,
    "in_support": InSupportFactory,
    "exited": InSupportFactory,  # carried to exit below, after a provider is commissioned
}


def _case_at(state: str, people, areas, provider) -> Referral:
    """A Camden case at `state`, with everything a case can have at that stage."""
    referral = STATES[state](people=people)
    if state in ("in_support", "exited"):
        channel.intervention_add(
            referral=referral,
            user=people.panel,
            kind="mentoring",
            description="Mentoring by a commissioned provider",
            owner=people.la,
            provider=provider,
        )
    if state == "exited":
        review(referral, people.la, "exit")
    if hasattr(referral, "channel_process"):
        meeting = channel.panel_meeting_create(
            panel=route_local_authority(CAMDEN).channel_panel,
            user=areas["camden"].la,
            meets_on=timezone.localdate(),
        )
        channel.agenda_add(meeting=meeting, referral=referral, purpose="review", user=people.la)
    stored = default_storage.save(f"attachments/{referral.pk}.txt", ContentFile(b"notes"))
    Attachment.objects.create(
        referral=referral,
        file=stored,
        original_name="notes.txt",
        content_type="text/plain",
        size=5,
        sha256="0" * 64,
        uploaded_by=people.referrer,
    )
    PossibleDuplicate.objects.create(
        referral=referral, earlier=submit_referral(people.other_referrer), score=0.9
    )
    referral.refresh_from_db()
    return referral


def _pages(referral: Referral) -> list[str]:
    """Every address of the case that answers GET."""
    case = referral.public_id
    urls = [reverse("workflows:case", args=[case])]
    urls += [
        reverse(f"workflows:{name}", args=[case])
        for name in (
            "deconfliction",
            "note",
            "initial_discussion",
            "home_visit_assessment",
            "home_visit",
            "transfer",
            "ask_referrer",
        )
    ]
    urls += [
        reverse("workflows:duplicate", args=[case, duplicate.pk])
        for duplicate in referral.possible_duplicates.all()
    ]
    for case_task in CaseTask.objects.filter(referral=referral).select_related("task"):
        task_id = case_task.task_id
        urls += [
            reverse(f"workflows:{name}", args=[task_id]) for name in ("task", "pause", "resume")
        ]
        urls.append(f"/api/v1/tasks/{task_api_id(task_id)}/")
        if case_task.task.flow_task.flow_class is ChannelFlow:
            urls.append(reverse("channel:task", args=[task_id]))
    if hasattr(referral, "channel_process"):
        urls += [
            reverse("channel:consent_withdraw", args=[case]),
            reverse("channel:intervention_add", args=[case]),
        ]
    urls += [
        reverse("referrals:attachment_download", args=[case, attachment.public_id])
        for attachment in referral.attachments.all()
    ]
    urls.append(f"/api/v1/cases/{case}/")
    return urls


def _sessions(referral: Referral, **only) -> list[str]:
    return [
        reverse("channel:session", args=[intervention.pk])
        for intervention in Intervention.objects.filter(plan__referral=referral, **only)
    ]


def _actions(referral: Referral) -> list[str]:
    """The POST-only addresses: claiming, releasing, assigning and completing. They look a task
    up as the pages do, so they are tried on the case's first open task and first done one."""
    tasks = CaseTask.objects.filter(referral=referral).order_by("pk")
    sample = [
        t.task_id
        for t in (tasks.filter(is_open=True).first(), tasks.filter(is_open=False).first())
        if t
    ]
    urls = []
    for task_id in sample:
        urls += [reverse(f"workflows:{name}", args=[task_id]) for name in ("claim", "unclaim")]
        urls += [
            f"/api/v1/tasks/{task_api_id(task_id)}/{name}/"
            for name in ("claim", "unclaim", "assign", "complete")
        ]
    return urls


_clients: dict[int, Client] = {}


def _client(user: User) -> Client:
    """One signed-in client per person (signing in again for every request is slow)."""
    if user.pk not in _clients:
        _clients[user.pk] = Client()
        _clients[user.pk].force_login(user)
    return _clients[user.pk]


@pytest.fixture(autouse=True)
def _fresh_clients():
    _clients.clear()
    yield
    _clients.clear()


def _status(user: User, url: str, method: str = "get") -> int:
    client = _client(user)
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, {"assignee": user.email}, content_type="application/json")
    if response.streaming:
        b"".join(response.streaming_content)  # a document: read it, so the file is closed
    return response.status_code


def _answers(area: Area, urls: list[str], *, at_channel: bool) -> dict[tuple[str, str], int]:
    """Each role's answer on each address. Before Channel the panel has no grant on the case
    at all: its answer is the case page's 404, everywhere."""
    answers = {}
    for role in ROLES:
        if role == "panel" and not at_channel:
            assert _status(area.panel, urls[0]) == 404
            answers.update({(role, url): 404 for url in urls})
            continue
        answers.update({(role, url): _status(area.of(role), url) for url in urls})
    return answers


def _lists_without(user: User, referral: Referral, meetings: list[str]) -> None:
    """No list the user can open shows the case any more."""
    for url in ["/tasks/", "/queue/", "/channel/", "/api/v1/cases/", "/api/v1/tasks/", *meetings]:
        response = _client(user).get(url)
        assert response.status_code in (200, 403, 404), url
        assert referral.reference not in response.content.decode(), (user.email, url)


def _grants_left(referral: Referral, groups, users) -> list:
    """Object permissions of these groups or users on the case, its tasks or interventions."""
    objects = {
        Referral: [referral.pk],
        Task: list(CaseTask.objects.filter(referral=referral).values_list("task_id", flat=True)),
        Intervention: list(
            Intervention.objects.filter(plan__referral=referral).values_list("pk", flat=True)
        ),
    }
    left = []
    for model, pks in objects.items():
        on = {
            "content_type": ContentType.objects.get_for_model(model),
            "object_pk__in": [str(pk) for pk in pks],
        }
        left += list(GroupObjectPermission.objects.filter(group__in=groups, **on))
        left += list(UserObjectPermission.objects.filter(user__in=users, **on))
    return left


def _team_groups(code: str) -> set:
    route = route_local_authority(code)
    return {team.group for team in route.teams}


def _transfer(referral: Referral, user: User, code: str) -> Referral:
    services.case_transfer(
        referral=referral,
        user=user,
        to_local_authority=LocalAuthority.objects.get(code=code),
        reason="The family moved",
    )
    referral.refresh_from_db()
    return referral


def _clock_pages(urls: list[str]) -> list[str]:
    return [url for url in urls if url.endswith(("/pause/", "/resume/"))]


def _check_moved(
    *, before, pages, actions, sessions, leaving: Area, joining: Area, checked_before=()
) -> None:
    """`leaving` lost every address (POSTs too); `joining` opens what `leaving` could open,
    with the same answer (200, or 403 for an action their role may not take).

    Roles in `checked_before` already showed, on an earlier transfer, that the same rule takes
    every address from them: here their clock pages (the same lookup as the task page) are
    left out, to keep the test quick."""
    for role in ROLES:
        old, new = leaving.of(role), joining.of(role)
        opened = [url for url in pages if before[(role, url)] != 404]
        if old == new:  # the same team on both sides (a move within the region)
            for url in opened[:3]:
                assert _status(new, url) == before[(role, url)], (role, url)
            continue
        skipped = _clock_pages(pages) if role in checked_before else []
        for url in [url for url in pages if url not in skipped] + sessions:
            assert _status(old, url) == 404, (old.email, url)
        for url in actions:
            assert _status(old, url, "post") == 404, (old.email, url)
        for url in opened:
            assert _status(new, url) == before[(role, url)], (new.email, url)


@pytest.mark.parametrize("state", list(STATES))
def test_a_transfer_moves_every_address_of_the_case(
    people, areas, provider, private_storage, state
):
    referral = _case_at(state, people, areas, provider)
    pages, actions, sessions = _pages(referral), _actions(referral), _sessions(referral)
    meetings = [
        reverse("channel:meeting", args=[pk])
        for pk in AgendaItem.objects.filter(referral=referral).values_list("meeting", flat=True)
    ]
    camden, westminster, manchester = areas["camden"], areas["westminster"], areas["manchester"]
    before = _answers(camden, pages, at_channel=state in AT_CHANNEL)
    assert before[("police", pages[0])] == 200 and before[("la", pages[0])] == 200
    if state == "in_support":  # the owner records sessions, and the provider on theirs
        assert {_status(camden.la, url) for url in sessions} == {200}
        assert _status(provider, _sessions(referral, provider=provider)[0]) == 200
    opened = {url for (_, url), status in before.items() if status == 200}
    assert len(opened) > len(pages) // 2, "most addresses open to someone before the transfer"

    # Within the region: Camden's LA and panel, and the provider, lose it; Westminster's gain.
    _transfer(referral, people.adviser, WESTMINSTER)
    _check_moved(
        before=before,
        pages=pages,
        actions=actions,
        sessions=sessions,
        leaving=camden,
        joining=westminster,
    )
    for url in sessions:
        assert _status(provider, url) == 404
    for user in (camden.la, camden.panel, provider):
        _lists_without(user, referral, meetings)
    assert not _grants_left(
        referral, _team_groups(CAMDEN) - _team_groups(WESTMINSTER), [provider, camden.la]
    )

    # To another region: everyone in London loses it; Manchester's teams gain it.
    _transfer(referral, people.adviser, MANCHESTER)
    _check_moved(
        before=before,
        pages=pages,
        actions=actions,
        sessions=sessions,
        leaving=westminster,
        joining=manchester,
        checked_before=("la", "panel"),
    )
    for user in (camden.police, camden.adviser, westminster.la, westminster.panel):
        _lists_without(user, referral, meetings)
    assert not _grants_left(referral, _team_groups(CAMDEN) | _team_groups(WESTMINSTER), [provider])
    for role in ROLES:
        listed = _client(manchester.of(role)).get("/api/v1/cases/").content.decode()
        assert (referral.reference in listed) == (role != "panel" or state in AT_CHANNEL), role
