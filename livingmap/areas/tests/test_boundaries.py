"""Statutory boundaries: the real Trafford files, vintages, and every way a boundary row is refused."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from livingmap.areas.importers.boundaries import BoundaryImporter
from livingmap.areas.models import Area, AreaLevel
from livingmap.core.geo import geometry_from_geojson
from livingmap.core.models import ImportEvent

pytestmark = pytest.mark.django_db

#: The demo's boundary files: (file, level, vintage, property holding the name).
FILES = [
    ("local_authority_2023.geojson", AreaLevel.LOCAL_AUTHORITY, 2023, "area_name"),
    ("wards_2023.geojson", AreaLevel.WARD, 2023, "area_name"),
    ("msoa_2021.geojson", AreaLevel.MSOA, 2021, "area_name"),
    ("lsoa_2021.geojson", AreaLevel.LSOA, 2021, "area_name"),
    ("lsoa_2011.geojson", AreaLevel.LSOA, 2011, "area_name"),
    ("oa_2021.geojson", AreaLevel.OUTPUT_AREA, 2021, "area_code"),
]


def features(data_dir: Path, file: str) -> list[dict]:
    return json.loads((data_dir / "trafford-geography" / file).read_text())["features"]


@pytest.mark.parametrize(("file", "level", "vintage", "name_property"), FILES)
def test_every_statutory_area_in_the_real_files_is_loaded_once(
    data_dir, file, level, vintage, name_property
):
    rows = features(data_dir, file)
    expected = {f["properties"]["area_code"]: f["properties"][name_property] for f in rows}
    assert len(expected) == len(rows), "the file itself has no duplicate codes"
    loaded = Area.objects.filter(level=level, vintage=vintage)
    assert dict(loaded.values_list("gss_code", "name")) == expected
    assert loaded.count() == len(rows)
    assert all(a.origin == Area.Origin.STATUTORY for a in loaded)
    assert {a.source.slug for a in loaded.select_related("source")} == {
        f"trafford-{level}-{vintage}"
    }
    assert all(a.source.licence == "Open Government Licence v3.0" for a in loaded[:3])


def test_the_counts_are_those_the_data_readme_gives(data_dir):
    counts = {(level, vintage): len(features(data_dir, f)) for f, level, vintage, _ in FILES}
    assert counts == {
        ("lad", 2023): 1,
        ("ward", 2023): 21,
        ("msoa", 2021): 28,
        ("lsoa", 2021): 139,
        ("lsoa", 2011): 138,
        ("oa", 2021): 738,
    }
    for (level, vintage), n in counts.items():
        assert Area.objects.filter(level=level, vintage=vintage).count() == n


def test_the_localities_are_neighbourhoods(data_dir):
    names = {f["properties"]["area_name"] for f in features(data_dir, "localities_2023.geojson")}
    hoods = Area.objects.neighbourhoods()
    assert set(hoods.values_list("name", flat=True)) == names
    assert len(names) == 4
    assert all(h.origin == Area.Origin.IMPORTED and not h.gss_code for h in hoods)


def test_the_newest_vintage_of_each_level_is_current():
    assert not Area.objects.filter(level=AreaLevel.LSOA, vintage=2011, is_current=True).exists()
    assert Area.objects.filter(level=AreaLevel.LSOA, vintage=2021, is_current=False).count() == 0
    current = Area.objects.statutory().current()
    assert set(current.values_list("level", "vintage").distinct()) == {
        ("lad", 2023),
        ("ward", 2023),
        ("msoa", 2021),
        ("lsoa", 2021),
        ("oa", 2021),
    }


def test_importing_an_older_vintage_after_a_newer_one_keeps_the_newer_current(data_dir):
    report = BoundaryImporter(
        data_dir / "trafford-geography/wards_2023.geojson", level=AreaLevel.WARD, vintage=2019
    ).run(commit=True)
    assert report.created == 21
    assert Area.objects.filter(level=AreaLevel.WARD, vintage=2019, is_current=False).count() == 21
    assert Area.objects.filter(level=AreaLevel.WARD, vintage=2023, is_current=True).count() == 21


@pytest.mark.parametrize(("file", "level", "vintage", "name_property"), FILES[:2])
def test_stored_geometry_bbox_label_point_and_land_area_are_right(
    data_dir, file, level, vintage, name_property
):
    for feature in features(data_dir, file):
        area = Area.objects.get(
            level=level, vintage=vintage, gss_code=feature["properties"]["area_code"]
        )
        original = shape(feature["geometry"])
        stored = geometry_from_geojson(area.geometry)
        assert stored.symmetric_difference(original).area < 1e-9 * max(original.area, 1)
        assert (area.min_lon, area.min_lat, area.max_lon, area.max_lat) == pytest.approx(
            original.bounds
        )
        assert stored.contains(shapely.Point(area.point_lon, area.point_lat))
        # The file gives each area's size in square metres (from British National Grid).
        assert area.land_area_m2 == pytest.approx(feature["properties"]["area"], rel=0.002)


# -- rows that are refused -----------------------------------------------------------------


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


def feature(code: str, name: str, geometry: dict | None) -> dict:
    return {
        "type": "Feature",
        "properties": {"area_code": code, "area_name": name},
        "geometry": geometry,
    }


def write_features(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": rows}))
    return path


def test_a_ward_file_imported_as_lsoas_is_refused_row_by_row(data_dir):
    before = Area.objects.count()
    report = BoundaryImporter(
        data_dir / "trafford-geography/wards_2023.geojson", level=AreaLevel.LSOA, vintage=2021
    ).run(commit=True)
    assert report.counts()["rejected"] == 21
    assert report.created == report.updated == report.unchanged == 0
    for problem, row in zip(report.rejected, features(data_dir, "wards_2023.geojson"), strict=True):
        code = row["properties"]["area_code"]
        assert problem.reason == (
            f"{code} is not a Lower layer super output area (LSOA) code (those start E01, W01)"
        )
    assert Area.objects.count() == before


@pytest.mark.parametrize(
    ("level", "code", "accepted"),
    [
        (AreaLevel.WARD, "E05099999", True),
        (AreaLevel.WARD, "e05099999", True),
        (AreaLevel.WARD, "E01099999", False),
        (AreaLevel.MSOA, "E02099999", True),
        (AreaLevel.MSOA, "E01099999", False),
        (AreaLevel.OUTPUT_AREA, "E00099999", True),
        (AreaLevel.LOCAL_AUTHORITY, "E08099999", True),
        (AreaLevel.LOCAL_AUTHORITY, "E05099999", False),
    ],
)
def test_gss_code_prefixes_are_checked_for_each_level(tmp_path, level, code, accepted):
    path = write_features(tmp_path / "a.geojson", [feature(code, "Test", square(-2.3, 53.4))])
    report = BoundaryImporter(path, level=level, vintage=2030).run(commit=True)
    assert (report.created == 1) is accepted
    assert (len(report.rejected) == 1) is not accepted
    if accepted:
        assert Area.objects.get(level=level, vintage=2030).gss_code == code.upper()


BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[-2.30, 53.40], [-2.28, 53.42], [-2.28, 53.40], [-2.30, 53.42], [-2.30, 53.40]]
    ],
}
# A square with a spike out of one corner: repairing it gives a polygon and a line.
SPIKED = {
    "type": "Polygon",
    "coordinates": [
        [
            [-2.30, 53.40],
            [-2.29, 53.40],
            [-2.29, 53.41],
            [-2.28, 53.42],
            [-2.29, 53.41],
            [-2.30, 53.41],
            [-2.30, 53.40],
        ]
    ],
}
FLAT = {
    "type": "Polygon",
    "coordinates": [[[-2.30, 53.40], [-2.29, 53.40], [-2.28, 53.40], [-2.30, 53.40]]],
}


def test_each_refused_boundary_row_has_its_reason(tmp_path):
    rows = [
        feature("E05090001", "Good", square(-2.30, 53.40)),
        feature("", "No code", square(-2.30, 53.40)),
        feature("E05090003", "No geometry", None),
        feature("E05090004", "A point", {"type": "Point", "coordinates": [-2.3, 53.4]}),
        feature("E05090005", "Grid metres", square(380000, 395000, 500)),
        feature("E05090006", "Swapped", square(53.40, -2.30)),
        feature("E05090007", "Flat", FLAT),
        feature("E05090008", "Broken", {"type": "Polygon", "coordinates": [[[1, 2]]]}),
        feature("E05090001", "Twice", square(-2.31, 53.40)),
        {
            "type": "Feature",
            "properties": {"area_code": "E05090010"},
            "geometry": square(-2.3, 53.4),
        },
    ]
    path = write_features(tmp_path / "wards.geojson", rows)

    report = BoundaryImporter(path, level=AreaLevel.WARD, vintage=2030).run(commit=True)

    reasons = {p.row: p.reason for p in report.rejected}
    assert report.created == 2  # "Good", and the unnamed one, named by its code
    assert set(reasons) == {f"feature {n}" for n in range(2, 10)}
    assert reasons["feature 2"] == "no GSS code in 'area_code'"
    assert reasons["feature 3"] == "no geometry"
    assert reasons["feature 4"] == "an area must be a polygon, not a Point"
    for row in ("feature 5", "feature 6"):
        assert reasons[row] == (
            "coordinates are not longitude/latitude in the UK (is the file in WGS84, "
            "longitude first?)"
        )
    assert reasons["feature 7"].startswith("the boundary has no area")
    assert reasons["feature 8"].startswith("not a GeoJSON geometry")
    assert reasons["feature 9"] == "E05090001 appears twice in the file"
    assert Area.objects.get(vintage=2030, gss_code="E05090010").name == "E05090010"
    assert Area.objects.get(vintage=2030, gss_code="E05090001").name == "Good"
    event = ImportEvent.objects.get(pk=report.event_id)
    assert {r["row"] for r in event.report["rejected_rows"]} == set(reasons)


@pytest.mark.parametrize("geometry", [BOWTIE, SPIKED], ids=["bow-tie", "spike"])
def test_an_invalid_boundary_is_repaired_and_the_repair_reported(tmp_path, geometry):
    path = write_features(tmp_path / "w.geojson", [feature("E05090001", "Knot", geometry)])
    report = BoundaryImporter(path, level=AreaLevel.WARD, vintage=2030).run(commit=True)
    assert report.created == 1, report.rejected
    assert [w.row for w in report.warnings] == ["feature 1"]
    assert "not valid" in report.warnings[0].reason and "repaired" in report.warnings[0].reason
    area = Area.objects.get(level=AreaLevel.WARD, vintage=2030)
    stored = shape(area.geometry)
    assert stored.is_valid
    assert stored.geom_type in {"Polygon", "MultiPolygon"}
    assert stored.area == pytest.approx(shapely.make_valid(shape(geometry)).area)


@pytest.mark.parametrize(("file", "level", "vintage", "name_property"), FILES)
def test_the_real_files_report_exactly_the_boundaries_that_needed_repair(
    data_dir, file, level, vintage, name_property
):
    invalid = [
        f"feature {n}"
        for n, f in enumerate(features(data_dir, file), start=1)
        if not shape(f["geometry"]).is_valid
    ]
    report = BoundaryImporter(
        data_dir / "trafford-geography" / file,
        level=level,
        vintage=vintage,
        name_property=name_property,
    ).run()
    assert [w.row for w in report.warnings] == invalid
    assert not report.rejected


def test_a_file_of_valid_boundaries_has_no_repair_warnings(data_dir):
    report = BoundaryImporter(
        data_dir / "trafford-geography/lsoa_2021.geojson", level=AreaLevel.LSOA, vintage=2021
    ).run()
    assert report.warnings == []
    assert report.unchanged == 139


def test_only_neighbourhoods_can_be_drawn(tmp_path):
    from livingmap.core.importing import SourceError

    with pytest.raises(SourceError, match="only neighbourhoods"):
        BoundaryImporter(tmp_path / "x.geojson", level="ward", vintage=2030, origin="drawn")
    with pytest.raises(SourceError, match="unknown level"):
        BoundaryImporter(tmp_path / "x.geojson", level="county", vintage=2030)


def test_import_boundaries_records_the_publisher_licence_and_attribution_given(tmp_path, client):
    from django.core.management import call_command

    from livingmap.core.models import Dataset

    ring = [[1.2, 52.58], [1.4, 52.58], [1.4, 52.68], [1.2, 52.68], [1.2, 52.58]]
    path = tmp_path / "wards.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"WD24CD": "E05999911", "WD24NM": "Marsh Ward"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    call_command(
        "import_boundaries",
        str(path),
        "--level=ward",
        "--vintage=2024",
        "--code-property=WD24CD",
        "--name-property=WD24NM",
        "--dataset-name=Marshes wards (May 2024)",
        "--publisher=Office for National Statistics",
        "--attribution=Source: Office for National Statistics licensed under the Open "
        "Government Licence v3.0. Contains OS data © Crown copyright and database right 2024.",
        "--source-url=https://geoportal.statistics.gov.uk/",
        "--commit",
        stdout=io.StringIO(),
    )
    dataset = Dataset.objects.get(slug="boundaries-ward-2024")
    assert dataset.name == "Marshes wards (May 2024)"
    assert dataset.publisher == "Office for National Statistics"
    assert dataset.licence == "Open Government Licence v3.0"
    assert dataset.licence_url.startswith("https://www.nationalarchives.gov.uk/")
    assert dataset.attribution.endswith("database right 2024.")
    assert Area.objects.get(gss_code="E05999911").source == dataset
    about = client.get("/about/data/").content.decode()
    assert "Marshes wards (May 2024)" in about and "Office for National Statistics" in about
    assert "Contains OS data © Crown copyright and database right 2024." in about
