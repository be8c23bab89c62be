"""Importing the official HSDS 3.0 and ORUK examples and the ORUK validator's mock feeds: they
import cleanly, validate, and round-trip (import, then export through the API) with no field
lost; the -Fail mocks are rejected with their reasons; messy v1-style data is repaired and every
repair reported; re-import is idempotent; de-duplication against the map."""

from __future__ import annotations

import json

import pytest

from livingmap.assets.models import Asset, AssetSource
from livingmap.openreferral import schemas
from livingmap.openreferral.importers import import_hsds
from livingmap.openreferral.models import HsdsOrganization, HsdsService

from .conftest import DATA, load

pytestmark = pytest.mark.django_db

SERVICE_FILES = [
    "hsds-3.0-examples/service_full.json",
    "oruk-3.0-examples/service_full.json",
    "oruk-validator-mocks/V3.0-UK-Default/service_full.json",
    "oruk-validator-mocks/V3.0-UK-Test/service_full.json",
]


def commit(rel, **options):
    report = import_hsds(DATA / rel, commit=True, **options)
    assert not report.error, report.error
    return report


@pytest.mark.parametrize("rel", SERVICE_FILES)
def test_service_round_trip(client, rel):
    original = load(rel)
    report = commit(rel)
    assert report.rejected == []
    assert report.created == 1
    body = client.get(f"/openreferral/services/{original['id']}").json()
    assert body == original  # every field, every nested object, every id
    assert schemas.errors("service", body) == []
    listed = client.get("/openreferral/services", {"search": original["name"]}).json()
    item = next(i for i in listed["contents"] if i["id"] == original["id"])
    assert schemas.errors("service_list", item) == []


@pytest.mark.parametrize(
    "rel",
    [
        "hsds-3.0-examples/service_list.json",
        "oruk-3.0-examples/service_list.json",
        "oruk-validator-mocks/V3.0-UK-Default/service_list.json",
        "oruk-validator-mocks/V3.0-UK-Test/service_list.json",
    ],
)
def test_service_list_pages_import_cleanly(client, rel):
    page = load(rel)
    report = commit(rel)
    assert report.rejected == []
    ids = {i["id"] for i in page["contents"]}
    for item in page["contents"]:
        got = client.get(f"/openreferral/services/{item['id']}").json()
        assert schemas.errors("service", got) == []
    assert HsdsService.objects.filter(hsds_id__in=ids).count() == len(ids)
    # the first copy of each id is kept whole
    first = {}
    for item in page["contents"]:
        first.setdefault(item["id"], item)
    for sid, item in first.items():
        assert client.get(f"/openreferral/services/{sid}").json() == item


@pytest.mark.parametrize(
    "rel", ["hsds-3.0-examples/organization_full.json", "oruk-3.0-examples/organization_full.json"]
)
def test_organization_round_trip(client, rel):
    original = load(rel)
    report = commit(rel)
    assert report.rejected == []
    body = client.get(
        f"/openreferral/organizations/{original['id']}", {"full_service": "true"}
    ).json()
    assert body == original
    assert schemas.errors("organization", body) == []
    for svc in original["services"]:
        got = client.get(f"/openreferral/services/{svc['id']}").json()
        assert got == svc
        listed = client.get("/openreferral/services", {"organization_id": original["id"]}).json()
        assert svc["id"] in {i["id"] for i in listed["contents"]}


@pytest.mark.parametrize("folder", ["hsds-3.0-examples", "oruk-3.0-examples"])
def test_service_at_location_round_trip(client, folder):
    original = load(f"{folder}/service_at_location_full.json")
    report = commit(f"{folder}/service_at_location_full.json")
    assert report.rejected == []
    body = client.get(f"/openreferral/service_at_locations/{original['id']}").json()
    assert body == original
    assert schemas.errors("service_at_location", body) == []


@pytest.mark.parametrize("folder", ["hsds-3.0-examples", "oruk-3.0-examples"])
def test_taxonomy_round_trip(client, folder):
    taxonomy, term = load(f"{folder}/taxonomy.json"), load(f"{folder}/taxonomy_term.json")
    commit(f"{folder}/taxonomy.json")
    commit(f"{folder}/taxonomy_term.json")
    assert client.get(f"/openreferral/taxonomies/{taxonomy['id']}").json() == taxonomy
    assert client.get(f"/openreferral/taxonomy_terms/{term['id']}").json() == term
    terms = client.get("/openreferral/taxonomy_terms", {"per_page": 1000}).json()["contents"]
    assert term in terms
    for item in terms:
        assert schemas.errors("taxonomy_term", item) == []


def test_imported_services_filter_by_term_age_and_schedule(client):
    original = load("hsds-3.0-examples/service_full.json")
    commit("hsds-3.0-examples/service_full.json")
    term = original["attributes"][0]["taxonomy_term"]
    got = client.get("/openreferral/services", {"taxonomy_term_id": term["id"]}).json()
    assert [i["id"] for i in got["contents"]] == [original["id"]]
    taxonomy = term["taxonomy_detail"]["id"]
    got = client.get("/openreferral/services", {"taxonomy_id": taxonomy}).json()
    assert [i["id"] for i in got["contents"]] == [original["id"]]
    low = original["minimum_age"]
    got = client.get("/openreferral/services", {"minimum_age": low, "search": original["name"]})
    assert original["id"] in {i["id"] for i in got.json()["contents"]}
    got = client.get("/openreferral/services", {"minimum_age": low + 1}).json()
    assert original["id"] not in {i["id"] for i in got["contents"]}
    schedule = original["schedules"][0]
    day = schedule["byday"].split(",")[0]
    got = client.get(
        "/openreferral/services",
        {"day": day, "start_time": schedule["opens_at"][:5], "end_time": schedule["closes_at"]},
    ).json()
    assert original["id"] in {i["id"] for i in got["contents"]}
    wrong_day = next(
        d for d in ("MO", "TU", "WE", "TH", "FR", "SA", "SU") if d not in schedule["byday"]
    )
    got = client.get("/openreferral/services", {"day": wrong_day}).json()
    assert original["id"] not in {i["id"] for i in got["contents"]}


def test_fail_mocks_are_rejected_with_reasons():
    report = import_hsds(DATA / "oruk-validator-mocks/V3.0-UK-Fail/service_list.json", commit=True)
    assert report.created == 0 and len(report.rejected) == 4
    reasons = " ".join(p.reason for p in report.rejected)
    assert "'name' is a required property" in reasons
    assert "is not a 'email'" in reasons
    full = import_hsds(DATA / "oruk-validator-mocks/V3.0-UK-Fail/service_full.json", commit=True)
    assert full.created == 0 and "email" in full.rejected[0].reason
    term = import_hsds(DATA / "oruk-validator-mocks/V3.0-UK-Fail/taxonomy_term.json", commit=True)
    assert term.created == 0 and "'description' is a required property" in term.rejected[0].reason
    failed = load("oruk-validator-mocks/V3.0-UK-Fail/service_full.json")
    assert not HsdsService.objects.filter(hsds_id=failed["id"]).exists()


def test_messy_v1_style_feed_is_repaired_and_reported(tmp_path, client):
    messy = [
        {
            "id": "1234",
            "name": "  Sale Lunch Club ",
            "description": "<p>Hot lunches for <b>older people</b> &amp; carers</p>",
            "status": "ACTIVE",
            "email": "",
            "url": "",
            "minimum_age": "60",
            "organization": {"id": "org-7", "name": "Sale Friends", "description": ""},
            "service_at_locations": [
                {
                    "id": "sal-1",
                    "location": {
                        "id": "loc-1",
                        "location_type": "Venue",
                        "name": "Sale Town Hall",
                        "latitude": 53.4246,
                        "longitude": -2.3222,
                    },
                }
            ],
        },
        {"id": "1235", "description": "No name at all", "status": "active"},
        {"id": "1236", "name": "Bad email", "status": "", "email": "not-an-email"},
    ]
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(messy))
    report = import_hsds(path, commit=True, dataset="hsds-messy")
    assert report.created == 1
    reasons = {p.row: p.reason for p in report.rejected}
    assert "'name' is a required property" in reasons["item 2"]
    assert "is not a 'email'" in reasons["item 3"]
    repairs = " | ".join(p.reason for p in report.warnings if p.row == "item 1")
    for expected in ("not a UUID", "HTML removed", "'ACTIVE' read as 'active'", "empty value"):
        assert expected in repairs, repairs
    row = HsdsService.objects.get(source="hsds-messy")
    svc = row.data
    assert svc["description"] == "Hot lunches for older people & carers"
    assert row.asset.name == "Sale Lunch Club" and svc["status"] == "active"
    assert svc["minimum_age"] == 60 and "email" not in svc
    assert svc["service_at_locations"][0]["location"]["location_type"] == "physical"
    assert "'Venue' read as 'physical'" in repairs
    assert schemas.errors("service", svc) == []
    # source ids kept (provenance), and the API shows the stable repaired id
    assert AssetSource.objects.filter(dataset__slug="hsds-messy", source_id=svc["id"]).exists()
    assert client.get(f"/openreferral/services/{svc['id']}").json() == svc
    # idempotent: a second run changes nothing
    again = import_hsds(path, commit=True, dataset="hsds-messy")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert HsdsService.objects.filter(source="hsds-messy").count() == 1


def test_reimport_is_idempotent():
    first = commit("oruk-3.0-examples/organization_full.json")
    count = Asset.objects.count(), HsdsService.objects.count(), HsdsOrganization.objects.count()
    second = commit("oruk-3.0-examples/organization_full.json")
    assert first.created >= 2 and second.created == 0 and second.updated == 0
    assert second.unchanged == first.created
    assert (
        Asset.objects.count(),
        HsdsService.objects.count(),
        HsdsOrganization.objects.count(),
    ) == count


def test_dedup_against_assets_on_the_map(tmp_path, client):
    library = Asset.objects.public().filter(categories__slug="library").located().first()
    feed = {
        "id": "0c6f1b9e-8a5e-4a0c-9d64-6c2b3f1d7a11",
        "name": library.name,
        "status": "active",
        "service_at_locations": [
            {
                "id": "9a1b2c3d-1111-4a0c-9d64-6c2b3f1d7a11",
                "location": {
                    "id": "9a1b2c3d-2222-4a0c-9d64-6c2b3f1d7a11",
                    "location_type": "physical",
                    "latitude": library.lat,
                    "longitude": library.lon,
                },
            }
        ],
    }
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed))
    before = Asset.objects.count()
    report = import_hsds(path, commit=True)
    assert report.created == 0 and report.updated == 1
    assert Asset.objects.count() == before
    assert HsdsService.objects.get(hsds_id=feed["id"]).asset_id == library.id


def test_dry_run_writes_nothing():
    report = import_hsds(DATA / "hsds-3.0-examples/service_full.json")
    assert report.created == 1 and not report.committed
    assert not HsdsService.objects.exists()


def test_every_list_validates_with_the_examples_loaded(client):
    """With every official example and mock imported beside the Trafford demo, every item of
    every list endpoint (plain and full) validates against both standards."""
    for rel in [
        *SERVICE_FILES,
        "hsds-3.0-examples/organization_full.json",
        "oruk-3.0-examples/organization_full.json",
        "hsds-3.0-examples/service_at_location_full.json",
        "oruk-validator-mocks/V3.0-UK-Test/service_list.json",
        "hsds-3.0-examples/taxonomy.json",
        "hsds-3.0-examples/taxonomy_term.json",
        "oruk-3.0-examples/taxonomy_term.json",
    ]:
        report = import_hsds(DATA / rel, commit=True, dataset="hsds-examples")
        assert not report.error and report.rejected == [], (rel, report.rejected)
    kinds = {
        "services": ("service_list", "service"),
        "service_at_locations": ("service_at_location_list", "service_at_location"),
        "organizations": ("organization_list", "organization"),
        "taxonomies": ("taxonomy", "taxonomy"),
        "taxonomy_terms": ("taxonomy_term", "taxonomy_term"),
    }
    imported = HsdsService.objects.count()
    assert imported >= 1  # the official examples all describe one service (one id)
    for path, (list_kind, full_kind) in kinds.items():
        for params, kind in (({}, list_kind), ({"full": "true"}, full_kind)):
            page, seen = 1, 0
            while True:
                body = client.get(
                    f"/openreferral/{path}", {"page": page, "per_page": 1000, **params}
                ).json()
                for item in body["contents"]:
                    assert schemas.errors(kind, item) == [], (path, item.get("id"))
                seen += body["size"]
                if body["last_page"] or body["empty"]:
                    break
                page += 1
            assert seen == body["total_items"]
