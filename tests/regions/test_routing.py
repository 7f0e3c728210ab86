"""Routing a referral to its local authority, force, CT region and teams."""

import pytest

from config.errors import ApplicationError
from regions.models import LocalAuthority, Postcode, Team
from regions.selectors import (
    RoutingError,
    local_authority_for_postcode,
    normalise_postcode,
    route_local_authority,
)
from tests.regions import source_data

pytestmark = pytest.mark.usefixtures("regions_loaded")

OUT_OF_SCOPE = "England and Wales only"


def test_every_district_in_the_source_routes_to_exactly_its_region():
    source = source_data()
    every_code = set(source.force_of_district)  # 2019 districts, abolished ones and successors
    assert len(every_code) == 318 + 28

    routed = {code: route_local_authority(code) for code in sorted(every_code)}

    wrong = {
        code: route.region.name
        for code, route in routed.items()
        if route.region.name != source.region_of_district(code)
    }
    assert wrong == {}
    assert {code: r.police_force_area.code for code, r in routed.items()} == {
        code: source.force_of_district[source.successor_of.get(code, code)] for code in every_code
    }
    assert {r.local_authority.code for r in routed.values()} == source.current_districts


def test_every_loaded_district_routes_to_one_region():
    for la in LocalAuthority.objects.select_related("police_force_area__region", "successor"):
        route = route_local_authority(la.code)
        expected = (la.successor or la).police_force_area.region
        assert route.region == expected, la.code
        assert route.police_force_area.region == route.region


def test_every_abolished_code_routes_to_its_successor():
    source = source_data()

    routed = {
        code: route_local_authority(code).local_authority.code for code in source.successor_of
    }

    assert routed == source.successor_of


@pytest.mark.parametrize(
    ("code", "district", "force", "region"),
    [
        ("E09000007", "Camden", "Metropolitan Police", "London"),
        ("E09000001", "City of London", "London, City of", "London"),
        ("E08000003", "Manchester", "Greater Manchester", "North West"),
        ("W06000015", "Cardiff", "South Wales", "Wales"),
        ("E07000004", "Buckinghamshire", "Thames Valley", "South East"),  # Aylesbury Vale, 2020
        ("E07000152", "North Northamptonshire", "Northamptonshire", "East Midlands"),
        ("E07000026", "Cumberland", "Cumbria", "North West"),  # Allerdale, 2023
        ("E07000164", "North Yorkshire", "North Yorkshire", "North East"),  # Hambleton, 2023
        ("E07000187", "Somerset", "Avon and Somerset", "South West"),  # Mendip, 2023
    ],
)
def test_known_districts_route_to_the_right_force_and_region(code, district, force, region):
    route = route_local_authority(code)

    assert route.local_authority.name == district
    assert route.police_force_area.name == force
    assert route.region.name == region


def test_route_returns_the_district_and_region_teams():
    route = route_local_authority("E07000005")  # Chiltern, now Buckinghamshire
    buckinghamshire = LocalAuthority.objects.get(code="E06000060")

    assert route.local_authority == buckinghamshire
    assert (route.la_team.kind, route.la_team.local_authority) == (
        Team.Kind.LA_PREVENT,
        buckinghamshire,
    )
    assert (route.channel_panel.kind, route.channel_panel.local_authority) == (
        Team.Kind.CHANNEL_PANEL,
        buckinghamshire,
    )
    assert route.la_team.name == "Buckinghamshire Prevent team"
    assert route.channel_panel.name == "Buckinghamshire Channel panel"
    for team, kind in [
        (route.ctp_team, Team.Kind.CTP_PREVENT),
        (route.regional_team, Team.Kind.REGIONAL_ADVISERS),
    ]:
        assert (team.kind, team.region.name, team.local_authority) == (kind, "South East", None)
    assert route.regional_team.name == "South East regional Prevent advisers"
    assert route.ctp_team.name == "South East CT policing Prevent officers"


def test_every_route_returns_teams_of_the_right_kind_district_and_region():
    for la in LocalAuthority.objects.filter(successor__isnull=True):
        route = route_local_authority(la)
        assert route.la_team.kind == Team.Kind.LA_PREVENT
        assert route.channel_panel.kind == Team.Kind.CHANNEL_PANEL
        assert route.la_team.local_authority_id == route.channel_panel.local_authority_id == la.id
        assert route.ctp_team.kind == Team.Kind.CTP_PREVENT
        assert route.regional_team.kind == Team.Kind.REGIONAL_ADVISERS
        assert route.ctp_team.local_authority_id is route.regional_team.local_authority_id is None
        assert {
            route.la_team.region_id,
            route.channel_panel.region_id,
            route.ctp_team.region_id,
            route.regional_team.region_id,
        } == {route.region.id}


def test_route_accepts_a_model_an_id_or_a_code_in_any_case(django_assert_num_queries):
    camden = LocalAuthority.objects.get(code="E09000007")

    with django_assert_num_queries(1):
        by_code = route_local_authority("  e09000007 ")
    with django_assert_num_queries(1):
        by_id = route_local_authority(camden.pk)
    # An abolished authority has no teams of its own: the slower path finds its successor.
    with django_assert_num_queries(3):
        by_alias = route_local_authority("E07000006")  # South Bucks, an alias
    by_model = route_local_authority(camden)

    assert by_code == by_model == by_id
    assert by_code.local_authority == camden
    assert by_code.region == camden.police_force_area.region
    assert {team.kind for team in by_code.teams} == set(Team.Kind.values)
    assert by_code.la_team.local_authority == camden
    assert by_alias.local_authority.code == "E06000060"
    assert by_alias == route_local_authority(by_alias.local_authority.pk)


@pytest.mark.parametrize("code", ["E06999999", "W06000099", "E23000001", "X"])
def test_unknown_codes_are_refused_with_the_code_in_the_message(code):
    with pytest.raises(RoutingError) as excinfo:
        route_local_authority(code)

    assert excinfo.value.code == "unknown"
    assert excinfo.value.field == "local_authority"
    assert excinfo.value.message == f"'{code}' is not a local authority in England or Wales"


@pytest.mark.parametrize("code", ["", "   ", None])
def test_a_missing_code_asks_for_the_local_authority(code):
    with pytest.raises(RoutingError, match="Select the local authority"):
        route_local_authority(code)


@pytest.mark.parametrize(
    "code",
    ["S12000033", "S12000036", "s12000046", "N09000001", "N09000003", "S23000009"],
)
def test_scottish_and_northern_irish_codes_are_out_of_scope(code):
    with pytest.raises(RoutingError) as excinfo:
        route_local_authority(code)

    assert excinfo.value.code == "out_of_scope"
    assert excinfo.value.field == "local_authority"
    assert OUT_OF_SCOPE in excinfo.value.message
    assert "Police Scotland" in excinfo.value.message and "PSNI" in excinfo.value.message


def test_routing_error_is_the_application_error_users_see():
    assert issubclass(RoutingError, ApplicationError)


def test_a_district_without_its_teams_is_reported_not_half_routed():
    Team.objects.filter(local_authority__code="E09000007", kind=Team.Kind.CHANNEL_PANEL).delete()

    with pytest.raises(RoutingError) as excinfo:
        route_local_authority("E09000007")

    assert excinfo.value.code == "unconfigured"
    assert "Camden has no channel_panel team" in excinfo.value.message


# Postcodes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("sw1a2aa", "SW1A 2AA"),
        ("  m60   2la ", "M60 2LA"),
        ("W1A 1AA", "W1A 1AA"),
        ("b338th", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN551PT", "DN55 1PT"),
    ],
)
def test_postcodes_are_normalised(raw, normalised):
    assert normalise_postcode(raw) == normalised


@pytest.mark.parametrize(
    "raw", ["", "   ", None, "12345", "SW1A", "SW1A 2AAA", "not a postcode", "SW1A-2AA", "Q1 1AA1"]
)
def test_malformed_postcodes_are_refused(raw):
    with pytest.raises(RoutingError) as excinfo:
        local_authority_for_postcode(raw)

    assert excinfo.value.message == "Enter a real postcode, like SW1A 2AA"
    assert excinfo.value.field == "postcode"


@pytest.mark.parametrize(
    "postcode",
    [
        "EH1 1YZ",  # Edinburgh
        "G1 1XQ",  # Glasgow
        "AB10 1AB",  # Aberdeen
        "ZE1 0LL",  # Shetland
        "DG1 2HS",  # Dumfries
        "BT1 5GS",  # Belfast
        "GY1 1FH",  # Guernsey
        "JE2 4WD",  # Jersey
        "IM1 3PW",  # Isle of Man
    ],
)
def test_postcodes_outside_england_and_wales_are_out_of_scope(postcode):
    with pytest.raises(RoutingError) as excinfo:
        local_authority_for_postcode(postcode)

    assert excinfo.value.code == "out_of_scope"
    assert excinfo.value.field == "postcode"
    assert OUT_OF_SCOPE in excinfo.value.message


@pytest.mark.parametrize(
    "postcode",
    ["SW1A 2AA", "GL1 2EH", "LS1 1UR", "CF10 1EP", "TR1 2EH", "CA3 8QG", "EX1 1HS", "DH1 3HP"],
)
def test_an_unknown_but_valid_english_or_welsh_postcode_gives_none(postcode):
    Postcode.objects.filter(postcode=postcode).delete()  # in case the directory is loaded

    assert local_authority_for_postcode(postcode) is None


def test_a_known_postcode_gives_its_current_local_authority():
    Postcode.objects.create(
        postcode="NW1 2DB",
        country="E",
        local_authority=LocalAuthority.objects.get(code="E09000007"),
    )

    assert local_authority_for_postcode("nw12db").code == "E09000007"


def test_a_postcode_recorded_against_an_abolished_district_gives_its_successor():
    Postcode.objects.create(
        postcode="HP20 1UA",
        country="E",
        local_authority=LocalAuthority.objects.get(code="E07000004"),
    )

    la = local_authority_for_postcode("HP20 1UA")

    assert la.code == "E06000060"
    assert route_local_authority(la).region.name == "South East"
