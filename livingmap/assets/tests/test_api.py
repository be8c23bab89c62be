"""The assets API on the real Trafford demo: search filters, paging, one asset, map layers,
kinds and categories, bad parameters, and individuals' gifts and skills never shown."""

from __future__ import annotations

import functools
import math
import uuid

import pytest

from livingmap.areas.models import Area, Postcode
from livingmap.assets import api as assets_api
from livingmap.assets import selectors
from livingmap.assets.models import Asset, AssetKind, Category, Visibility
from livingmap.assets.services import save_asset
from livingmap.core.geo import haversine_m

pytestmark = pytest.mark.django_db


def public_assets():
    return Asset.objects.filter(visibility=Visibility.PUBLIC).exclude(kind=AssetKind.GIFTS)


def make_private_assets() -> list[Asset]:
    """A person's gifts and skills, and a private record of a public kind, both at Altrincham
    Library, described in words a search for it would match: every endpoint would show them if
    it did not keep to public assets."""
    library = Asset.objects.get(name="Altrincham Library")
    categories = list(Category.objects.filter(slug__in=["library", "skill"]))
    gift = Asset(
        name="Altrincham Library storytelling (a resident's skills)",
        kind=AssetKind.GIFTS,
        description="Reads stories to children at the library",
        postcode=library.postcode,
        lon=library.lon,
        lat=library.lat,
    )
    save_asset(gift, categories=categories)
    private = Asset(
        name="Altrincham Library private meeting room",
        kind=AssetKind.INSTITUTION,
        visibility=Visibility.PRIVATE,
        postcode=library.postcode,
        lon=library.lon + 0.0001,
        lat=library.lat,
    )
    save_asset(private, categories=categories[:1])
    gift.refresh_from_db()
    assert gift.visibility == Visibility.PRIVATE
    assert gift.area_links.filter(area__level="ward").exists(), "located inside Trafford"
    return [gift, private]


def assert_not_leaked(response, hidden: list[Asset]) -> None:
    body = response.content.decode()
    for asset in hidden:
        assert str(asset.uuid) not in body, response.request["PATH_INFO"]
        assert asset.name not in body, response.request["PATH_INFO"]


@pytest.fixture
def hidden() -> list[Asset]:
    return make_private_assets()


def get_all(client, url: str, **params) -> list[dict]:
    """Every result over every page."""
    results, page = [], 1
    while True:
        data = client.get(url, {**params, "page": page, "page_size": 200}).json()
        results += data["results"]
        if page >= data["pages"]:
            return results
        page += 1


# -- search -----------------------------------------------------------------------------------


def test_search_by_words_finds_the_library_and_not_everything(client):
    data = client.get("/api/assets", {"q": "Altrincham library"}).json()
    names = [r["name"] for r in data["results"]]
    assert "Altrincham Library" in names
    assert "Stretford Library" not in names
    assert 0 < data["total"] < public_assets().count()


def test_search_by_kind_returns_exactly_that_kind(client):
    results = get_all(client, "/api/assets", kind="institution")
    assert {r["kind"] for r in results} == {"institution"}
    assert {r["kind_label"] for r in results} == {"Services and institutions"}
    assert len(results) == public_assets().filter(kind="institution").count()


def test_search_by_category(client):
    results = get_all(client, "/api/assets", category="library")
    assert all("library" in [c["slug"] for c in r["categories"]] for r in results)
    assert len(results) == public_assets().filter(categories__slug="library").count()
    assert {"Altrincham Library", "Stretford Library"} <= {r["name"] for r in results}


def test_search_by_neighbourhood(client):
    south = Area.objects.get(level="neighbourhood", slug="south")
    results = get_all(client, "/api/assets", neighbourhood="south")
    names = {r["name"] for r in results}
    assert "Altrincham Library" in names
    assert "Stretford Library" not in names
    assert len(results) == public_assets().filter(area_links__area=south).count()


def test_libraries_within_2km_of_a_postcode_nearest_first(client):
    data = client.get(
        "/api/assets", {"category": "library", "postcode": "WA14 1AH", "within": 2000}
    ).json()
    names = [r["name"] for r in data["results"]]
    assert "Altrincham Library" in names
    assert "Stretford Library" not in names
    assert names[0] == "Altrincham Library"
    here = Postcode.objects.get(postcode="WA14 1AH")
    distances = [r["distance_m"] for r in data["results"]]
    assert distances == sorted(distances)
    for r in data["results"]:
        assert r["distance_m"] <= 2000
        assert r["distance_m"] == pytest.approx(
            haversine_m(here.lon, here.lat, r["lon"], r["lat"]), abs=0.2
        )
    # Every library that really is within 2 km is there, and only those.
    expected = {
        a.name
        for a in public_assets().filter(categories__slug="library", lat__isnull=False)
        if haversine_m(here.lon, here.lat, a.lon, a.lat) <= 2000
    }
    assert set(names) == expected


def test_near_a_point_given_as_lon_and_lat(client):
    stretford = Asset.objects.get(name="Stretford Library")
    data = client.get(
        "/api/assets",
        {"category": "library", "lon": stretford.lon, "lat": stretford.lat, "within": 1000},
    ).json()
    assert data["results"][0]["name"] == "Stretford Library"
    assert data["results"][0]["distance_m"] == pytest.approx(0, abs=1)
    assert "Altrincham Library" not in [r["name"] for r in data["results"]]


def test_a_postcode_in_any_spacing_and_case_is_searched_near(client):
    a = client.get("/api/assets", {"category": "library", "postcode": "wa141ah"}).json()
    b = client.get("/api/assets", {"category": "library", "postcode": " WA14  1AH "}).json()
    assert a["total"] == b["total"] > 0
    assert [r["id"] for r in a["results"]] == [r["id"] for r in b["results"]]


def test_paging(client):
    total = public_assets().count()
    first = client.get("/api/assets", {"page_size": 7}).json()
    second = client.get("/api/assets", {"page_size": 7, "page": 2}).json()
    assert first["total"] == second["total"] == total
    assert first["pages"] == math.ceil(total / 7)
    assert (first["page"], second["page"], first["page_size"]) == (1, 2, 7)
    assert len(first["results"]) == len(second["results"]) == 7
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    everything = get_all(client, "/api/assets")
    assert len({r["id"] for r in everything}) == total
    beyond = client.get("/api/assets", {"page": first["pages"] + 1, "page_size": 7}).json()
    assert beyond["results"] == []


def test_list_results_have_the_documented_fields(client):
    result = client.get("/api/assets", {"q": "Altrincham library"}).json()["results"][0]
    asset = Asset.objects.get(uuid=result["id"])
    assert result["name"] == asset.name
    assert result["url"].endswith(f"/assets/{asset.uuid}/")
    assert result["lon"] == asset.lon and result["lat"] == asset.lat
    assert result["distance_m"] is None
    assert "last_verified_at" in result
    assert client.get(result["url"]).status_code == 200


# -- one asset --------------------------------------------------------------------------------


def test_asset_detail_has_sources_areas_and_neighbourhoods(client):
    library = Asset.objects.get(name="Altrincham Library")
    data = client.get(f"/api/assets/{library.uuid}").json()
    assert data["id"] == str(library.uuid)
    assert data["name"] == "Altrincham Library"
    assert sorted(s["dataset"] for s in data["sources"]) == sorted(
        library.sources.values_list("dataset__slug", flat=True)
    )
    assert len(data["sources"]) == 3
    assert all(s["licence"] and s["source_id"] for s in data["sources"])
    ward_code = Postcode.objects.get(postcode="WA14 1AH").ward_code
    wards = [a for a in data["areas"] if a["level"] == "ward"]
    assert ward_code in [w["gss_code"] for w in wards]
    assert {"lad", "ward", "msoa", "lsoa"} <= {a["level"] for a in data["areas"]}
    assert "neighbourhood" not in {a["level"] for a in data["areas"]}
    assert [n["slug"] for n in data["neighbourhoods"]] == ["south"]
    assert [c["slug"] for c in data["categories"]] == sorted(
        library.categories.values_list("slug", flat=True)
    )


def test_unknown_and_malformed_asset_ids_are_404(client):
    for asset_id in (uuid.uuid4(), "not-a-uuid"):
        response = client.get(f"/api/assets/{asset_id}")
        assert response.status_code == 404
        assert str(asset_id) in response.json()["detail"]


# -- map layer --------------------------------------------------------------------------------


def test_geojson_is_a_feature_collection_of_located_assets(client):
    response = client.get("/api/assets.geojson", {"category": "library"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert data["truncated"] is False
    located = public_assets().filter(categories__slug="library", lat__isnull=False)
    assert data["total"] == len(data["features"]) == located.count()
    unlocated = public_assets().filter(categories__slug="library", lat__isnull=True)
    ids = {f["id"] for f in data["features"]}
    assert not ids & {str(a.uuid) for a in unlocated}
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        # [longitude, latitude]: Trafford is about 2.3° west, 53.4° north.
        assert -2.6 < lon < -2.2 and 53.3 < lat < 53.5
        assert feature["properties"]["name"]
        assert "library" in feature["properties"]["categories"]
    altrincham = Asset.objects.get(name="Altrincham Library")
    feature = next(f for f in data["features"] if f["id"] == str(altrincham.uuid))
    assert feature["geometry"]["coordinates"] == [altrincham.lon, altrincham.lat]


def test_geojson_near_a_postcode_is_nearest_first(client):
    data = client.get(
        "/api/assets.geojson", {"postcode": "WA14 1AH", "within": 1500, "q": "library"}
    ).json()
    distances = [f["properties"]["distance_m"] for f in data["features"]]
    assert distances and distances == sorted(distances) and distances[-1] <= 1500
    assert data["features"][0]["properties"]["name"] == "Altrincham Library"


def test_geojson_says_when_it_is_truncated(client, monkeypatch):
    monkeypatch.setattr(assets_api, "map_assets", functools.partial(selectors.map_assets, limit=10))
    data = client.get("/api/assets.geojson").json()
    assert len(data["features"]) == 10
    assert data["truncated"] is True
    assert data["limit"] == 10
    assert data["total"] == public_assets().filter(lat__isnull=False).count()


def test_geojson_has_the_same_filters_as_the_list(client):
    for params in (
        {"kind": "institution"},
        {"neighbourhood": "north", "category": "allotment"},
        {"q": "park"},
        {"postcode": "M32 0TH", "within": 3000, "kind": "physical"},
    ):
        listed = get_all(client, "/api/assets", **params)
        mapped = client.get("/api/assets.geojson", params).json()
        located = {r["id"] for r in listed if r["lat"] is not None}
        assert {f["id"] for f in mapped["features"]} == located, params
        assert mapped["total"] == len(located)


# -- kinds and categories ---------------------------------------------------------------------


def test_kinds_are_the_public_ones_with_counts(client):
    data = client.get("/api/kinds").json()
    kinds = [k["kind"] for k in data]
    assert "gifts" not in kinds
    assert kinds == [k.value for k in AssetKind if k != AssetKind.GIFTS]
    for k in data:
        assert k["asset_count"] == public_assets().filter(kind=k["kind"]).count()


def test_categories_with_public_counts(client):
    data = client.get("/api/categories").json()
    slugs = [c["slug"] for c in data]
    assert "library" in slugs and "skill" not in slugs
    library = next(c for c in data if c["slug"] == "library")
    assert library["name"] == "Libraries"
    assert library["asset_count"] == public_assets().filter(categories__slug="library").count()


# -- bad requests -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"postcode": "WA14"}, 400, "not a postcode"),
        ({"postcode": "hello there"}, 400, "not a postcode"),
        ({"postcode": "ZZ99 9ZZ"}, 404, "could not find"),
        ({"kind": "dragons"}, 400, "not a kind"),
        ({"kind": "gifts"}, 400, "private"),
        ({"category": "nonsense"}, 400, "not a category"),
        ({"category": "skill"}, 400, "not a category"),
        ({"neighbourhood": "atlantis"}, 400, "not a neighbourhood"),
        ({"within": 1000}, 400, "within"),
        ({"lon": -2.3}, 400, "lon and lat"),
        ({"lon": -2.3, "lat": 53.4, "postcode": "WA14 1AH"}, 400, "not both"),
        ({"page": 0}, 422, "page"),
        ({"page": "two"}, 422, "page"),
        ({"page_size": 5000}, 422, "page_size"),
        ({"within": -5, "postcode": "WA14 1AH"}, 422, "within"),
        ({"within": 10**9, "postcode": "WA14 1AH"}, 422, "within"),
        ({"lon": 500, "lat": 53.4}, 422, "lon"),
        ({"lat": "nan", "lon": -2.3}, 422, "lat: Input should be a finite number"),
        ({"lat": 53.4, "lon": "-inf"}, 422, "lon: Input should be a finite number"),
        ({"within": "nan", "postcode": "WA14 1AH"}, 422, "within: Input should be a finite number"),
    ],
)
def test_bad_parameters_get_a_4xx_with_a_message(client, params, status, words):
    paging = {"page", "page_size"} & set(params)
    for url in ("/api/assets",) if paging else ("/api/assets", "/api/assets.geojson"):
        response = client.get(url, params)
        assert response.status_code == status, (url, params, response.content)
        detail = response.json()["detail"]
        assert isinstance(detail, str)
        assert words in detail


# -- private records never appear -------------------------------------------------------------


def test_private_assets_are_found_by_no_search(client, hidden):
    gift, _private = hidden
    searches = [
        {"q": "Altrincham library"},
        {"q": "storytelling"},
        {"category": "library"},
        {"neighbourhood": "south"},
        {"postcode": "WA14 1AH", "within": 500},
        {"lon": gift.lon, "lat": gift.lat, "within": 100},
        {},
    ]
    for params in searches:
        for url in ("/api/assets", "/api/assets.geojson"):
            response = client.get(
                url, {**params, "page_size": 200} if url == "/api/assets" else params
            )
            assert response.status_code == 200
            assert_not_leaked(response, hidden)
    near = client.get("/api/assets", {"lon": gift.lon, "lat": gift.lat, "within": 100}).json()
    assert "Altrincham Library" in [r["name"] for r in near["results"]]


def test_private_assets_have_no_record(client, hidden):
    missing = client.get(f"/api/assets/{uuid.uuid4()}")
    for asset in hidden:
        response = client.get(f"/api/assets/{asset.uuid}")
        assert response.status_code == 404
        # Indistinguishable from an asset that does not exist, but for the id echoed back.
        assert response.json()["detail"].replace(str(asset.uuid), "?") == missing.json()[
            "detail"
        ].replace(missing.request["PATH_INFO"].rsplit("/", 1)[1], "?")


def test_private_assets_are_not_counted_in_kinds_or_categories(client, hidden):
    kinds = client.get("/api/kinds")
    categories = client.get("/api/categories")
    for response in (kinds, categories):
        assert_not_leaked(response, hidden)
    institution = next(k for k in kinds.json() if k["kind"] == "institution")
    assert institution["asset_count"] == public_assets().filter(kind="institution").count()
    library = next(c for c in categories.json() if c["slug"] == "library")
    assert library["asset_count"] == public_assets().filter(categories__slug="library").count()


# -- efficient queries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "library"},
        {"category": "library", "neighbourhood": "south"},
        {"postcode": "WA14 1AH", "within": 5000},
    ],
)
def test_list_endpoints_use_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, params
):
    with django_assert_max_num_queries(8):
        data = client.get("/api/assets", {**params, "page_size": 200}).json()
    assert data["results"]
    with django_assert_max_num_queries(8):
        assert client.get("/api/assets.geojson", params).json()["features"]
    with django_assert_max_num_queries(2):
        client.get("/api/kinds")
    with django_assert_max_num_queries(2):
        client.get("/api/categories")
