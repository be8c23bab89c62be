"""Postcodes: lookups on the real Trafford file, and importing ONSPD-style CSVs."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
import shapely
import shapely.geometry

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


# -- the national directory: only the area's postcodes ------------------------------------------

#: The ONS Postcode Directory's own columns (ONSPD, February 2024), in its order.
ONSPD_HEADER = [
    "pcd",
    "pcd2",
    "pcds",
    "dointr",
    "doterm",
    "oscty",
    "ced",
    "oslaua",
    "osward",
    "parish",
    "usertype",
    "oseast1m",
    "osnrth1m",
    "osgrdind",
    "oshlthau",
    "nhser",
    "ctry",
    "rgn",
    "streg",
    "pcon",
    "eer",
    "teclec",
    "ttwa",
    "pct",
    "itl",
    "statsward",
    "oa01",
    "casward",
    "npark",
    "lsoa01",
    "msoa01",
    "ur01ind",
    "oac01",
    "oa11",
    "lsoa11",
    "msoa11",
    "wz11",
    "sicbl",
    "bua22",
    "ru11ind",
    "oac11",
    "lat",
    "long",
    "lep1",
    "lep2",
    "pfa",
    "imd",
    "calncv",
    "icb",
    "oa21",
    "lsoa21",
    "msoa21",
]


def onspd_line(pcds: str, lad: str, ward: str, lsoa: str, lon: float, lat: float) -> str:
    values = dict.fromkeys(ONSPD_HEADER, "")
    values.update(
        pcd=pcds.replace(" ", ""),
        pcd2=pcds,
        pcds=pcds,
        dointr="198001",
        oslaua=lad,
        osward=ward,
        usertype="0",
        ctry="E92000001",
        lat=f"{lat:.6f}",
        long=f"{lon:.6f}",
        lsoa21=lsoa,
    )
    return ",".join(values.values())


@pytest.fixture
def national_extract(tmp_path, postcode_file_rows):
    """An extract of the national directory in its own layout: 40 of the area's postcodes
    (from the real file), a postcode of the neighbouring borough about 660 m beyond the area's
    boundary, and postcodes of other areas far away."""
    lad = Area.objects.get(level=AreaLevel.LOCAL_AUTHORITY, is_current=True)
    ours = random.Random(15).sample(postcode_file_rows, 40)
    geom = shapely.geometry.shape(lad.geometry)
    east = max(shapely.get_coordinates(geom), key=lambda c: c[0])
    lines = [
        onspd_line(
            r["postcode"],
            r["la_code"],
            r["ward_code"],
            r["lsoa_code"],
            float(r["lon"]),
            float(r["lat"]),
        )
        for r in ours
    ]
    beyond = (float(east[0]) + 0.01, float(east[1]))
    assert not geom.contains(shapely.geometry.Point(beyond))
    lines += [
        onspd_line("ZZ9 1AA", "E08000003", "E05011368", "E01005061", *beyond),
        onspd_line("ZZ9 2AB", "E09000033", "E05013806", "E01004736", -0.14, 51.50),
        onspd_line("ZZ9 3AC", "S12000036", "S13002925", "", -3.19, 55.95),
        onspd_line("ZZ9 4AD", "E06000023", "E05010897", "E01014485", 0.0, 99.999999),
    ]
    path = tmp_path / "ONSPD_FEB_2024_UK.csv"
    path.write_text(",".join(ONSPD_HEADER) + "\n" + "\n".join(lines) + "\n")
    return path, lad, {r["postcode"] for r in ours}


def test_from_the_national_directory_only_the_local_authoritys_postcodes_are_kept(
    national_extract,
):
    path, lad, ours = national_extract
    Postcode.objects.all().delete()
    report = PostcodeImporter(path, keep="local_authority", area_code=lad.gss_code).run(commit=True)
    assert not report.error
    assert (report.read, report.created, report.skipped) == (44, 40, 4)
    assert f"4 postcodes of other areas left out (not in local authority {lad.gss_code})" in [
        w.reason for w in report.warnings
    ]
    assert set(Postcode.objects.values_list("postcode", flat=True)) == ours
    kept = Postcode.objects.first()
    assert kept.lad_code == lad.gss_code and kept.lon is not None


def test_by_the_boundary_with_a_buffer_the_postcodes_just_outside_are_kept(national_extract):
    path, lad, ours = national_extract
    Postcode.objects.all().delete()
    inside = PostcodeImporter(path, keep="boundary", area_code=lad.gss_code).run(commit=False)
    assert (inside.read, inside.created, inside.skipped) == (44, 40, 4)
    assert not Postcode.objects.exists()  # a dry run
    near = PostcodeImporter(path, keep="boundary", area_code=lad.gss_code, buffer_metres=1000).run(
        commit=True
    )
    assert (near.created, near.skipped) == (41, 3)
    assert (
        f"3 postcodes of other areas left out (not in the boundary of {lad.gss_code} or within 1000 m of it)"
        in [w.reason for w in near.warnings]
    )
    assert set(Postcode.objects.values_list("postcode", flat=True)) == ours | {"ZZ9 1AA"}


def test_import_postcodes_command_keeps_one_area_and_says_how_many_were_left_out(
    national_extract,
):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    path, lad, _ = national_extract
    out = StringIO()
    call_command("import_postcodes", str(path), f"--local-authority={lad.gss_code}", stdout=out)
    assert "4 postcodes of other areas left out" in out.getvalue() and "DRY RUN" in out.getvalue()
    with pytest.raises(CommandError, match="no area with the code E06000999 is loaded"):
        call_command("import_postcodes", str(path), "--within=E06000999", stdout=StringIO())
    with pytest.raises(CommandError, match="--buffer is a distance around a boundary"):
        call_command("import_postcodes", str(path), "--buffer=100", stdout=StringIO())


def test_keeping_by_local_authority_needs_its_column(tmp_path):
    path = tmp_path / "no_la.csv"
    path.write_text("pcds,lat,long\nZZ9 1AA,53.4,-2.3\n")
    report = PostcodeImporter(path, keep="local_authority", area_code="E08000009").run()
    assert "has no local authority column (one of oslaua" in report.error


def test_a_national_file_without_a_single_postcode_of_the_area_is_refused_saying_so(
    national_extract,
):
    path, _, _ = national_extract
    report = PostcodeImporter(path, keep="local_authority", area_code="E06000999").run()
    assert report.error == (
        f"none of the 44 postcodes in {path.name} is in local authority E06000999: "
        "is E06000999 the area's code?"
    )
