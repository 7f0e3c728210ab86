"""Routing: which region, force and teams a referral belongs to."""

import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Subquery

from config.errors import ApplicationError

from .models import CTRegion, LocalAuthority, PoliceForceArea, Postcode, Team

# The shape of a UK postcode (BS 7666), after removing spaces and upper-casing.
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
# Postcode areas outside England and Wales: Scotland, Northern Ireland, Crown dependencies.
OUT_OF_SCOPE_AREAS = {
    "AB",
    "DD",
    "DG",
    "EH",
    "FK",
    "G",
    "HS",
    "IV",
    "KA",
    "KW",
    "KY",
    "ML",
    "PA",
    "PH",
    "TD",
    "ZE",
    "BT",
    "GY",
    "JE",
    "IM",
}
OUT_OF_SCOPE_MESSAGE = (
    "This service covers England and Wales only. Referrals about people in Scotland or "
    "Northern Ireland go to Police Scotland or the PSNI."
)


class RoutingError(ApplicationError):
    pass


@dataclass(frozen=True)
class Route:
    local_authority: LocalAuthority
    police_force_area: PoliceForceArea
    region: CTRegion
    la_team: Team
    channel_panel: Team
    ctp_team: Team
    regional_team: Team

    def team(self, kind: str) -> Team:
        """The route's team of one kind (police, LA, advisers, panel)."""
        return {
            Team.Kind.CTP_PREVENT: self.ctp_team,
            Team.Kind.LA_PREVENT: self.la_team,
            Team.Kind.REGIONAL_ADVISERS: self.regional_team,
            Team.Kind.CHANNEL_PANEL: self.channel_panel,
        }[kind]

    @property
    def teams(self) -> tuple[Team, Team, Team, Team]:
        """Police, LA, advisers and panel: the order in which a user's acting team is chosen."""
        return (self.ctp_team, self.la_team, self.regional_team, self.channel_panel)


def normalise_postcode(value: str) -> str:
    """'sw1a2aa' -> 'SW1A 2AA'. Raises RoutingError for anything not shaped like a UK postcode."""
    compact = re.sub(r"\s+", "", value or "").upper()
    match = POSTCODE_RE.match(compact)
    if not match:
        raise RoutingError("Enter a real postcode, like SW1A 2AA", field="postcode")
    return f"{match.group(1)} {match.group(2)}"


def postcode_area(postcode: str) -> str:
    return re.match(r"^[A-Z]+", postcode).group(0)


def local_authority_for_postcode(postcode: str) -> LocalAuthority | None:
    """The current local authority for a postcode, or None when the postcode is not known.

    Raises RoutingError for postcodes outside England and Wales. The directory decides where
    it knows the postcode (TD15 is in Northumberland, CA6 5AA in Scotland); otherwise the
    postcode's area does.
    """
    normalised = normalise_postcode(postcode)
    row = (
        Postcode.objects.select_related("local_authority__successor")
        .filter(postcode=normalised)
        .first()
    )
    out_of_scope = (
        row.local_authority_id is None
        if row is not None
        else postcode_area(normalised) in OUT_OF_SCOPE_AREAS
    )
    if out_of_scope:
        raise RoutingError(OUT_OF_SCOPE_MESSAGE, field="postcode", code="out_of_scope")
    if row is None:
        return None
    la = row.local_authority
    return la.successor if la.successor_id else la


def current_local_authorities():
    return LocalAuthority.objects.filter(successor__isnull=True).order_by("name")


# --- Reference data, as published by the API ---------------------------------------------------


def regions_all() -> QuerySet[CTRegion]:
    return CTRegion.objects.order_by("slug")


def police_force_areas() -> QuerySet[PoliceForceArea]:
    """Every force area with its region, in one query."""
    return PoliceForceArea.objects.select_related("region").order_by("code")


def local_authorities_current() -> QuerySet[LocalAuthority]:
    """Current authorities (abolished ones are aliases, not places to route to), each with its
    force area and region in the same query."""
    return current_local_authorities().select_related("police_force_area__region").order_by("code")


def _route_of(la: LocalAuthority, teams: dict[str, Team]) -> Route:
    missing = {k for k in Team.Kind.values if k not in teams}
    if missing:
        raise RoutingError(
            f"{la.name} has no {', '.join(sorted(missing))} team configured; load the regions",
            code="unconfigured",
        )
    force = la.police_force_area
    return Route(
        local_authority=la,
        police_force_area=force,
        region=force.region,
        la_team=teams[Team.Kind.LA_PREVENT],
        channel_panel=teams[Team.Kind.CHANNEL_PANEL],
        ctp_team=teams[Team.Kind.CTP_PREVENT],
        regional_team=teams[Team.Kind.REGIONAL_ADVISERS],
    )


def _route_in_one_query(**la_lookup) -> Route | None:
    """The route of a current, fully configured authority in one query, or None.

    The authority's own teams carry it (and its force and region) by join; the region's
    teams are found through a subquery for its region. An unknown, abolished or unconfigured
    authority has no team rows of its own, and the caller takes the slower path that says why.
    """
    region_of = LocalAuthority.objects.filter(**la_lookup).values("police_force_area__region_id")
    local = {f"local_authority__{key}": value for key, value in la_lookup.items()}
    teams = list(
        Team.objects.select_related("local_authority__police_force_area__region").filter(
            Q(**local) | Q(local_authority__isnull=True, region_id=Subquery(region_of[:1]))
        )
    )
    own = [team.local_authority for team in teams if team.local_authority_id is not None]
    if not own or own[0].successor_id or len({t.kind for t in teams}) != len(teams):
        return None
    try:
        return _route_of(own[0], {team.kind: team for team in teams})
    except RoutingError:
        return None


def route_local_authority(code_or_la: str | int | LocalAuthority) -> Route:
    """Route a local authority (by code, id or row; current or abolished) to its force,
    region and teams.

    One query for a current authority with all its teams; otherwise two (the authority with
    its force and region, then its teams), which also say what is wrong.
    """
    if isinstance(code_or_la, int):
        return _route_in_one_query(pk=code_or_la) or route_local_authority(
            LocalAuthority.objects.only("code").get(pk=code_or_la).code
        )
    code = (
        code_or_la.code
        if isinstance(code_or_la, LocalAuthority)
        else (code_or_la or "").strip().upper()
    )
    if not code:
        raise RoutingError("Select the local authority", field="local_authority")
    if code[0] in {"S", "N"}:
        raise RoutingError(OUT_OF_SCOPE_MESSAGE, field="local_authority", code="out_of_scope")
    fast = _route_in_one_query(code=code)
    if fast is not None:
        return fast
    la = (
        LocalAuthority.objects.select_related(
            "police_force_area__region", "successor__police_force_area__region"
        )
        .filter(code=code)
        .first()
    )
    if la is None:
        raise RoutingError(
            f"'{code}' is not a local authority in England or Wales",
            field="local_authority",
            code="unknown",
        )
    if la.successor_id:
        la = la.successor
    teams = {
        t.kind: t
        for t in Team.objects.filter(
            Q(local_authority_id=la.id)
            | Q(region_id=la.police_force_area.region_id, local_authority__isnull=True)
        )
    }
    return _route_of(la, teams)


def teams_of_user(user) -> list[Team]:
    return list(
        Team.objects.filter(memberships__user=user).select_related("region", "local_authority")
    )
