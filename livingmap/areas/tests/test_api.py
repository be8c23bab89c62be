"""The areas API on the real Trafford demo: statutory areas, neighbourhoods with need rolled up,
boundaries as GeoJSON, postcode lookups, the OpenAPI document, and no private assets counted."""

from __future__ import annotations

import math

import pytest
import shapely
from shapely.geometry import shape

from livingmap.areas.models import Area, AreaLevel, IndicatorValue, Postcode
from livingmap.assets.models import Asset, AssetArea, AssetKind, Visibility
from livingmap.assets.tests.test_api import assert_not_leaked, make_private_assets

pytestmark = pytest.mark.django_db


def public_count(area: Area) -> int:
    return (
        AssetArea.objects.filter(area=area, asset__visibility=Visibility.PUBLIC)
        .exclude(asset__kind=AssetKind.GIFTS)
        .count()
    )


@pytest.fixture
def hidden() -> list[Asset]:
    return make_private_assets()


def ward_of(postcode: str) -> Area:
    code = Postcode.objects.get(postcode=postcode).ward_code
    return Area.objects.get(level=AreaLevel.WARD, gss_code=code, is_current=True)


# -- statutory areas --------------------------------------------------------------------------


def test_areas_list_by_level_and_vintage(client):
    data = client.get("/api/areas", {"level": "ward", "page_size": 1000}).json()
    assert data["total"] == Area.objects.filter(level="ward").count() == len(data["results"])
    assert {a["level"] for a in data["results"]} == {"ward"}
    names = [a["name"] for a in data["results"]]
    assert names == sorted(names)
    assert "Altrincham" in names
    old = client.get("/api/areas", {"level": "lsoa", "vintage": 2011}).json()
    assert old["total"] == Area.objects.filter(level="lsoa", vintage=2011).count() > 0
    current = client.get("/api/areas", {"level": "lsoa", "current": "true"}).json()
    assert {a["vintage"] for a in current["results"]} == {2021}
    assert {a["is_current"] for a in current["results"]} == {True}


def test_areas_list_pages_and_leaves_out_neighbourhoods(client):
    statutory = Area.objects.exclude(level="neighbourhood").count()
    first = client.get("/api/areas", {"page_size": 50}).json()
    assert first["total"] == statutory
    assert first["pages"] == math.ceil(statutory / 50)
    last = client.get("/api/areas", {"page_size": 50, "page": first["pages"]}).json()
    assert len(last["results"]) == statutory - 50 * (first["pages"] - 1)
    assert "neighbourhood" not in {a["level"] for a in first["results"] + last["results"]}


def test_area_detail_has_indicators_with_provenance_and_asset_counts(client):
    value = IndicatorValue.objects.filter(indicator__slug="imd-rank").select_related("area")[0]
    area = value.area
    response = client.get(f"/api/areas/{area.slug}")
    assert response.status_code == 200
    data = response.json()
    assert (data["gss_code"], data["level"], data["vintage"]) == (
        area.gss_code,
        area.level,
        area.vintage,
    )
    imd = next(i for i in data["indicators"] if i["slug"] == "imd-rank")
    assert imd["value"] == value.value
    assert imd["source"]["licence"] and imd["source"]["dataset_name"]
    assert imd["lower_is_more_deprived"] is True
    assert len(data["indicators"]) == IndicatorValue.objects.filter(area=area).count()
    assert data["asset_count"] == public_count(area)
    assert data["asset_count"] == sum(k["count"] for k in data["asset_counts"])


def test_ward_detail_counts_its_assets_by_kind_and_names_its_neighbourhood(client):
    ward = ward_of("WA14 1AH")
    data = client.get(f"/api/areas/{ward.slug}").json()
    assert data["name"] == ward.name
    assert data["asset_count"] == public_count(ward) > 0
    for row in data["asset_counts"]:
        assert (
            row["count"]
            == AssetArea.objects.filter(
                area=ward, asset__kind=row["kind"], asset__visibility="public"
            ).count()
        )
    assert "south" in [n["slug"] for n in data["neighbourhoods"]]


def test_area_boundary_is_geojson_holding_its_postcodes(client):
    ward = ward_of("WA14 1AH")
    response = client.get(f"/api/areas/{ward.slug}/boundary.geojson")
    assert response["Content-Type"] == "application/geo+json"
    data = response.json()
    assert data["type"] == "FeatureCollection"
    [feature] = data["features"]
    assert feature["properties"]["gss_code"] == ward.gss_code
    assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    postcode = Postcode.objects.get(postcode="WA14 1AH")
    assert shape(feature["geometry"]).contains(shapely.Point(postcode.lon, postcode.lat))


def test_unknown_area_and_bad_levels(client):
    response = client.get("/api/areas/nowhere-2021")
    assert response.status_code == 404
    assert "nowhere-2021" in response.json()["detail"]
    response = client.get("/api/areas/south")
    assert response.status_code == 404
    assert "/api/neighbourhoods/south" in response.json()["detail"]
    assert client.get("/api/areas/nowhere-2021/boundary.geojson").status_code == 404
    response = client.get("/api/areas", {"level": "county"})
    assert response.status_code == 400
    assert "lad, ward" in response.json()["detail"]
    assert client.get("/api/areas", {"level": "neighbourhood"}).status_code == 400
    response = client.get("/api/areas", {"vintage": "recent"})
    assert response.status_code == 422
    assert "vintage" in response.json()["detail"]
    assert client.get("/api/areas", {"page_size": 0}).status_code == 422


# -- neighbourhoods ---------------------------------------------------------------------------


def test_neighbourhoods_list(client):
    data = client.get("/api/neighbourhoods").json()
    hoods = Area.objects.filter(level="neighbourhood").order_by("name")
    assert [n["slug"] for n in data] == [h.slug for h in hoods]
    assert {"Central", "North", "South", "West"} <= {n["name"] for n in data}
    for row, hood in zip(data, hoods, strict=True):
        assert row["asset_count"] == public_count(hood)


def test_neighbourhood_profile_has_population_need_and_assets(client):
    south = Area.objects.get(level="neighbourhood", slug="south")
    data = client.get("/api/neighbourhoods/south").json()
    assert data["name"] == "South"
    assert data["asset_count"] == public_count(south) > 0
    assert data["population"] > 10_000
    by_slug = {i["slug"]: i for i in data["indicators"]}
    assert by_slug["population"]["method"] == "sum"
    assert round(by_slug["population"]["value"]) == data["population"]
    rank = by_slug["imd-rank"]
    assert rank["method"] == "population_weighted_rank"
    assert 1 <= rank["value"] <= 32_844
    assert 1 <= rank["average_rank_decile"] <= 10
    decile = by_slug["imd-decile"]
    assert decile["method"] == "decile_distribution"
    assert sum(d["share"] for d in decile["deciles"]) == pytest.approx(1, abs=0.001)
    assert decile["value"] == pytest.approx(
        next((d["share"] for d in decile["deciles"] if d["decile"] == 1), 0)
    )
    for indicator in data["indicators"]:
        assert indicator["method_description"]
        assert indicator["source"]["licence"]
        assert indicator["release"]


def test_unknown_neighbourhood_is_404(client):
    response = client.get("/api/neighbourhoods/atlantis")
    assert response.status_code == 404
    assert "atlantis" in response.json()["detail"]
    assert client.get("/api/neighbourhoods/atlantis/boundary.geojson").status_code == 404


def test_neighbourhoods_geojson(client):
    response = client.get("/api/neighbourhoods.geojson")
    assert response["Content-Type"] == "application/geo+json"
    data = response.json()
    assert data["type"] == "FeatureCollection"
    hoods = {h.slug: h for h in Area.objects.filter(level="neighbourhood")}
    assert {f["properties"]["slug"] for f in data["features"]} == set(hoods)
    library = Asset.objects.get(name="Altrincham Library")
    for feature in data["features"]:
        props = feature["properties"]
        assert props["name"] == hoods[props["slug"]].name
        assert props["asset_count"] == public_count(hoods[props["slug"]])
        inside = shape(feature["geometry"]).contains(shapely.Point(library.lon, library.lat))
        assert inside == (props["slug"] == "south")
    one = client.get("/api/neighbourhoods/south/boundary.geojson").json()
    assert one["features"][0]["geometry"] == hoods["south"].geometry


# -- postcodes --------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["WA14 1AH", "wa141ah", " WA14  1AH ", "Wa14 1ah"])
def test_postcode_lookup_in_any_spacing_and_case(client, typed):
    response = client.get(f"/api/postcodes/{typed}")
    assert response.status_code == 200
    data = response.json()
    row = Postcode.objects.get(postcode="WA14 1AH")
    assert data["postcode"] == "WA14 1AH"
    assert (data["lon"], data["lat"]) == (row.lon, row.lat)
    codes = {a["level"]: a["gss_code"] for a in data["areas"]}
    assert codes["ward"] == row.ward_code
    assert codes["lad"] == row.lad_code == "E08000009"
    assert codes["lsoa"] == row.lsoa_code
    assert [a["level"] for a in data["areas"]][:2] == ["lad", "ward"]
    assert [n["slug"] for n in data["neighbourhoods"]] == ["south"]


@pytest.mark.parametrize(
    ("typed", "status", "words"),
    [
        ("WA14", 400, "is not a postcode"),
        ("hello", 400, "is not a postcode"),
        ("WA14 1AHX", 400, "is not a postcode"),
        ("ZZ99 9ZZ", 404, "could not find ZZ99 9ZZ"),
    ],
)
def test_malformed_and_unknown_postcodes(client, typed, status, words):
    response = client.get(f"/api/postcodes/{typed}")
    assert response.status_code == status
    assert words in response.json()["detail"]


# -- OpenAPI ----------------------------------------------------------------------------------


def test_openapi_document_lists_every_path(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    # Every path of the map's own API (other apps add theirs under /api/<app>/).
    assert set(document["paths"]) >= {
        "/api/assets",
        "/api/assets.geojson",
        "/api/assets/{asset_id}",
        "/api/kinds",
        "/api/categories",
        "/api/areas",
        "/api/areas/{slug}",
        "/api/areas/{slug}/boundary.geojson",
        "/api/neighbourhoods",
        "/api/neighbourhoods.geojson",
        "/api/neighbourhoods/{slug}",
        "/api/neighbourhoods/{slug}/boundary.geojson",
        "/api/postcodes/{postcode}",
    }
    search = document["paths"]["/api/assets"]["get"]
    assert {"q", "kind", "category", "neighbourhood", "postcode", "within", "page"} <= {
        p["name"] for p in search["parameters"]
    }
    assert {"200", "400", "404", "422"} <= set(search["responses"])
    assert client.get("/api/docs").status_code == 200


# -- private assets are never counted or shown ------------------------------------------------


def test_private_assets_are_in_no_area_response(client, hidden):
    ward = ward_of("WA14 1AH")
    lsoa = Area.objects.get(
        gss_code=Postcode.objects.get(postcode="WA14 1AH").lsoa_code, vintage=2021
    )
    for area in (ward, lsoa):
        assert AssetArea.objects.filter(area=area, asset__in=hidden).count() == 2
        data = client.get(f"/api/areas/{area.slug}").json()
        assert data["asset_count"] == public_count(area)
    south = Area.objects.get(level="neighbourhood", slug="south")
    assert AssetArea.objects.filter(area=south, asset__in=hidden).count() == 2
    profile = client.get("/api/neighbourhoods/south").json()
    assert profile["asset_count"] == public_count(south)
    listed = next(n for n in client.get("/api/neighbourhoods").json() if n["slug"] == "south")
    assert listed["asset_count"] == public_count(south)
    layer = client.get("/api/neighbourhoods.geojson").json()
    feature = next(f for f in layer["features"] if f["id"] == "south")
    assert feature["properties"]["asset_count"] == public_count(south)
    for url in (
        f"/api/areas/{ward.slug}",
        f"/api/areas/{ward.slug}/boundary.geojson",
        "/api/areas",
        "/api/neighbourhoods",
        "/api/neighbourhoods/south",
        "/api/neighbourhoods.geojson",
        "/api/postcodes/WA14 1AH",
        "/api/openapi.json",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert_not_leaked(response, hidden)


# -- efficient queries ------------------------------------------------------------------------


def test_area_list_endpoints_use_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        assert len(client.get("/api/areas", {"page_size": 1000}).json()["results"]) == 1000
    with django_assert_max_num_queries(2):
        assert client.get("/api/neighbourhoods").json()
    with django_assert_max_num_queries(2):
        assert client.get("/api/neighbourhoods.geojson").json()["features"]
    ward = ward_of("WA14 1AH")
    with django_assert_max_num_queries(4):
        assert client.get(f"/api/areas/{ward.slug}").json()["asset_count"]
    with django_assert_max_num_queries(4):
        assert client.get("/api/postcodes/WA14 1AH").json()["areas"]
