"""Postcodes: lookups on the real Trafford file, and importing ONSPD-style CSVs."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from livingmap.areas.importers.postcodes import PostcodeImporter
from livingmap.areas.models import Area, AreaLevel, Postcode
from livingmap.areas.selectors import (
    PostcodeError,
    PostcodeNotFound,
    lookup_postcode,
    point_for_postcode,
)
from livingmap.areas.services import upsert_area
from livingmap.core.importing import DatasetInfo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def postcode_file_rows() -> list[dict[str, str]]:
    from django.conf import settings

    path = Path(settings.LIVINGMAP_DATA_DIR) / "trafford-geography/postcodes.csv"
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def spellings(postcode: str) -> list[str]:
    compact = postcode.replace(" ", "")
    return [postcode, compact.lower(), f"  {postcode.lower()}  ", " ".join(compact)]


# -- lookups ---------------------------------------------------------------------------------


def test_every_postcode_in_the_file_is_loaded(postcode_file_rows):
    assert Postcode.objects.count() == len(postcode_file_rows) == 11264
    stored = dict(Postcode.objects.values_list("postcode", "lsoa_code"))
    assert stored == {r["postcode"]: r["lsoa_code"] for r in postcode_file_rows}


def test_a_real_postcode_in_any_spelling_gives_its_point_and_areas(postcode_file_rows):
    row = next(r for r in postcode_file_rows if r["postcode"] == "M15 4AB")
    for text in spellings("M15 4AB"):
        result = lookup_postcode(text)
        assert result.postcode == "M15 4AB"
        assert (result.lon, result.lat) == (float(row["lon"]), float(row["lat"]))
        codes = {a.level: a.gss_code for a in result.areas}
        assert codes == {
            "lad": row["la_code"],
            "ward": row["ward_code"],
            "msoa": row["msoa_code"],
            "lsoa": row["lsoa_code"],
        }
        assert [h.name for h in result.neighbourhoods] == [row["locality"]]
        assert point_for_postcode(text) == (float(row["lon"]), float(row["lat"]))


def test_a_sample_of_postcodes_match_the_file(postcode_file_rows):
    sample = random.Random(20240630).sample(postcode_file_rows, 200)
    names = dict(Area.objects.current().statutory().values_list("gss_code", "name"))
    for row in sample:
        result = lookup_postcode(row["postcode"].replace(" ", "").lower())
        assert (result.lon, result.lat) == (float(row["lon"]), float(row["lat"]))
        areas = {a.level: a for a in result.areas}
        assert areas["ward"].gss_code == row["ward_code"]
        assert areas["lsoa"].gss_code == row["lsoa_code"]
        assert areas["lsoa"].vintage == 2021 and areas["lsoa"].is_current
        assert areas["msoa"].gss_code == row["msoa_code"]
        assert areas["lad"].gss_code == row["la_code"]
        assert names[row["ward_code"]] == row["ward_name"]


def test_our_locality_for_a_postcode_agrees_with_the_file(postcode_file_rows):
    """The file names each postcode's locality; we work it out from the locality boundaries.

    Found on the demo data: all 11,264 postcodes agree (checked once in full); the test checks
    300 at random and allows a few to differ, since generalised boundaries may put a postcode on
    the edge into the next locality.
    """
    sample = random.Random(4).sample(postcode_file_rows, 300)
    agree = unplaced = several = 0
    for row in sample:
        hoods = [h.name for h in lookup_postcode(row["postcode"]).neighbourhoods]
        agree += hoods == [row["locality"]]
        unplaced += not hoods
        several += len(hoods) > 1
    assert agree / len(sample) >= 0.98, (agree, unplaced, several)


def test_the_postcode_file_and_the_locality_boundaries_name_the_same_localities(
    postcode_file_rows,
):
    in_file = {r["locality"] for r in postcode_file_rows}
    assert in_file == set(Area.objects.neighbourhoods().values_list("name", flat=True))


@pytest.mark.parametrize("text", ["M15", "ABC 123", "", "M15 4AB extra", "   ", "M15 4A"])
def test_a_malformed_postcode_is_a_postcode_error_saying_what_one_looks_like(text):
    for lookup in (lookup_postcode, point_for_postcode):
        with pytest.raises(PostcodeError, match="like M32 0TH"):
            lookup(text)


@pytest.mark.parametrize("text", ["ZZ99 9ZZ", "sw1a1aa", "M60 9ZZ"])
def test_an_unknown_well_formed_postcode_is_not_found_with_a_message(text):
    with pytest.raises(PostcodeNotFound) as caught:
        lookup_postcode(text)
    normalised = text.upper().replace(" ", "")
    assert f"{normalised[:-3]} {normalised[-3:]}" in str(caught.value)
    assert "could not find" in str(caught.value)
    with pytest.raises(PostcodeNotFound):
        point_for_postcode(text)


def test_postcode_not_found_is_not_a_postcode_error():
    """Callers tell 'check how you typed it' from 'we do not hold it' by the error's class."""
    assert not issubclass(PostcodeNotFound, PostcodeError)
    assert not issubclass(PostcodeError, PostcodeNotFound)


def test_a_postcode_without_a_location_has_areas_but_no_point():
    Postcode.objects.create(
        postcode="M15 9ZZ", lsoa_code="E01034001", ward_code="E05015247", lad_code="E08000009"
    )
    result = lookup_postcode("m159zz")
    assert not result.located and result.neighbourhoods == []
    assert {a.gss_code for a in result.areas} == {"E01034001", "E05015247", "E08000009"}
    with pytest.raises(PostcodeNotFound, match="has no location"):
        point_for_postcode("M15 9ZZ")


def test_a_postcode_on_the_meridian_finds_its_neighbourhood():
    upsert_area(
        level=AreaLevel.NEIGHBOURHOOD,
        name="Greenwich Peninsula",
        vintage=2025,
        origin=Area.Origin.DRAWN,
        geometry={
            "type": "Polygon",
            "coordinates": [
                [[-0.01, 51.49], [0.01, 51.49], [0.01, 51.51], [-0.01, 51.51], [-0.01, 51.49]]
            ],
        },
    )
    Postcode.objects.create(postcode="SE10 0ZZ", lon=0.0, lat=51.5)
    assert [h.name for h in lookup_postcode("SE10 0ZZ").neighbourhoods] == ["Greenwich Peninsula"]


# -- importing ONSPD-style files --------------------------------------------------------------

ONSPD_COLUMNS = [
    "pcd",
    "pcd2",
    "pcds",
    "dointr",
    "doterm",
    "oscty",
    "oslaua",
    "osward",
    "oa21cd",
    "lsoa21cd",
    "msoa21cd",
    "lat",
    "long",
    "imd",
]


def onspd_row(pcds: str, lat: str, long: str, **extra: str) -> dict[str, str]:
    row = {c: "" for c in ONSPD_COLUMNS}
    row.update(
        pcd=pcds.replace(" ", "").ljust(7),
        pcd2=pcds,
        pcds=pcds,
        dointr="198001",
        oslaua="E08000009",
        osward="E05015253",
        oa21cd="E00030771",
        lsoa21cd="E01006112",
        msoa21cd="E02001259",
        lat=lat,
        long=long,
        imd="12345",
    )
    row.update(extra)
    return row


def write_onspd(path: Path, rows: list[dict[str, str]], columns: list[str] = ONSPD_COLUMNS) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def importer(path: Path) -> PostcodeImporter:
    imp = PostcodeImporter(path)
    imp.dataset = DatasetInfo(slug="onspd-test", name="ONSPD (test extract)", licence="OGL")
    return imp


def test_an_onspd_file_imports_with_its_own_column_names(tmp_path):
    path = write_onspd(
        tmp_path / "ONSPD_MAY_2025_UK_M.csv",
        [
            onspd_row("M99 1AZ", "53.463", "-2.281"),
            onspd_row("M99 1AY", "53.4641", "-2.2822", doterm="202003"),
        ],
    )

    report = importer(path).run(commit=True)

    assert not report.rejected and not report.warnings, (report.rejected, report.warnings)
    assert report.created == 2
    row = Postcode.objects.get(postcode="M99 1AZ")
    assert (row.lon, row.lat) == (-2.281, 53.463)
    assert (row.oa_code, row.lsoa_code, row.msoa_code, row.ward_code, row.lad_code) == (
        "E00030771",
        "E01006112",
        "E02001259",
        "E05015253",
        "E08000009",
    )
    assert not row.terminated
    assert Postcode.objects.get(postcode="M99 1AY").terminated
    assert row.source.slug == "onspd-test"
    result = lookup_postcode("m991az")
    assert {a.level for a in result.areas} == {"lad", "ward", "oa", "lsoa", "msoa"}
    assert [h.name for h in result.neighbourhoods] == ["North"]


def test_onspd_no_location_latitude_means_unlocated(tmp_path):
    path = write_onspd(
        tmp_path / "onspd.csv",
        [onspd_row("M99 1AX", "99.999999", "0.000000"), onspd_row("M99 1AW", "53.46", "-2.28")],
    )
    report = importer(path).run(commit=True)
    assert report.created == 2 and not report.rejected
    assert [(w.row, w.reason) for w in report.warnings] == [
        ("file", "1 postcodes have no location")
    ]
    row = Postcode.objects.get(postcode="M99 1AX")
    assert row.lat is None and row.lon is None
    assert not lookup_postcode("M99 1AX").located


def test_rejected_postcode_rows_each_have_a_reason(tmp_path):
    rows = [
        onspd_row("M99 1AZ", "53.463", "-2.281"),
        onspd_row("M99", "53.463", "-2.281"),
        onspd_row("", "53.463", "-2.281"),
        onspd_row("M99 1AV", "40.7", "-74.0"),
        onspd_row("M99 1AU", "-2.281", "53.463"),
        onspd_row("M99 1AT", "fifty-three", "-2.281"),
        onspd_row("m99 1az", "53.5", "-2.2"),
    ]
    report = importer(write_onspd(tmp_path / "onspd.csv", rows)).run(commit=True)

    reasons = {p.row: p.reason for p in report.rejected}
    assert report.created == 1
    assert reasons == {
        "line 3": "'M99' is not a postcode. A postcode looks like M32 0TH.",
        "line 4": "Enter a postcode, like M32 0TH.",
        "line 5": "(-74.0, 40.7) is not in the UK",
        "line 6": "(53.463, -2.281) is not in the UK",
        "line 7": "longitude/latitude '-2.281, fifty-three' are not numbers",
        "line 8": "M99 1AZ appears more than once",
    }
    assert Postcode.objects.get(postcode="M99 1AZ").lat == 53.463  # the first one is kept


def test_column_names_are_found_whatever_their_case_and_the_other_spellings(tmp_path):
    path = tmp_path / "pc.csv"
    path.write_text(
        "Postcode,Latitude,Longitude,LSOA_CODE,Ward_Code,LAD_code\n"
        "m99 1az,53.463,-2.281,E01006112,E05015253,E08000009\n"
    )
    report = importer(path).run(commit=True)
    assert report.created == 1, report.rejected
    row = Postcode.objects.get(postcode="M99 1AZ")
    assert (row.lon, row.lat, row.lsoa_code, row.ward_code, row.lad_code) == (
        -2.281,
        53.463,
        "E01006112",
        "E05015253",
        "E08000009",
    )


def test_reimporting_a_changed_postcode_updates_it_and_an_unchanged_one_is_left(tmp_path):
    first = write_onspd(
        tmp_path / "a.csv",
        [onspd_row("M99 1AZ", "53.463", "-2.281"), onspd_row("M99 1AY", "53.464", "-2.282")],
    )
    importer(first).run(commit=True)
    second = write_onspd(
        tmp_path / "b.csv",
        [
            onspd_row("M99 1AZ", "53.463", "-2.281"),
            onspd_row("M99 1AY", "53.464", "-2.282", doterm="202401"),
        ],
    )
    report = importer(second).run(commit=True)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Postcode.objects.get(postcode="M99 1AY").terminated
    again = importer(second).run(commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_the_real_trafford_file_imports_with_no_rejections(data_dir):
    report = importer(data_dir / "trafford-geography/postcodes.csv").run()
    assert report.read == 11264
    assert report.rejected == [] and report.warnings == []
