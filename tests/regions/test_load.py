"""Loading the regions reference data, and maintaining team membership."""

from collections import Counter

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from compliance.audit import audit_verify
from compliance.models import AuditEvent
from regions.models import CTRegion, LocalAuthority, PoliceForceArea, Team, TeamMembership
from regions.services import regions_load, team_add_member, team_remove_member
from tests.regions import source_data

pytestmark = pytest.mark.usefixtures("regions_loaded")

# Published figures: 9 CT policing regions, 43 forces, 318 districts at 2023 boundaries.
EXPECTED_COUNTS = {
    "regions": 9,
    "police_force_areas": 43,
    "local_authorities": 318,
    "aliases": 28,
    "teams": 9 * 2 + 318 * 2,
}


def _snapshot() -> dict:
    return {
        "regions": sorted(CTRegion.objects.values_list("id", "slug", "name")),
        "forces": sorted(PoliceForceArea.objects.values_list("id", "code", "name", "region_id")),
        "authorities": sorted(
            LocalAuthority.objects.values_list(
                "id", "code", "name", "police_force_area_id", "successor_id", "abolished_on"
            )
        ),
        "teams": sorted(
            Team.objects.values_list("id", "kind", "name", "region_id", "local_authority_id")
        ),
        "team_groups": sorted(Team.objects.values_list("id", "group_id")),
        "groups": Group.objects.count(),
    }


def test_counts_match_the_published_figures():
    current = LocalAuthority.objects.filter(successor__isnull=True)

    assert CTRegion.objects.count() == 9
    assert PoliceForceArea.objects.count() == 43
    assert current.count() == 318
    assert current.filter(code__startswith="E").count() == 296
    assert current.filter(code__startswith="W").count() == 22
    assert LocalAuthority.objects.filter(successor__isnull=False).count() == 28
    assert Team.objects.count() == EXPECTED_COUNTS["teams"]


def test_counts_match_the_source_lookups_computed_independently():
    source = source_data()

    assert len(set(source.region_of_force.values())) == 9
    assert len(source.region_of_force) == 43
    assert len(source.current_districts) == 318
    assert len({c for c in source.current_districts if c.startswith("E")}) == 296
    assert len({c for c in source.current_districts if c.startswith("W")}) == 22
    assert len(source.successor_of) == 28

    assert set(CTRegion.objects.values_list("name", flat=True)) == set(
        source.region_of_force.values()
    )
    assert (
        set(LocalAuthority.objects.filter(successor__isnull=True).values_list("code", flat=True))
        == source.current_districts
    )
    assert set(
        LocalAuthority.objects.filter(successor__isnull=False).values_list("code", flat=True)
    ) == set(source.successor_of)


def test_every_force_is_in_its_source_region_under_its_source_name():
    source = source_data()
    loaded = {
        f.code: (f.name, f.region.name) for f in PoliceForceArea.objects.select_related("region")
    }

    assert loaded == {
        code: (source.force_names[code], region) for code, region in source.region_of_force.items()
    }


def test_every_district_has_its_source_force_and_name():
    source = source_data()
    loaded = {
        la.code: (la.name, la.police_force_area.code)
        for la in LocalAuthority.objects.select_related("police_force_area")
    }

    assert loaded == {
        code: (source.district_names[code], force)
        for code, force in source.force_of_district.items()
    }


def test_abolished_districts_are_aliases_of_their_successor():
    source = source_data()
    aliases = LocalAuthority.objects.filter(successor__isnull=False).select_related("successor")

    loaded = {la.code: (la.successor.code, la.abolished_on) for la in aliases}

    assert loaded == {
        code: (successor, source.abolished_on[code])
        for code, successor in source.successor_of.items()
    }
    assert all(la.successor.is_current and not la.is_current for la in aliases)
    assert all(la.police_force_area_id == la.successor.police_force_area_id for la in aliases)


def test_each_current_district_has_one_la_team_and_one_channel_panel_in_its_region():
    teams = Team.objects.filter(local_authority__isnull=False).select_related(
        "local_authority__police_force_area"
    )
    per_district = Counter((t.local_authority.code, t.kind) for t in teams)
    current = set(
        LocalAuthority.objects.filter(successor__isnull=True).values_list("code", flat=True)
    )

    assert set(per_district) == {
        (code, kind) for code in current for kind in (Team.Kind.LA_PREVENT, Team.Kind.CHANNEL_PANEL)
    }
    assert set(per_district.values()) == {1}
    assert all(t.region_id == t.local_authority.police_force_area.region_id for t in teams)


def test_each_region_has_one_adviser_team_and_one_ctp_team():
    teams = Team.objects.filter(local_authority__isnull=True)
    per_region = Counter((t.region_id, t.kind) for t in teams)

    assert set(per_region) == {
        (region_id, kind)
        for region_id in CTRegion.objects.values_list("id", flat=True)
        for kind in (Team.Kind.REGIONAL_ADVISERS, Team.Kind.CTP_PREVENT)
    }
    assert set(per_region.values()) == {1}


def test_every_team_has_its_own_group():
    group_names = list(Team.objects.values_list("group__name", flat=True))

    assert len(group_names) == len(set(group_names)) == EXPECTED_COUNTS["teams"]
    assert all(name.startswith("team:") for name in group_names)


def test_regions_load_is_idempotent():
    before = _snapshot()

    first = regions_load()
    second = regions_load()

    assert first == second == EXPECTED_COUNTS
    assert _snapshot() == before


def test_regions_load_restores_edited_reference_data():
    camden = LocalAuthority.objects.get(code="E09000007")
    team = Team.objects.get(local_authority=camden, kind=Team.Kind.LA_PREVENT)
    LocalAuthority.objects.filter(pk=camden.pk).update(name="Renamed")
    Team.objects.filter(pk=team.pk).update(name="Renamed team")

    regions_load()

    camden.refresh_from_db()
    team.refresh_from_db()
    assert camden.name == "Camden"
    assert team.name == "Camden Prevent team"


def test_load_regions_command_reports_the_counts():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("load_regions", stdout=out)

    assert "9 regions, 43 police force areas, 318 local authorities, 28 aliases" in out.getvalue()


# Team membership -----------------------------------------------------------------------------


@pytest.fixture
def people(db):
    return {
        "actor": User.objects.create_user(email="adviser@example.gov.uk", full_name="Ada Adviser"),
        "member": User.objects.create_user(email="lead@example.gov.uk", full_name="Lee Lead"),
    }


@pytest.fixture
def camden_team():
    return Team.objects.get(local_authority__code="E09000007", kind=Team.Kind.LA_PREVENT)


def test_adding_a_member_syncs_the_group_and_writes_an_audit_event(people, camden_team):
    member, actor = people["member"], people["actor"]

    membership = team_add_member(team=camden_team, user=member, actor=actor)

    assert membership.team == camden_team and membership.user == member
    assert camden_team.group.user_set.filter(pk=member.pk).exists()
    assert list(member.teams.all()) == [camden_team]
    event = AuditEvent.objects.get(action="team.member_added")
    assert event.actor == actor
    assert event.actor_email == "adviser@example.gov.uk"
    assert (event.object_type, event.object_id) == ("regions.team", str(camden_team.pk))
    assert event.detail == {"user": "lead@example.gov.uk", "team": "Camden Prevent team"}
    assert audit_verify().ok


def test_adding_an_existing_member_again_changes_nothing(people, camden_team):
    team_add_member(team=camden_team, user=people["member"], actor=people["actor"])

    team_add_member(team=camden_team, user=people["member"], actor=people["actor"])

    assert TeamMembership.objects.filter(team=camden_team).count() == 1
    assert AuditEvent.objects.filter(action="team.member_added").count() == 1


def test_removing_a_member_syncs_the_group_and_writes_an_audit_event(people, camden_team):
    member, actor = people["member"], people["actor"]
    team_add_member(team=camden_team, user=member, actor=actor)

    team_remove_member(team=camden_team, user=member, actor=actor)

    assert not TeamMembership.objects.filter(team=camden_team, user=member).exists()
    assert not camden_team.group.user_set.filter(pk=member.pk).exists()
    event = AuditEvent.objects.get(action="team.member_removed")
    assert event.actor == actor
    assert (event.object_type, event.object_id) == ("regions.team", str(camden_team.pk))
    assert event.detail == {"user": "lead@example.gov.uk", "team": "Camden Prevent team"}
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "team.member_added",
        "team.member_removed",
    ]
    assert audit_verify().ok


def test_removing_someone_who_is_not_a_member_writes_no_event(people, camden_team):
    team_remove_member(team=camden_team, user=people["member"], actor=people["actor"])

    assert not AuditEvent.objects.filter(action="team.member_removed").exists()


def test_membership_grants_the_team_group_but_no_other(people, camden_team):
    team_add_member(team=camden_team, user=people["member"])

    member = User.objects.get(pk=people["member"].pk)
    assert list(member.groups.values_list("name", flat=True)) == [camden_team.group.name]
    event = AuditEvent.objects.get(action="team.member_added")
    assert event.actor is None and event.actor_email == ""
