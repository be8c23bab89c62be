"""The public asset pages: search (a GET form that works without JavaScript) and an asset's page,
on the real Trafford demo data."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from livingmap.areas.selectors import PostcodeNotFound, point_for_postcode
from livingmap.assets.models import Asset, AssetKind, Category, Visibility
from livingmap.assets.selectors import AssetQuery, map_assets, search_assets
from livingmap.assets.services import save_asset
from livingmap.assets.views import MAP_LIMIT, PAGE_SIZE, _map_note

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


def result_uuids(response) -> list[str]:
    """The assets in the result list, in order, by their uuids."""
    html = response.content.decode()
    return re.findall(r'lm-result__name"><a class="govuk-link" href="/assets/([0-9a-f-]+)/"', html)


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
        ({"postcode": "M1 1ZZ"}, "We could not find M1 1ZZ among Trafford's postcodes"),
        ({"kind": "spaceships"}, "Choose a kind of asset from the list"),
        ({"kind": "gifts"}, "Choose a kind of asset from the list"),
        ({"category": "no-such-category"}, "Choose a category from the list"),
        ({"neighbourhood": "atlantis"}, "Choose a neighbourhood from the list"),
        ({"postcode": "WA14 1AH", "distance": "100"}, "Choose a distance from the list"),
        ({"page": "999"}, "There is no page 999: these results fill"),
        ({"q": "zzzzqqq", "page": "2"}, "There is no page 2: nothing matches this search"),
        ({"page": "0"}, "The page number must be 1 or more"),
        ({"page": "two"}, "The page number must be a whole number"),
        ({"q": "x" * 201}, "Use 200 characters or fewer"),
        # A repeated filter is refused, not quietly narrowed to its last value.
        ({"kind": ["association", "physical"]}, "Choose one kind of asset, or Any kind"),
        ({"category": ["library", "allotments"]}, "Choose one category, or Any category"),
        ({"neighbourhood": ["south", "north"]}, "Choose one neighbourhood, or Anywhere"),
        ({"postcode": ["WA14 1AH", "M32 0TH"]}, "Enter one postcode"),
        ({"postcode": "WA14 1AH", "distance": ["1", "5"]}, "Choose one distance"),
        ({"q": ["library", "park"]}, "Enter the words to search for once"),
        ({"page": ["1", "2"]}, "Ask for one page of results at a time"),
        ({"near": "not-an-asset"}, "We could not find that place on the map"),
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
        # When each was released, beside the record's own last update.
        if dataset.release:
            assert f"Released {dataset.release_label}" in text


def test_a_listing_says_when_its_data_set_was_released_not_only_when_it_was_loaded(client):
    food_bank = Asset.objects.filter(
        sources__dataset__slug="gm-poverty-action-food-banks-trafford"
    ).first()
    text = text_of(client.get(food_bank.get_absolute_url()))
    assert "Released January 2018" in text
    assert "When this listing last changed here, by an edit or an import" in text


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


# -- how the results are ordered, and what the page says about it -------------------------------


def _verify(assets) -> None:
    Asset.objects.filter(id__in=[a.id for a in assets]).update(last_verified_at=timezone.now())


def test_with_no_filters_recently_checked_listings_come_first_and_the_page_says_so(client):
    # The three located listings last by name are checked today: they lead, then the rest.
    located = Asset.objects.public().located().order_by("-name", "-id")
    checked = list(located[:3])
    _verify(checked)
    response = client.get(SEARCH)
    names = result_names(response)
    fresh = sorted(a.name for a in checked)
    assert names[:3] == fresh
    rest = Asset.objects.public().exclude(id__in=[a.id for a in checked])
    assert names[3:] == list(rest.order_by("name", "id").values_list("name", flat=True)[:17])
    text = text_of(response)
    assert (
        "Listings checked in the last 18 months first, then the rest; each in alphabetical order."
        in text
    )
    assert "In alphabetical order." not in text
    # The map carries the first results in the list's own order, so the checked ones are on it.
    assert [p[3] for p in map_points(response)][:3] == result_uuids(response)[:3]


def test_the_stale_period_in_words_follows_the_setting(client, settings):
    settings.LIVINGMAP_STALE_AFTER_DAYS = 365
    assert "Listings checked in the last year first" in text_of(client.get(SEARCH))
    settings.LIVINGMAP_STALE_AFTER_DAYS = 90
    assert "Listings checked in the last 3 months first" in text_of(client.get(SEARCH))


def test_near_a_postcode_and_by_words_the_page_says_unchecked_listings_come_lower(client):
    near = text_of(client.get(SEARCH, {"postcode": "WA14 1AH", "distance": "1"}))
    assert (
        "Nearest first, within 1 km of WA14 1AH, but listings not checked in the last 18 months "
        "come lower." in near
    )
    words = text_of(client.get(SEARCH, {"q": "library"}))
    assert "Best matches first, but listings not checked in the last 18 months come lower." in words


def test_near_a_postcode_the_map_follows_the_list_when_a_farther_listing_is_checked(client):
    point = point_for_postcode("WA14 1AH")
    before = search_assets(AssetQuery(near=point, within_m=1000, page=2, page_size=PAGE_SIZE))
    moved = before.hits[0].asset  # the nearest listing not on the first page
    _verify([moved])
    response = client.get(SEARCH, {"postcode": "WA14 1AH", "distance": "1"})
    # A stale listing counts as twice as far away, so the checked one is now on the first page...
    on_page = result_uuids(response)
    assert str(moved.uuid) in on_page
    # ...and the map shows the results in that same order.
    assert [p[3] for p in map_points(response)][: len(on_page)] == on_page


# -- the note under the map ---------------------------------------------------------------------


def map_note(response) -> str:
    match = re.search(r'<p class="govuk-body-s lm-map-note">(.*?)</p>', response.content.decode())
    return unescape(match.group(1)) if match else ""


def test_map_note_when_one_of_two_results_has_a_location(client):
    # "Cornerstone": a Methodist church with a location and a trust without one.
    assert search_assets(AssetQuery(words="Cornerstone")).total == 2
    assert map_assets(AssetQuery(words="Cornerstone")).total == 1
    note = map_note(client.get(SEARCH, {"q": "Cornerstone"}))
    assert note == "1 of these 2 results has a location: the map shows it. The list has them all."


def test_map_note_when_some_results_have_a_location(client):
    total = search_assets(AssetQuery(words="scout")).total
    located = map_assets(AssetQuery(words="scout")).total
    assert 1 < located < total
    note = map_note(client.get(SEARCH, {"q": "scout"}))
    assert note == (
        f"{located} of these {total} results have a location: the map shows them. "
        "The list has them all."
    )


def test_map_note_when_every_result_or_the_only_one_has_a_location(client):
    assert map_note(client.get(SEARCH, {"q": "library", "postcode": "WA14 1AH"})) == (
        "The map shows every result in the list."
    )
    only = client.get(SEARCH, {"q": "Cornerstone Methodist"})
    assert result_names(only) == ["Cornerstone Methodist Church"]
    assert map_note(only) == "The map shows the result in the list."


def test_map_note_when_the_map_carries_only_the_first_of_the_located_results(client):
    total = Asset.objects.public().count()
    located = Asset.objects.public().located().count()
    assert located < total
    assert map_note(client.get(SEARCH)) == (
        f"The map shows the first {MAP_LIMIT} of the {located:,} results that have a location. "
        f"The list has all {total:,}."
    )


def test_map_note_when_no_result_has_a_location():
    assert _map_note(0, 0, 3) == "None of these 3 results has a location, so none is on the map."


# -- "Find what else is within 1 km": near the asset's own point --------------------------------


def nearby_link(response) -> str | None:
    match = re.search(
        r'<a class="govuk-link" id="nearby" href="([^"]+)"', response.content.decode()
    )
    return unescape(match.group(1)) if match else None


def _located_outside_the_postcode_table() -> Asset:
    """A located demo asset whose postcode is not in Trafford's postcode table."""
    for asset in Asset.objects.public().located().exclude(postcode="").order_by("name"):
        try:
            point_for_postcode(asset.postcode)
        except PostcodeNotFound:
            return asset
    raise AssertionError("every located demo asset's postcode is in the table")


def test_find_what_else_is_near_altrincham_library(client, library):
    link = nearby_link(client.get(library.get_absolute_url()))
    assert link == f"{SEARCH}?near={library.uuid}&distance=1"
    response = client.get(link)
    assert response.status_code == 200
    expected = search_assets(AssetQuery(near=(library.lon, library.lat), within_m=1000))
    assert result_names(response) == [h.asset.name for h in expected.hits]
    assert result_names(response)[0] == "Altrincham Library"
    text = text_of(response)
    assert f"{expected.total:,} assets" in text
    assert "Nearest first, within 1 km of Altrincham Library" in text
    assert "Searching near Altrincham Library" in text
    # Paging and the other filters keep the place.
    assert f"near={library.uuid}" in response.content.decode().split('rel="next"')[0]


def test_find_what_else_works_for_a_located_asset_whose_postcode_is_outside_the_area(client):
    asset = _located_outside_the_postcode_table()
    assert client.get(SEARCH, {"postcode": asset.postcode}).status_code == 400  # the old link
    link = nearby_link(client.get(asset.get_absolute_url()))
    assert link is not None
    response = client.get(link)
    assert response.status_code == 200
    assert asset.name in result_names(response)
    assert f"within 1 km of {asset.name}" in text_of(response)


def test_no_find_what_else_link_for_an_asset_with_no_location(client):
    # 42nd Street has a Manchester postcode, not in Trafford's table, and no point.
    asset = Asset.objects.public().get(name__startswith="42nd Street")
    assert not asset.is_located and asset.postcode == "M4 5AG"
    response = client.get(asset.get_absolute_url())
    assert response.status_code == 200
    assert nearby_link(response) is None
    assert "Find what else" not in text_of(response)


def test_a_search_near_an_unlocated_or_private_asset_is_refused_at_the_postcode(client):
    unlocated = Asset.objects.public().filter(lat__isnull=True).first()
    private = _asset_near_altrincham("Pott Street secret group", visibility=Visibility.PRIVATE)
    for asset in (unlocated, private):
        response = client.get(SEARCH, {"near": str(asset.uuid), "distance": "1"})
        assert response.status_code == 400
        html = response.content.decode()
        assert '<a href="#postcode">We could not find that place on the map' in html
        assert 'id="postcode-error"' in html
        assert private.name not in html


def test_a_postcode_replaces_the_place_searched_near(client, library):
    response = client.get(SEARCH, {"near": str(library.uuid), "postcode": "M32 0TH"})
    assert response.status_code == 200
    expected = search_assets(AssetQuery(near=point_for_postcode("M32 0TH"), within_m=2000))
    assert result_names(response) == [h.asset.name for h in expected.hits]
    assert "within 2 km of M32 0TH" in text_of(response)
    assert "Searching near" not in text_of(response)


def test_the_same_kind_twice_is_the_same_search_as_once(client):
    once = client.get(SEARCH, {"kind": "institution"})
    twice = client.get(SEARCH, {"kind": ["institution", "institution"]})
    assert twice.status_code == 200
    assert result_names(twice) == result_names(once)


# -- on a phone: the results within reach -------------------------------------------------------


def more_filters(response) -> str:
    match = re.search(
        r'<details class="govuk-details lm-more-filters"([^>]*)>', response.content.decode()
    )
    assert match, "no folded filters"
    return match.group(1)


def test_a_search_folds_the_filters_nobody_chose_and_offers_a_skip_to_the_results(client):
    searched = client.get(SEARCH, {"q": "library"})
    assert "open" not in more_filters(searched)
    assert '<a class="govuk-link" href="#results">Skip to the results</a>' in (
        searched.content.decode()
    )
    # Every filter is still in the form, folded inside <details>, which needs no JavaScript.
    for name in ("kind", "category", "neighbourhood"):
        assert f'name="{name}"' in searched.content.decode()


def test_the_filters_stay_open_before_a_search_or_when_one_of_them_is_chosen(client):
    assert "open" in more_filters(client.get(SEARCH))
    assert "open" in more_filters(client.get(SEARCH, {"category": "library"}))
    assert "open" in more_filters(client.get(SEARCH, {"kind": "spaceships"}))  # with its error


def test_no_skip_link_when_the_search_has_an_error(client):
    response = client.get(SEARCH, {"postcode": "XYZ"})
    assert "Skip to the results" not in response.content.decode()
