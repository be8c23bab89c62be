"""The API at /openreferral/ on the Trafford demo: shapes, parameters, and schema conformance
against the official compiled HSDS 3.0 and ORUK schemas (Draft 2020-12, formats checked)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from livingmap.assets.models import Asset, AssetKind, Category
from livingmap.openreferral import mapping, schemas

pytestmark = pytest.mark.django_db
BASE = "/openreferral"
ENVELOPE = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


def get(client, path, **params):
    response = client.get(BASE + path, params)
    assert response["Access-Control-Allow-Origin"] == "*"
    return response


def all_pages(client, path, **params):
    items, page = [], 1
    while True:
        body = get(client, path, page=page, per_page=1000, **params).json()
        assert set(body) == ENVELOPE
        items += body["contents"]
        if body["last_page"] or body["empty"]:
            return items, body
        page += 1


def assert_valid(kind, obj):
    assert schemas.errors(kind, obj) == [], obj.get("id")


def test_index_and_openapi(client):
    body = get(client, "/").json()
    assert body["version"] == "HSDS-UK-3.0"
    assert body["openapi_url"].endswith("/openreferral/openapi.json")
    assert reverse("openreferral:index") == "/openreferral/"
    doc = client.get(body["openapi_url"]).json()
    assert doc["info"]["title"] == "Open Referral UK Profile"
    assert doc["servers"][0]["url"].endswith("/openreferral")
    assert set(doc["paths"]) >= {"/services", "/service_at_locations", "/taxonomies"}
    refs = [v for v in _refs(doc) if v.startswith("http")]
    assert refs and all("/openreferral/schemas/" in r for r in refs)
    for ref in refs:  # every schema the document points at is served here
        assert client.get(ref.split("testserver")[1]).status_code == 200


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_every_service_validates_and_no_gifts(client):
    items, body = all_pages(client, "/services")
    public = Asset.objects.public()
    assert body["total_items"] == public.count() == len(items) > 500
    ids = {i["id"] for i in items}
    gifts = Asset.objects.filter(kind=AssetKind.GIFTS).values_list("uuid", flat=True)
    assert not ids & {str(u) for u in gifts}
    for item in items:
        assert_valid("service_list", item)
    # full services: a sample of every kind, and every full item on one page
    for kind in AssetKind.values:
        for asset in public.filter(kind=kind)[:15]:
            full = get(client, f"/services/{asset.uuid}").json()
            assert_valid("service", full)
    full_page = get(client, "/services", full="true", per_page=200).json()
    for item in full_page["contents"]:
        assert_valid("service", item)


def test_every_full_service_of_the_demo_validates(client):
    services = client.get(reverse("openreferral:export_json")).json()
    assert len(services) == Asset.objects.public().count()
    for svc in services:
        assert_valid("service", svc)


def test_physical_assets_say_what_they_are(client):
    park = Asset.objects.public().filter(kind=AssetKind.PHYSICAL).exclude(categories=None).first()
    full = get(client, f"/services/{park.uuid}").json()
    terms = {a["taxonomy_term"]["term"] for a in full["attributes"]}
    assert "physical" in terms
    assert set(park.categories.values_list("slug", flat=True)) <= terms


def test_service_at_locations_organizations_taxonomies_validate(client):
    sals, body = all_pages(client, "/service_at_locations")
    assert body["total_items"] == Asset.objects.public().located().count()
    for item in sals:
        assert_valid("service_at_location_list", item)
    for item in sals[:40]:
        full = get(client, f"/service_at_locations/{item['id']}").json()
        assert_valid("service_at_location", full)
    orgs, _ = all_pages(client, "/organizations")
    for item in orgs:
        assert_valid("organization_list", item)
    for item in orgs[:40]:
        assert_valid("organization", get(client, f"/organizations/{item['id']}").json())
    taxonomies, _ = all_pages(client, "/taxonomies")
    assert len(taxonomies) == 2
    for item in taxonomies:
        assert_valid("taxonomy", item)
        assert get(client, f"/taxonomies/{item['id']}").json() == item
    terms, _ = all_pages(client, "/taxonomy_terms")
    assert len(terms) == Category.objects.count() + len(AssetKind.values) - 1
    for item in terms:
        assert_valid("taxonomy_term", item)
        assert get(client, f"/taxonomy_terms/{item['id']}").json() == item


def test_ids_are_stable_and_distinct(client):
    asset = Asset.objects.public().located().first()
    full = get(client, f"/services/{asset.uuid}").json()
    again = get(client, f"/services/{asset.uuid}").json()
    assert full == again
    sal = full["service_at_locations"][0]
    ids = {full["id"], full["organization_id"], sal["id"], sal["location_id"]}
    assert len(ids) == 4
    assert sal["id"] == str(mapping.derived_id(asset.uuid, "service_at_location"))
    assert get(client, f"/service_at_locations/{sal['id']}").json()["service"]["id"] == full["id"]
    org = get(client, f"/organizations/{full['organization_id']}").json()
    assert org["services"][0]["id"] == full["id"]


def test_filters_combine(client):
    library = Category.objects.get(slug="library")
    term = str(mapping.category_term_id("library"))
    body = get(client, "/services", taxonomy_term_id=term, per_page=1000).json()
    expected = Asset.objects.public().filter(categories=library)
    assert body["total_items"] == expected.count() > 5
    both = get(client, "/services", taxonomy_term_id=term, search="Sale").json()
    assert 0 < both["total_items"] < body["total_items"]
    for item in both["contents"]:
        asset = Asset.objects.get(uuid=item["id"])
        assert library in asset.categories.all()
    by_tax = get(client, "/services", taxonomy_id=str(mapping.KIND_TAXONOMY_ID)).json()
    assert by_tax["total_items"] == Asset.objects.public().count()
    asset = expected.first()
    org = str(mapping.derived_id(asset.uuid, "organization"))
    only = get(client, "/services", organization_id=org).json()
    assert [i["id"] for i in only["contents"]] == [str(asset.uuid)]
    future = get(client, "/services", modified_after="2999-01-01T00:00:00Z").json()
    assert future["total_items"] == 0 and future["empty"] is True
    past = get(client, "/services", modified_after="2000-01-01").json()
    assert past["total_items"] == Asset.objects.public().count()
    minimal = get(client, "/services", minimal="true", per_page=5).json()
    assert set(minimal["contents"][0]) <= {"id", "name", "status", "last_modified"}


def test_postcode_proximity(client):
    asset = Asset.objects.public().located().exclude(postcode="").first()
    near = get(client, "/service_at_locations", postcode=asset.postcode, proximity="500").json()
    ids = {i["service"]["id"] for i in near["contents"]}
    assert str(asset.uuid) in ids or near["total_items"] > near["size"]
    far = get(client, "/service_at_locations", postcode=asset.postcode, proximity="5000").json()
    assert far["total_items"] > near["total_items"]
    bad = get(client, "/service_at_locations", postcode="ZZ99 9ZZ")
    assert bad.status_code == 400 and "postcode" in bad.json()["detail"]


def test_paging_envelope(client):
    first = get(client, "/services", per_page=10).json()
    assert first["size"] == 10 and first["first_page"] and not first["last_page"]
    last = get(client, "/services", per_page=10, page=first["total_pages"]).json()
    assert last["last_page"] and last["size"] == first["total_items"] - 10 * (
        first["total_pages"] - 1
    )
    beyond = get(client, "/services", per_page=10, page=first["total_pages"] + 1).json()
    assert beyond["empty"] and beyond["contents"] == []
    two = get(client, "/services", per_page=10, page=2).json()
    assert not {i["id"] for i in two["contents"]} & {i["id"] for i in first["contents"]}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/services", {"page": "x"}),
        ("/services", {"per_page": "0"}),
        ("/services", {"per_page": "100000"}),
        ("/services", {"taxonomy_term_id": "not-a-uuid"}),
        ("/services", {"modified_after": "yesterday"}),
        ("/services", {"minimum_age": "old"}),
        ("/services", {"start_time": "25:00"}),
        ("/services", {"day": "someday"}),
        ("/services", {"format": "xml"}),
        ("/service_at_locations", {"proximity": "100"}),
    ],
)
def test_bad_parameters_are_400(client, path, params):
    response = get(client, path, **params)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_not_found_and_read_only(client):
    for path in ("/services/", "/organizations/", "/service_at_locations/", "/taxonomies/"):
        response = get(client, path + str(uuid.uuid4()))
        assert response.status_code == 404 and response.json()["detail"]
    assert get(client, "/services/not-a-uuid").status_code == 404
    response = client.post(BASE + "/services")
    assert response.status_code == 405 and response["Access-Control-Allow-Origin"] == "*"


def test_private_and_gifts_never_by_id(client):
    gift = Asset.objects.filter(kind=AssetKind.GIFTS).first()
    if gift is None:
        gift = Asset.objects.create(name="Baking lessons", kind=AssetKind.GIFTS)
    assert get(client, f"/services/{gift.uuid}").status_code == 404
    org = mapping.derived_id(gift.uuid, "organization")
    assert get(client, f"/organizations/{org}").status_code == 404
