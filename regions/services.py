"""Writes for regions: loading the reference data and managing team membership."""

import csv
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path

from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Count
from django.utils.text import slugify

from compliance.audit import audit_record

from .directory import DISTRIBUTION as DIRECTORY
from .directory import directory_files, directory_read
from .models import CTRegion, LocalAuthority, PoliceForceArea, Postcode, Team, TeamMembership

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


POSTCODE_BATCH = 10_000
IN_ENGLAND_AND_WALES = {Postcode.Country.ENGLAND, Postcode.Country.WALES}


@dataclass
class PostcodesLoaded:
    """What a postcode load wrote, and what the table holds after it."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unplaced: int = 0  # no district in the directory
    unmatched: int = 0  # a district code the service does not know
    unmatched_codes: set[str] = field(default_factory=set)
    by_country: dict[str, int] = field(default_factory=dict)

    @property
    def postcodes(self) -> int:
        return sum(self.by_country.values())


def _batches(items: Iterable, size: int = POSTCODE_BATCH) -> Iterable[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _authority_ids_by_directory_code() -> dict[str, int]:
    """Every district code the directory may use, current or abolished, to its row's id.

    Abolished districts are aliases whose successor routing follows; codes ONS has issued to
    an authority the service knows by its earlier code (Barnsley and Sheffield, recoded after
    their 2024 boundary change) map to that authority.
    """
    ids = dict(LocalAuthority.objects.values_list("code", "id"))
    for row in _read("lad_recodings_2024.csv"):
        ids[row["directory_code"]] = ids[row["service_code"]]
    return ids


@transaction.atomic
def postcodes_load(
    *,
    letters: Iterable[str] | None = None,
    postcodes: Collection[str] | None = None,
    progress: Callable[[str, int, int, PostcodesLoaded], None] | None = None,
) -> PostcodesLoaded:
    """Load (or refresh) the ONS Postcode Directory into `Postcode`, one letter at a time.

    Only the differences are written, so a second run changes nothing, and one transaction
    means the routing never sees half a refresh. `letters` limits the load (and any deletion)
    to postcodes beginning with those letters, and `postcodes` to a sample of normalised
    postcodes (what the tests load). Postcodes ONS could not place in a district,
    and any in a district code the service does not know, are left out: the journey then asks
    for the local authority. `progress(letter, done, of, counts)` is called after each letter.
    """
    files = directory_files()
    if not files:
        raise ImproperlyConfigured(f"{DIRECTORY} has no postcode files: reinstall it")
    if postcodes is not None:
        postcodes = set(postcodes)
        letters = {postcode[0] for postcode in postcodes}
    if letters is not None:
        files = {letter: files[letter] for letter in sorted({x.upper() for x in letters})}
    authority_ids = _authority_ids_by_directory_code()
    loaded = PostcodesLoaded()
    for done, (letter, path) in enumerate(files.items(), start=1):
        wanted: dict[str, tuple[str, int | None]] = {}
        for postcode, code in directory_read(path):
            if postcodes is not None and postcode not in postcodes:
                continue
            if code is None:
                loaded.unplaced += 1
            elif code[0] not in IN_ENGLAND_AND_WALES:
                wanted[postcode] = (code[0], None)
            elif code in authority_ids:
                wanted[postcode] = (code[0], authority_ids[code])
            else:
                loaded.unmatched += 1
                loaded.unmatched_codes.add(code)
        rows = Postcode.objects.filter(postcode__startswith=letter)
        if postcodes is not None:
            rows = rows.filter(postcode__in=postcodes)
        existing = {
            postcode: (country, la_id)
            for postcode, country, la_id in rows.values_list(
                "postcode", "country", "local_authority_id"
            )
        }
        changed = {pc for pc, row in wanted.items() if pc in existing and existing[pc] != row}
        gone = [pc for pc in existing if pc not in wanted]
        for batch in _batches([*changed, *gone]):
            Postcode.objects.filter(postcode__in=batch).delete()
        for batch in _batches(
            Postcode(postcode=pc, country=country, local_authority_id=la_id)
            for pc, (country, la_id) in wanted.items()
            if pc not in existing or pc in changed
        ):
            Postcode.objects.bulk_create(batch)
        loaded.created += len(wanted) - len(existing) + len(gone)
        loaded.updated += len(changed)
        loaded.deleted += len(gone)
        if progress is not None:
            progress(letter, done, len(files), loaded)
    loaded.by_country = dict(
        Postcode.objects.order_by().values_list("country").annotate(n=Count("pk"))
    )
    return loaded


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
