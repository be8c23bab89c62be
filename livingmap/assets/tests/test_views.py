"""The public asset pages: search (a GET form that works without JavaScript) and an asset's page,
on the real Trafford demo data."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import unescape

import pytest
from django.urls import reverse

from livingmap.areas.selectors import point_for_postcode
from livingmap.assets.models import Asset, AssetKind, Category, Visibility
from livingmap.assets.selectors import AssetQuery, search_assets
from livingmap.assets.services import save_asset
from livingmap.assets.views import PAGE_SIZE

pytestmark = pytest.mark.django_db

SEARCH = "/assets/"


def text_of(response) -> str:
    """The page's text with tags removed and whitespace collapsed, for reading like a person."""
    html = response.content.decode()
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def result_names(response) -> list[str]:
    """The asset names in the result list, in order."""
    html = response.content.decode()
    return [
        unescape(m)
        for m in re.findall(r'class="govuk-heading-s lm-result__name"><a [^>]*>([^<]+)<', html)
    ]


def map_points(response) -> list[list]:
    match = re.search(
        r'<script id="map-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1))["points"] if match else []


@pytest.fixture
def library():
    return Asset.objects.get(name="Altrincham Library")


def _asset_near_altrincham(name: str, **fields) -> Asset:
    lon, lat = point_for_postcode("WA14 1AH")
    asset = Asset(name=name, lon=lon + 0.0004, lat=lat, postcode="WA14 1AH", **fields)
    return save_asset(asset, categories=Category.objects.filter(slug="library"))


# -- search ------------------------------------------------------------------------------------


def test_search_library_near_wa14_1ah_finds_altrincham_library_first(client):
    response = client.get(SEARCH, {"q": "library", "postcode": "wa141ah", "distance": "5"})
    assert response.status_code == 200
    names = result_names(response)
    assert names[0] == "Altrincham Library"
    expected = search_assets(
        AssetQuery(words="library", near=point_for_postcode("WA14 1AH"), within_m=5000)
    )
    assert names == [hit.asset.name for hit in expected.hits]
    text = text_of(response)
    assert f"{expected.total:,} assets" in text
    assert "Nearest first, within 5 km of WA14 1AH" in text
    assert "20 m away" in text  # Altrincham Library is about 16 m from its own postcode's point


def test_search_results_link_to_asset_pages_and_show_kind_categories_address(client, library):
    response = client.get(SEARCH, {"q": "Altrincham Library"})
    html = response.content.decode()
    assert f'href="{library.get_absolute_url()}"' in html
    text = text_of(response)
    assert "Services and institutions" in text
    assert "Libraries" in text
    assert "2 Pott Street, Altrincham, WA14 1AH" in text


def test_search_with_no_filters_lists_every_public_asset_by_name_with_pages(client):
    total = Asset.objects.public().count()
    response = client.get(SEARCH)
    assert response.status_code == 200
    assert f"{total:,} assets" in text_of(response)
    first_names = list(
        Asset.objects.public().order_by("name", "id").values_list("name", flat=True)[:PAGE_SIZE]
    )
    assert result_names(response) == first_names
    assert 'rel="next"' in response.content.decode()
    second = client.get(SEARCH, {"page": "2"})
    assert second.status_code == 200
    assert f"Showing {PAGE_SIZE + 1} to {2 * PAGE_SIZE}" in text_of(second)
    assert result_names(second)[0] != first_names[0]


def test_filters_by_kind_category_and_neighbourhood(client):
    by_kind = client.get(SEARCH, {"kind": "institution"})
    expected = Asset.objects.public().filter(kind="institution").count()
    assert f"{expected:,} assets" in text_of(by_kind)
    assert len(result_names(by_kind)) == min(expected, PAGE_SIZE)

    by_category = client.get(SEARCH, {"category": "library"})
    expected = Asset.objects.public().filter(categories__slug="library").count()
    assert f"{expected:,} assets" in text_of(by_category)

    south = client.get(SEARCH, {"neighbourhood": "south", "category": "library"})
    names = result_names(south)
    assert "Altrincham Library" in names
    assert "Sale Library" not in names  # Sale is in the Central locality, not South
    assert len(names) == (
        Asset.objects.public()
        .filter(categories__slug="library", area_links__area__slug="south")
        .count()
    )


def test_search_map_data_carries_the_results_without_inline_script(client):
    response = client.get(SEARCH, {"q": "library", "postcode": "WA14 1AH", "distance": "5"})
    points = map_points(response)
    assert points[0][2] == "Altrincham Library"
    assert {p[2] for p in points} == set(result_names(response))
    html = response.content.decode()
    assert 'src="/static/vendor/leaflet/leaflet.js"' in html
    assert 'src="/static/vendor/leaflet.markercluster/leaflet.markercluster.js"' in html
    # The map's container is hidden until map.js runs: without JavaScript only the list shows.
    assert "data-lm-map hidden" in html


def test_no_results_says_so_with_suggestions(client):
    response = client.get(SEARCH, {"q": "zzzqqxnotaword"})
    assert response.status_code == 200
    assert "No assets found" in text_of(response)
    assert "map-data" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"postcode": "not a postcode"}, "'not a postcode' is not a postcode"),
        ({"postcode": "M1 1ZZ"}, "We could not find M1 1ZZ"),
        ({"kind": "spaceships"}, "Choose a kind of asset from the list"),
        ({"kind": "gifts"}, "Choose a kind of asset from the list"),
        ({"category": "no-such-category"}, "Choose a category from the list"),
        ({"neighbourhood": "atlantis"}, "Choose a neighbourhood from the list"),
        ({"postcode": "WA14 1AH", "distance": "100"}, "Choose a distance from the list"),
        ({"page": "999"}, "There is no page 999"),
        ({"page": "0"}, "The page number must be 1 or more"),
        ({"page": "two"}, "The page number must be a whole number"),
        ({"q": "x" * 201}, "Use 200 characters or fewer"),
    ],
)
def test_bad_input_shows_the_form_with_an_error_summary_and_400(client, params, message):
    response = client.get(SEARCH, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert "There is a problem" in html
    assert message in unescape(html)
    assert "<title>Error: " in html
    assert result_names(response) == []


def test_an_error_links_to_its_field_and_marks_it(client):
    response = client.get(SEARCH, {"postcode": "XYZ"})
    html = response.content.decode()
    assert '<a href="#postcode">' in html
    assert 'id="postcode-error"' in html
    assert "govuk-input--error" in html
    assert 'value="XYZ"' in html  # what the person typed is kept


def test_private_and_gifts_assets_never_appear_in_search_or_on_pages(client):
    public = _asset_near_altrincham("Pott Street Library Club")
    gift = _asset_near_altrincham("Pott Street Library storytelling", kind=AssetKind.GIFTS)
    private = _asset_near_altrincham(
        "Pott Street Library secret group",
        kind=AssetKind.ASSOCIATION,
        visibility=Visibility.PRIVATE,
    )
    public.kind = AssetKind.ASSOCIATION
    save_asset(public)
    assert gift.visibility == Visibility.PRIVATE
    params = {"q": "Pott Street Library", "postcode": "WA14 1AH", "distance": "1"}
    response = client.get(SEARCH, params)
    names = result_names(response)
    # The public one made the same way is found, so the search would find the others if it could.
    assert "Pott Street Library Club" in names
    html = response.content.decode()
    for hidden in (gift, private):
        assert hidden.name not in html
        assert str(hidden.uuid) not in html
        assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get(public.get_absolute_url()).status_code == 200


# -- an asset's page ---------------------------------------------------------------------------


def test_altrincham_library_page_shows_everything_we_know_and_its_three_sources(client, library):
    response = client.get(library.get_absolute_url())
    assert response.status_code == 200
    text = text_of(response)
    assert "<title>Altrincham Library – Living Map – Trafford</title>" in response.content.decode()
    for fact in (
        "Services and institutions",
        "Libraries",
        "2 Pott Street, Altrincham",
        "WA14 1AH",
        "altrincham.library@trafford.gov.uk",
        "Freehold (Leasehold Out)",
        "Not yet verified",
        "Local authority run library",
    ):
        assert fact in text, fact
    datasets = [s.dataset for s in library.sources.all()]
    assert len(datasets) == 3
    assert "in 3 data sets" in text
    for dataset in datasets:
        assert dataset.name in text
        assert dataset.attribution in text
        assert dataset.licence in text


def test_asset_page_links_to_its_neighbourhood_and_ward(client, library):
    html = client.get(library.get_absolute_url()).content.decode()
    assert 'href="/neighbourhoods/south/">South</a>' in html
    ward = library.area_links.get(area__level="ward", area__is_current=True).area
    assert f'href="{ward.get_absolute_url()}">{ward.name}</a>' in html


def test_asset_page_shows_when_it_was_last_verified(client, library):
    library.last_verified_at = datetime(2025, 3, 14, 12, tzinfo=UTC)
    library.save()
    text = text_of(client.get(library.get_absolute_url()))
    assert "14 March 2025" in text
    assert "Not yet verified" not in text


def test_asset_page_has_a_small_map_when_located_and_none_when_not(client, library):
    located = client.get(library.get_absolute_url())
    points = map_points(located)
    assert points == [
        [
            round(library.lat, 5),
            round(library.lon, 5),
            library.name,
            str(library.uuid),
            "institution",
        ]
    ]
    unlocated = Asset.objects.public().filter(lat__isnull=True).first()
    assert unlocated is not None
    response = client.get(unlocated.get_absolute_url())
    assert response.status_code == 200
    assert map_points(response) == []
    assert "leaflet.js" not in response.content.decode()
    assert "We do not know exactly where this is" in text_of(response)


def test_unknown_asset_is_404(client):
    missing = reverse("asset", kwargs={"uuid": "00000000-0000-0000-0000-000000000000"})
    assert client.get(missing).status_code == 404
