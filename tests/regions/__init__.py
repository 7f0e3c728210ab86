"""The ONS source lookups, read independently of the loader so the tests can cross-check it.

The published CSVs live outside the repository (REFERENCE_DATA_DIR, by default
/work/shared/data); tests that need them are skipped with a reason when they are absent.
"""

import csv
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import pytest

# The published ONS lookups the shipped reference data was built from: shared/data beside the
# project's folder, unless REFERENCE_DATA_DIR says otherwise.
PROJECT_DIR = Path(__file__).resolve().parents[2]
REFERENCE_DATA_DIR = Path(
    os.environ.get("REFERENCE_DATA_DIR", PROJECT_DIR.parent / "shared" / "data")
)


@dataclass(frozen=True)
class SourceData:
    region_of_force: dict[str, str]  # PFA19CD -> CT region name
    force_names: dict[str, str]  # PFA19CD -> PFA19NM
    force_of_district: dict[str, str]  # every 2019 LAD19CD and every successor -> PFA19CD
    district_names: dict[str, str]  # LAD19CD or successor code -> name
    successor_of: dict[str, str]  # predecessor code -> successor code
    abolished_on: dict[str, date]  # predecessor code -> date it was replaced

    @property
    def current_districts(self) -> set[str]:
        return set(self.force_of_district) - set(self.successor_of)

    def region_of_district(self, code: str) -> str:
        return self.region_of_force[self.force_of_district[self.successor_of.get(code, code)]]


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DATA_DIR / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def source_data() -> SourceData:
    if not (REFERENCE_DATA_DIR / "lad_to_police_force_area.csv").exists():
        pytest.fail(
            f"ONS source lookups not found in {REFERENCE_DATA_DIR}: set REFERENCE_DATA_DIR to the "
            "folder holding them (shared/data beside the project)"
        )
    return _source_data()


@cache
def _source_data() -> SourceData:
    region_of_force, force_names = {}, {}
    for row in _rows("ct_policing_regions.csv"):
        region_of_force[row["PFA19CD"]] = row["CT_REGION"]
        force_names[row["PFA19CD"]] = row["PFA19NM"]

    forces_of_district: dict[str, set[str]] = defaultdict(set)
    district_names = {}
    for row in _rows("lad_to_police_force_area.csv"):
        forces_of_district[row["LAD19CD"]].add(row["PFA19CD"])
        district_names[row["LAD19CD"]] = row["LAD19NM"]
    several = {lad: pfas for lad, pfas in forces_of_district.items() if len(pfas) != 1}
    assert not several, f"source maps districts to several forces: {several}"
    force_of_district = {lad: pfas.pop() for lad, pfas in forces_of_district.items()}

    successor_of, abolished_on = {}, {}
    for row in _rows("lad_successors_2020_2023.csv"):
        successor, predecessor = row["successor_code"], row["predecessor_code"]
        successor_of[predecessor] = successor
        abolished_on[predecessor] = date.fromisoformat(row["effective_date"])
        district_names[successor] = row["successor_name"]
        force = force_of_district[predecessor]
        assert force_of_district.setdefault(successor, force) == force, (
            f"{successor} straddles police force areas"
        )
    return SourceData(
        region_of_force=region_of_force,
        force_names=force_names,
        force_of_district=force_of_district,
        district_names=district_names,
        successor_of=successor_of,
        abolished_on=abolished_on,
    )
