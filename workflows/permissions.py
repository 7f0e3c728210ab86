"""Who may see and do what on a case. Services call these; views never decide access."""

# Case sight is decided in one place, with break-glass grants, for referrals and workflows alike.
from referrals.permissions import can_view_case as can_view_case
from regions.models import Team, TeamMembership
from regions.selectors import route_local_authority

VIEW_CASE = "referrals.view_referral"
WORK_TASK = "viewflow.change_task"
SEE_TASK = "viewflow.view_task"


def can_work_task(user, task) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(WORK_TASK, task))


def is_member(user, team_id: int) -> bool:
    return TeamMembership.objects.filter(user=user, team_id=team_id).exists()


def adviser_region_ids(user) -> list[int]:
    """Regions in which the user is a regional Prevent adviser."""
    if not (user and user.is_authenticated):
        return []
    return list(
        Team.objects.filter(kind=Team.Kind.REGIONAL_ADVISERS, memberships__user=user).values_list(
            "region_id", flat=True
        )
    )


def is_adviser_for(user, region_id: int) -> bool:
    return TeamMembership.objects.filter(
        user=user, team__kind=Team.Kind.REGIONAL_ADVISERS, team__region_id=region_id
    ).exists()


def case_team_of(user, referral) -> Team | None:
    """The case's team the user acts for (police, LA, advisers, then panel), if any.

    Sight of a case is not membership: a break-glass grant is read-only, so writes ask this.
    """
    route = route_local_authority(referral.local_authority)
    for team in (route.ctp_team, route.la_team, route.regional_team, route.channel_panel):
        if is_member(user, team.id):
            return team
    return None
