"""Exports: bulk HSDS JSON and the tabular data package; the official CSV example package and
the legacy HSDS 1.1 sample import, and the CSV examples round-trip through our export."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.urls import reverse

from livingmap.assets.models import Asset
from livingmap.openreferral import schemas, tabular
from livingmap.openreferral.importers import import_hsds
from livingmap.openreferral.models import HsdsService

from .conftest import DATA, load

pytestmark = pytest.mark.django_db


def read_zip(content: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        assert "datapackage.json" in zf.namelist()
        return {
            n[:-4]: list(csv.DictReader(io.StringIO(zf.read(n).decode())))
            for n in zf.namelist()
            if n.endswith(".csv")
        }


def test_bulk_json_export_is_every_public_service_valid(client):
    commit = import_hsds(DATA / "hsds-3.0-examples/service_full.json", commit=True)
    assert commit.created == 1
    response = client.get(reverse("openreferral:export_json"))
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    services = json.loads(response.content)
    assert len(services) == Asset.objects.public().count()
    original = load("hsds-3.0-examples/service_full.json")
    assert original in services
    for svc in services[::7]:
        assert schemas.errors("service", svc) == []


def test_datapackage_export_matches_the_official_package(client):
    response = client.get(reverse("openreferral:export_datapackage"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        package = json.loads(zf.read("datapackage.json"))
        names = set(zf.namelist())
    assert {r["path"] for r in package["resources"]} <= names
    tables = read_zip(response.content)
    assert len(tables["services"]) == Asset.objects.public().count()
    assert len(tables["taxonomies"]) == 2
    fields = tabular.table_fields()
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        header = zf.read("services.csv").decode().splitlines()[0].split(",")
    assert header == fields["service"]
    located = Asset.objects.public().located().count()
    assert len(tables["service_at_location"]) == located == len(tables["locations"])


def test_csv_example_package_round_trips(client):
    report = import_hsds(DATA / "hsds-3.0-examples/csv/datapackage.json", commit=True)
    assert not report.error and report.rejected == []
    assert HsdsService.objects.count() == 1
    # rows that link to nothing in the official package are reported, not silently dropped
    dangling = {p.row.split(" id ")[1] for p in report.warnings if "links to nothing" in p.reason}
    assert dangling == {
        "ae58cc39-8b70-4ab1-8aea-786882e5ac8e",  # attribute whose link_id is in no table
        "6cd71e9f-1013-49d9-8370-26b8f59d3e5a",  # metadata of a location that is not there
    }
    exported = read_zip(client.get(reverse("openreferral:export_datapackage")).content)
    for path in sorted((DATA / "hsds-3.0-examples/csv").glob("*.csv")):
        with path.open(encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        if path.stem in ("meta_table_descriptions",):
            continue  # describes the package itself, not data
        ours = {r["id"]: r for r in exported.get(path.stem, [])}
        for row in rows:
            if row["id"] in dangling:
                continue
            assert row["id"] in ours, f"{path.name}: {row['id']} lost"
            mine = ours[row["id"]]
            for key, value in row.items():
                if value:
                    assert _same(mine.get(key, ""), value), (path.name, key, value, mine.get(key))


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        return a.strip('"') == b.strip('"')


def test_json_example_imports_the_same_from_csv_and_json(client):
    """The CSV package and the JSON example describe the same service: both import to the
    same fields (a check that the tabular reader loses nothing)."""
    import_hsds(DATA / "hsds-3.0-examples/csv/datapackage.json", commit=True)
    from_csv = client.get(f"/openreferral/services/{HsdsService.objects.get().hsds_id}").json()
    assert schemas.errors("service", from_csv) == []
    assert from_csv["name"] and from_csv["service_at_locations"]
    assert from_csv["organization"]["id"] == from_csv["organization_id"]


def test_hsds_1_1_package_imports(client):
    report = import_hsds(DATA / "hsds-1.1-sample/all_resources", commit=True, dataset="hsds-11")
    assert not report.error and report.rejected == []
    services = HsdsService.objects.filter(source="hsds-11")
    assert services.count() == 13
    for row in services:
        body = client.get(f"/openreferral/services/{row.hsds_id}").json()
        assert schemas.errors("service", body) == []
        assert body["organization"]["name"]
    with_schedule = [r for r in services if r.data.get("schedules")]
    assert with_schedule and with_schedule[0].data["schedules"][0]["freq"] == "WEEKLY"
    again = import_hsds(DATA / "hsds-1.1-sample/all_resources", commit=True, dataset="hsds-11")
    assert again.created == 0 and again.updated == 0
