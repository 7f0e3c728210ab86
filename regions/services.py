"""Writes for regions: loading the reference data and managing team membership."""

import csv
from datetime import date
from pathlib import Path

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.text import slugify

from compliance.audit import audit_record

from .models import CTRegion, LocalAuthority, PoliceForceArea, Team, TeamMembership

DATA_DIR = Path(__file__).resolve().parent / "data"


def _read(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _ensure_team(
    existing: dict, kind: str, name: str, region: CTRegion, la: LocalAuthority | None = None
) -> None:
    team = existing.get((kind, la.id if la else region.id))
    if team is None:
        group, _ = Group.objects.get_or_create(name=f"team:{kind}:{la.code if la else region.slug}")
        Team.objects.create(kind=kind, name=name, region=region, local_authority=la, group=group)
    elif team.region_id != region.id or team.name != name:
        team.region, team.name = region, name
        team.save(update_fields=["region", "name"])


@transaction.atomic
def regions_load() -> dict[str, int]:
    """Load (or refresh) regions, forces, districts and their teams from the shipped CSVs.

    Idempotent: running it again changes nothing unless the data changed.
    """
    regions: dict[str, CTRegion] = {}
    forces: dict[str, PoliceForceArea] = {}
    for row in _read("ct_policing_regions.csv"):
        name = row["CT_REGION"].strip()
        if name not in regions:
            regions[name], _ = CTRegion.objects.update_or_create(
                slug=slugify(name), defaults={"name": name}
            )
        forces[row["PFA19CD"]], _ = PoliceForceArea.objects.update_or_create(
            code=row["PFA19CD"], defaults={"name": row["PFA19NM"], "region": regions[name]}
        )

    las: dict[str, LocalAuthority] = {}
    for row in _read("lad_to_police_force_area.csv"):
        if row["LAD19CD"] in las:
            continue  # a district with several community safety partnerships
        las[row["LAD19CD"]], _ = LocalAuthority.objects.update_or_create(
            code=row["LAD19CD"],
            defaults={"name": row["LAD19NM"], "police_force_area": forces[row["PFA19CD"]]},
        )

    for row in _read("lad_successors_2020_2023.csv"):
        predecessor = las[row["predecessor_code"]]
        successor = las.get(row["successor_code"])
        if successor is None:
            successor, _ = LocalAuthority.objects.update_or_create(
                code=row["successor_code"],
                defaults={
                    "name": row["successor_name"],
                    "police_force_area": predecessor.police_force_area,
                },
            )
            las[successor.code] = successor
        predecessor.successor = successor
        predecessor.abolished_on = date.fromisoformat(row["effective_date"])
        predecessor.save(update_fields=["successor", "abolished_on"])

    existing = {(t.kind, t.local_authority_id or t.region_id): t for t in Team.objects.all()}
    for region in regions.values():
        _ensure_team(
            existing,
            Team.Kind.REGIONAL_ADVISERS,
            f"{region.name} regional Prevent advisers",
            region,
        )
        _ensure_team(
            existing, Team.Kind.CTP_PREVENT, f"{region.name} CT policing Prevent officers", region
        )
    for la in LocalAuthority.objects.filter(successor__isnull=True).select_related(
        "police_force_area__region"
    ):
        region = la.police_force_area.region
        _ensure_team(existing, Team.Kind.LA_PREVENT, f"{la.name} Prevent team", region, la)
        _ensure_team(existing, Team.Kind.CHANNEL_PANEL, f"{la.name} Channel panel", region, la)

    return {
        "regions": CTRegion.objects.count(),
        "police_force_areas": PoliceForceArea.objects.count(),
        "local_authorities": LocalAuthority.objects.filter(successor__isnull=True).count(),
        "aliases": LocalAuthority.objects.filter(successor__isnull=False).count(),
        "teams": Team.objects.count(),
    }


@transaction.atomic
def team_add_member(*, team: Team, user, actor=None) -> TeamMembership:
    membership, created = TeamMembership.objects.get_or_create(team=team, user=user)
    team.group.user_set.add(user)
    if created:
        audit_record(
            actor=actor,
            action="team.member_added",
            obj=team,
            detail={"user": user.email, "team": team.name},
        )
    return membership


@transaction.atomic
def team_remove_member(*, team: Team, user, actor=None) -> None:
    deleted, _ = TeamMembership.objects.filter(team=team, user=user).delete()
    team.group.user_set.remove(user)
    if deleted:
        audit_record(
            actor=actor,
            action="team.member_removed",
            obj=team,
            detail={"user": user.email, "team": team.name},
        )
