"""The mapping language beyond CSV: any source format its [source] declares (GeoJSON, JSON
with a path to its records, XLSX), templates, the assets domain's named transforms and a
per-row hook. Each loads the same register written in another format, so the records must be
those the CSV gives."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from livingmap.areas.models import Postcode
from livingmap.assets.importers.mapping import ASSETS, MappedImporter, register_hook
from livingmap.assets.models import Asset, AssetSource
from livingmap.core.importing import RowRejected

pytestmark = pytest.mark.django_db

DATASET = """
[dataset]
slug = "test-directory"
name = "A directory in several formats"
licence = "CC0"
"""


def places() -> list[Postcode]:
    return list(
        Postcode.objects.filter(lat__isnull=False, ward_code__startswith="E05").order_by(
            "postcode"
        )[200:203]
    )


def directory() -> list[dict[str, Any]]:
    """Three services as a directory publishes them."""
    found = places()
    return [
        {
            "id": f"S{n}",
            "name": name,
            "postcode": p.postcode,
            "lon": round(p.lon, 6),
            "lat": round(p.lat, 6),
            "email": email,
        }
        for n, (name, email, p) in enumerate(
            [
                ("ALTRINCHAM TOOL LIBRARY", "tools@example.org", found[0]),
                ("Sale Repair Cafe", "not an address", found[1]),
                ("Partington Food Hub", "", found[2]),
            ],
            start=1,
        )
    ]


COLUMNS = """
[columns]
source_id = "id"
name = "name"
postcode = "postcode"
lon = "lon"
lat = "lat"
email = "email"
[fixed]
kind = "association"
"""


def stored() -> list[tuple[Any, ...]]:
    return sorted(
        AssetSource.objects.filter(dataset__slug="test-directory").values_list(
            "source_id",
            "asset__name",
            "asset__postcode",
            "asset__lon",
            "asset__lat",
            "asset__email",
        )
    )


def load(tmp_path: Path, path: Path, mapping: str) -> Any:
    mapping_path = tmp_path / "directory.toml"
    mapping_path.write_text(DATASET + mapping, encoding="utf-8")
    return MappedImporter(path, mapping=mapping_path).run(commit=True)


def from_csv(tmp_path: Path) -> tuple[Any, list[tuple[Any, ...]]]:
    rows = directory()
    path = tmp_path / "directory.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = load(tmp_path, path, COLUMNS)
    return report, stored()


def test_a_json_list_of_records_found_by_its_path_loads_as_its_csv_does(tmp_path):
    csv_report, csv_records = from_csv(tmp_path)
    Asset.objects.filter(sources__dataset__slug="test-directory").delete()
    AssetSource.objects.filter(dataset__slug="test-directory").delete()
    # An HSDS-like document: the records under data.services, each with a nested location.
    services = [
        {
            "id": r["id"],
            "name": r["name"],
            "contact": {"email": r["email"]},
            "locations": [{"postcode": r["postcode"], "lon": r["lon"], "lat": r["lat"]}],
        }
        for r in directory()
    ]
    path = tmp_path / "directory.json"
    path.write_text(json.dumps({"meta": {}, "data": {"services": services}}), encoding="utf-8")
    mapping = (
        COLUMNS.replace('postcode = "postcode"', 'postcode = "locations.0.postcode"')
        .replace('lon = "lon"', 'lon = "locations.0.lon"')
        .replace('lat = "lat"', 'lat = "locations.0.lat"')
        .replace('email = "email"', 'email = "contact.email"')
    )
    report = load(
        tmp_path, path, '[source]\nformat = "json"\nrecords = "data.services"\n' + mapping
    )
    assert not report.error, report.error
    assert report.counts() == csv_report.counts()
    assert [(p.row, p.reason) for p in report.warnings] == [
        ("record 2", "email 'not an address' is not an email address: imported without it")
    ]
    assert stored() == csv_records
    # The path is checked: a wrong one says what the document has.
    wrong = load(tmp_path, path, '[source]\nformat = "json"\nrecords = "services"\n' + mapping)
    assert "has no 'services'" in wrong.error and "data, meta" in wrong.error


def test_geojson_and_xlsx_sources_load_as_the_csv_does(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    csv_report, csv_records = from_csv(tmp_path)
    rows = directory()

    def forget() -> None:
        Asset.objects.filter(sources__dataset__slug="test-directory").delete()
        AssetSource.objects.filter(dataset__slug="test-directory").delete()

    forget()
    features = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                "properties": {k: v for k, v in r.items() if k not in ("lon", "lat")},
            }
            for r in rows
        ],
    }
    path = tmp_path / "directory.geojson"
    path.write_text(json.dumps(features), encoding="utf-8")
    no_columns = COLUMNS.replace('lon = "lon"\n', "").replace('lat = "lat"\n', "")
    report = load(tmp_path, path, no_columns)  # the format from the file's suffix
    assert not report.error, report.error
    assert report.counts() == csv_report.counts()
    assert stored() == csv_records

    forget()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Services"
    sheet.append(list(rows[0]))
    for r in rows:
        sheet.append(list(r.values()))
    sheet.append([None] * len(rows[0]))  # a blank row, as spreadsheets leave
    path = tmp_path / "directory.xlsx"
    book.save(path)
    report = load(tmp_path, path, '[source]\nformat = "xlsx"\nsheet = "Services"\n' + COLUMNS)
    assert not report.error, report.error
    assert report.counts() == csv_report.counts()
    assert [p.row for p in report.warnings] == ["row 3"]
    assert stored() == csv_records
    missing = load(tmp_path, path, '[source]\nformat = "xlsx"\nsheet = "Sheet9"\n' + COLUMNS)
    assert missing.error == "directory.xlsx has no sheet 'Sheet9'; it has Services"


def test_templates_named_transforms_and_a_hook_make_the_values(tmp_path, monkeypatch):
    rows = directory()
    path = tmp_path / "directory.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*rows[0], "town"])
        writer.writeheader()
        for r, town in zip(rows, ["Altrincham", "", "Partington"], strict=True):
            writer.writerow({**r, "town": town})

    def hook(row: dict[str, Any], record: Any, label: str) -> Any:
        if row["id"] == "S3":
            raise RowRejected("the hook refuses the food hub")
        record.description = f"{record.description} (checked)"
        return record

    monkeypatch.setattr(ASSETS, "hooks", {})  # this test's hook only, taken away after it
    register_hook("test_checked", hook)
    mapping = COLUMNS.replace(
        'name = "name"', 'name = { column = "name", transform = "ordinary_case" }'
    ).replace("[fixed]", 'description = "{name}, {town}"\n[target]\nhook = "test_checked"\n[fixed]')
    report = load(tmp_path, path, mapping)
    assert not report.error, report.error
    assert [(p.row, p.reason) for p in report.rejected] == [
        ("line 4", "the hook refuses the food hub")
    ]
    assets = {
        s.source_id: s.asset
        for s in AssetSource.objects.filter(dataset__slug="test-directory").select_related("asset")
    }
    assert assets["S1"].name == "Altrincham Tool Library"  # was all capitals
    assert assets["S2"].name == "Sale Repair Cafe"  # not all capitals: as it was
    # A template's blank column leaves no stray comma behind it.
    assert assets["S1"].description == "ALTRINCHAM TOOL LIBRARY, Altrincham (checked)"
    assert assets["S2"].description == "Sale Repair Cafe, (checked)"


def test_mistakes_in_the_new_sections_are_reported_at_once(tmp_path):
    path = tmp_path / "directory.csv"
    path.write_text("id,name\nS1,A hall\n", encoding="utf-8")
    mapping = (
        '[source]\nformat = "xls"\nsheeet = "x"\n[target]\ndomain = "grants"\nhook = "nope"\n'
        '[columns]\nname = { column = "name", transform = "shouty" }\n'
        'description = "{name"\n[fixed]\nkind = "physical"\n'
    )
    report = load(tmp_path, path, mapping)
    problems = report.error.split("\n- ")[1:]
    assert problems == [
        "[source] format 'xls' is not one we read — did you mean 'xlsx'? "
        "(the formats are csv, geojson, json, xlsx)",
        "[source] has no key 'sheeet' — did you mean 'sheet'?",
        "[target] domain 'grants': there is no domain called 'grants' (the domains are assets)",
        "[target] hook 'nope': the assets domain has no hook called that (its hooks: none yet)",
        "[columns] name: transform must be one of ordinary_case, weekly_hours",
        '[columns] description: "{name" is not a template: name each column in braces, '
        'e.g. "{Name} Library"',
    ]


def test_the_import_mapped_command_reads_the_format_the_mapping_names(tmp_path, capsys):
    rows = directory()
    path = tmp_path / "directory.json"
    path.write_text(json.dumps({"grants": rows}), encoding="utf-8")
    mapping = tmp_path / "directory.toml"
    mapping.write_text(DATASET + '[source]\nrecords = "grants"\n' + COLUMNS, encoding="utf-8")
    call_command("import_mapped", str(path), "--mapping", str(mapping))
    out = capsys.readouterr().out
    assert "dry run" in out.lower()
    assert not AssetSource.objects.filter(dataset__slug="test-directory").exists()
    path.write_text(json.dumps({"other": rows}), encoding="utf-8")
    with pytest.raises(CommandError, match="has no 'grants'"):
        call_command("import_mapped", str(path), "--mapping", str(mapping))


# -- only what is inside the area ----------------------------------------------------------------


def test_only_records_inside_the_area_are_kept_and_the_rest_counted_by_reason(tmp_path):
    from shapely.geometry import Point

    from livingmap.areas.models import Area, AreaLevel
    from livingmap.core.geo import geometry_from_geojson

    inside = places()[0]
    authorities = list(Area.objects.filter(level=AreaLevel.LOCAL_AUTHORITY, is_current=True))
    assert authorities, "the demo loads its local authority's boundary"
    name = ", ".join(sorted(a.name for a in authorities))
    # Manchester's town hall: a few miles outside the demo's borough.
    outside = (-2.2446, 53.4794)
    assert not any(geometry_from_geojson(a.geometry).contains(Point(*outside)) for a in authorities)
    path = tmp_path / "directory.csv"
    path.write_text(
        "id,name,postcode,lon,lat\n"
        f"A,Inside Hall,,{inside.lon},{inside.lat}\n"
        f"B,Outside Hall,M2 5DB,{outside[0]},{outside[1]}\n"
        f"C,Postcode Hall,{inside.postcode},,\n"
        "D,Nowhere Hall,,,\n",
        encoding="utf-8",
    )
    mapping = '[columns]\nsource_id = "id"\nname = "name"\npostcode = "postcode"\nlon = "lon"\nlat = "lat"\n[fixed]\nkind = "association"\n'
    mapping_path = tmp_path / "directory.toml"
    mapping_path.write_text(DATASET + mapping, encoding="utf-8")

    report = MappedImporter(path, mapping=mapping_path, within="loaded").run(commit=True)
    assert not report.error, report.error
    assert report.outside == {f"located outside {name} by its point: left out": 1}
    assert report.created + report.updated == 3  # the place of D is not known: kept, as today
    assert [p.row for p in report.warnings] == ["line 5"]
    refs = set(
        AssetSource.objects.filter(dataset__slug="test-directory").values_list(
            "source_id", flat=True
        )
    )
    assert refs == {"A", "C", "D"}

    # Kept as serving the area from outside it: on no map, in none of its areas, with a note.
    mapping_path.write_text(
        DATASET
        + mapping.replace("[fixed]", '[target]\nwithin = "loaded"\noutside = "serving"\n[fixed]'),
        encoding="utf-8",
    )
    report = MappedImporter(path, mapping=mapping_path).run(commit=True)
    assert not report.error, report.error
    assert report.outside == {f"located outside {name} by its point: kept as serving it": 1}
    serving = AssetSource.objects.get(dataset__slug="test-directory", source_id="B").asset
    assert (serving.lon, serving.lat) == (None, None)
    assert serving.postcode == "M2 5DB"
    assert serving.extra["serves_area"] == name
    assert serving.extra["located_outside_area"] == "M2 5DB"
    assert not serving.area_links.exists()

    # A named area, by its code; and a code that names nothing is refused before any row.
    ward = (
        Area.objects.filter(level=AreaLevel.WARD, is_current=True)
        .exclude(gss_code=inside.ward_code)
        .first()
    )
    report = MappedImporter(path, mapping=mapping_path, within=ward.gss_code, outside="leave").run()
    assert report.outside == {
        f"located outside {ward.name} ({ward.gss_code}) by its point: left out": 2,
        f"located outside {ward.name} ({ward.gss_code}) by its postcode: left out": 1,
    }
    report = MappedImporter(path, mapping=mapping_path, within="E99999999").run()
    assert report.error == "there is no area with the code E99999999 (--within)"
    assert report.read == 0
