"""Who may see and do what on a case and its tasks: one named predicate per rule.

Each rule is a django-rules predicate, so pages, the API, services and templates ask the same
question by the same name (`rules.test_rule("is_case_police", user, referral)` or the
predicate itself), and each rule that also filters lists has its queryset twin beside it.
Sight of a case comes from django-guardian grants that follow the case's *current* routing;
team membership decides what a user may do.
"""

from dataclasses import dataclass, field

import rules
from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from compliance.selectors import break_glass_live_grants, is_compliance_officer
from referrals.models import Referral
from referrals.permissions import VIEW_REFERRAL, can_view_case
from regions.models import Team, TeamMembership
from regions.selectors import route_local_authority

from .models import CaseTask

VIEW_CASE = VIEW_REFERRAL


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_member(user, team_id: int) -> bool:
    return _signed_in(user) and TeamMembership.objects.filter(user=user, team_id=team_id).exists()


def team_ids_of(user) -> set[int]:
    if not _signed_in(user):
        return set()
    return set(TeamMembership.objects.filter(user=user).values_list("team_id", flat=True))


def adviser_region_ids(user) -> list[int]:
    """Regions in which the user is a regional Prevent adviser."""
    if not _signed_in(user):
        return []
    return list(
        Team.objects.filter(kind=Team.Kind.REGIONAL_ADVISERS, memberships__user=user).values_list(
            "region_id", flat=True
        )
    )


def is_adviser_for(user, region_id: int) -> bool:
    return (
        _signed_in(user)
        and TeamMembership.objects.filter(
            user=user, team__kind=Team.Kind.REGIONAL_ADVISERS, team__region_id=region_id
        ).exists()
    )


# --- Sight of a case -------------------------------------------------------------------------

# Staff the case is granted to, or an investigator under a live break-glass grant.
may_view_case = rules.predicate(can_view_case, name="may_view_case")


def cases_visible_to(user) -> QuerySet[Referral]:
    """The list twin of `may_view_case`: guardian grants, narrowed by live break-glass."""
    visible = get_objects_for_user(
        user, VIEW_CASE, klass=Referral, accept_global_perms=False, with_superuser=False
    )
    if is_compliance_officer(user):
        visible = visible.filter(pk__in=break_glass_live_grants(user).values("referral_id"))
    return visible


# --- What the user is on a case (by the case's current routing) --------------------------------


@dataclass
class CaseRoles:
    """What the user is on this case: a member of which of the teams it is routed to now."""

    police: bool = False
    local_authority: bool = False
    adviser: bool = False
    panel: bool = False
    team_ids: set[int] = field(default_factory=set)

    @property
    def staff(self) -> bool:
        return self.police or self.local_authority or self.adviser or self.panel

    @property
    def police_records(self) -> bool:
        """Need to know: the police branch's own records (deconfliction, gateway checks,
        police notes, risk assessment, outcome rationale) are the case's CT police team's and
        its region's advisers'. The LA, the panel and break-glass readers see only what the
        police chose to share with them."""
        return self.police or self.adviser


def case_roles(user, referral: Referral) -> CaseRoles:
    """The one definition of "member of the case's police / LA / advisers / panel team"."""
    route = route_local_authority(referral.local_authority_id)
    team_ids = team_ids_of(user)
    return CaseRoles(
        police=route.ctp_team.pk in team_ids,
        local_authority=route.la_team.pk in team_ids,
        adviser=route.regional_team.pk in team_ids,
        panel=route.channel_panel.pk in team_ids,
        team_ids=team_ids,
    )


@rules.predicate
def is_case_police(user, referral: Referral) -> bool:
    return case_roles(user, referral).police


@rules.predicate
def is_case_local_authority(user, referral: Referral) -> bool:
    return case_roles(user, referral).local_authority


@rules.predicate
def is_case_panel_member(user, referral: Referral) -> bool:
    return case_roles(user, referral).panel


@rules.predicate
def is_region_adviser(user, referral: Referral) -> bool:
    """A regional Prevent adviser of the region the case is in now."""
    return case_roles(user, referral).adviser


@rules.predicate
def may_see_police_records(user, referral: Referral) -> bool:
    """A member of the case's CT police team or an adviser of its current region: nobody else,
    whatever else they may see of the case (a break-glass grant is not team membership)."""
    return case_roles(user, referral).police_records


@rules.predicate
def is_panel_chair(user, referral: Referral) -> bool:
    """Adoption and exit are the chair's: the LA's Prevent lead sitting on the case's panel."""
    roles = case_roles(user, referral)
    return roles.panel and roles.local_authority


is_case_staff = is_case_police | is_case_local_authority | is_region_adviser | is_case_panel_member


def case_team_of(user, referral: Referral) -> Team | None:
    """The case's team the user acts for (police, LA, advisers, then panel), if any.

    Sight of a case is not membership: a break-glass grant is read-only, so writes ask this.
    """
    ids = team_ids_of(user)
    return next(
        (t for t in route_local_authority(referral.local_authority_id).teams if t.pk in ids), None
    )


@rules.predicate
def may_ask_referrer(user, referral: Referral) -> bool:
    """A member of one of the case's teams may ask its referrer a question; sight of the case
    alone (break-glass) is read-only."""
    return may_view_case(user, referral) and case_team_of(user, referral) is not None


# --- Tasks ------------------------------------------------------------------------------------


def task_case(task) -> CaseTask | None:
    """The task's queue row, with its case, read once per loaded task (None: not a case
    task, such as a complaint step). Later `task.case` reads use the same row."""
    related = type(task).case.related
    if not related.is_cached(task):
        case = CaseTask.objects.select_related("referral").filter(task_id=task.pk).first()
        related.set_cached_value(task, case)
        if case is not None:
            CaseTask.task.field.set_cached_value(case, task)
    return related.get_cached_value(task)


@rules.predicate
def is_task_team_member(user, task) -> bool:
    """A member of the team whose queue the task is in now, while it is open.

    The queue row is the task's scope: it names the owning team, moves with a transfer
    (tasks_move_to) and closes with the task, so no per-task grant is kept. The list twin is
    `tasks_workable_by`, the same condition as a filter.
    """
    case = task_case(task)
    return case is not None and case.is_open and is_member(user, case.team_id)


@rules.predicate
def is_task_region_adviser(user, task) -> bool:
    """An adviser of the region the task's case is in now (not the region stored on the task)."""
    return is_adviser_for(user, task.case.referral.region_id)


def is_police_step(task) -> bool:
    """A step of the police branch (worked by the case's CT police team): its page, open or
    completed, shows police records."""
    return task.case.team.kind == Team.Kind.CTP_PREVENT


@rules.predicate
def may_see_task(user, task) -> bool:
    """A task page is case content: the case must be visible to the user *now*, and the page
    of a police step only to those who may see police records."""
    referral = task.case.referral
    if not can_view_case(user, referral):
        return False
    if is_police_step(task) and not may_see_police_records(user, referral):
        return False
    return is_task_team_member(user, task) or is_task_region_adviser(user, task)


def tasks_workable_by(user) -> QuerySet[CaseTask]:
    """The list twin of `is_task_team_member`: open tasks in the queues of the user's teams."""
    from_teams = Q(team_id__in=TeamMembership.objects.filter(user=user).values("team_id"))
    return (
        CaseTask.objects.filter(from_teams, is_open=True)
        if _signed_in(user)
        else (CaseTask.objects.none())
    )


rules.add_rule("may_view_case", may_view_case)
rules.add_rule("is_case_police", is_case_police)
rules.add_rule("is_case_local_authority", is_case_local_authority)
rules.add_rule("is_case_panel_member", is_case_panel_member)
rules.add_rule("is_region_adviser", is_region_adviser)
rules.add_rule("may_see_police_records", may_see_police_records)
rules.add_rule("is_panel_chair", is_panel_chair)
rules.add_rule("is_case_staff", is_case_staff)
rules.add_rule("is_task_team_member", is_task_team_member)
rules.add_rule("may_see_task", may_see_task)
