"""The place services other apps use: the one radius search, matching an organisation to an
asset, and which areas any located thing is in — on the real demo data."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from livingmap.areas.selectors import area_index, areas_containing
from livingmap.assets.matching import SAME_PLACE_M
from livingmap.assets.models import Asset, AssetArea, Visibility
from livingmap.assets.selectors import AssetQuery, match_asset, search_assets, within_radius
from livingmap.core.geo import haversine_m

pytestmark = pytest.mark.django_db


def _centre() -> Asset:
    """A public, located asset in the middle of the demo's assets."""
    located = Asset.objects.public().filter(lat__isnull=False).order_by("lat", "lon")
    return located[located.count() // 2]


@pytest.mark.parametrize("metres", [150, 800, 2000, 7500])
def test_within_radius_finds_what_the_search_near_a_point_finds(metres):
    centre = _centre()
    q = AssetQuery(near=(centre.lon, centre.lat), within_m=metres, page_size=200)
    first = search_assets(q)
    found = set(
        Asset.objects.public()
        .filter(within_radius(centre.lon, centre.lat, metres))
        .values_list("uuid", flat=True)
    )
    assert len(found) == first.total
    assert len(found) > 1
    if first.total <= 200:
        assert found == {hit.asset.uuid for hit in first.hits}
    # Exactly the assets within the distance, measured as the search measures.
    for asset in Asset.objects.public().filter(
        lat__gte=centre.lat - 0.1, lat__lte=centre.lat + 0.1, lon__isnull=False
    ):
        inside = haversine_m(centre.lon, centre.lat, asset.lon, asset.lat) <= metres
        assert (asset.uuid in found) is inside, asset.name


def test_within_radius_combines_with_other_filters():
    centre = _centre()
    near = Asset.objects.filter(within_radius(centre.lon, centre.lat, 3000))
    kind = near.values_list("kind", flat=True).first()
    both = near.filter(kind=kind)
    assert 0 < both.count() <= near.count()
    assert set(both.values_list("kind", flat=True)) == {kind}


def test_match_asset_by_charity_number_before_anything_else():
    charity = Asset.objects.exclude(charity_number="").order_by("id").first()
    assert charity is not None
    match = match_asset(charity_number=charity.charity_number, name="Some other name")
    assert match is not None
    assert match.by == "charity_number"
    assert match.asset.charity_number == charity.charity_number


def test_match_asset_by_company_number_from_the_assets_data():
    with_company = next(
        a for a in Asset.objects.exclude(extra={}).order_by("id") if a.extra.get("company_number")
    )
    match = match_asset(company_number=with_company.extra["company_number"])
    assert match is not None
    assert match.by == "company_number"
    assert match.asset.extra["company_number"] == with_company.extra["company_number"]


def test_match_asset_by_uprn():
    building = Asset.objects.exclude(uprn="").order_by("id").first()
    assert building is not None
    match = match_asset(uprn=building.uprn)
    assert match is not None and match.by == "uprn"
    assert match.asset.uprn == building.uprn


def test_match_asset_by_a_name_at_the_same_place_and_not_a_different_body():
    centre = _centre()
    near = match_asset(name=centre.name.upper(), lon=centre.lon + 0.0005, lat=centre.lat)
    assert near is not None
    assert near.by == "name_at_place"
    assert near.asset == centre or near.asset.name.lower() == centre.name.lower()
    assert haversine_m(centre.lon + 0.0005, centre.lat, centre.lon, centre.lat) < SAME_PLACE_M
    # The same name 2 km away is another place; "Friends of …" is another body.
    far = match_asset(name=centre.name, lon=centre.lon, lat=centre.lat + 0.02)
    assert far is None or far.asset != centre
    friends = match_asset(name=f"Friends of {centre.name}", lon=centre.lon, lat=centre.lat)
    assert friends is None or friends.asset != centre


def test_match_asset_at_the_same_postcode():
    asset = Asset.objects.public().exclude(postcode="").order_by("id").first()
    match = match_asset(name=asset.name, postcode=asset.postcode.lower().replace(" ", ""))
    assert match is not None and match.by == "name_at_place"
    assert match.asset.postcode == asset.postcode


def test_match_asset_without_anything_to_go_on_is_none():
    assert match_asset() is None
    assert match_asset(name="A name with no place") is None
    assert match_asset(charity_number="no-such-number-0") is None


def test_match_asset_finds_private_records_and_leaves_the_showing_to_the_caller():
    asset = Asset.objects.exclude(charity_number="").order_by("id").first()
    Asset.objects.filter(pk=asset.pk).update(visibility=Visibility.PRIVATE)
    match = match_asset(charity_number=asset.charity_number)
    assert match is not None and match.asset.pk == asset.pk
    assert match.asset.visibility == Visibility.PRIVATE


class Venue(NamedTuple):
    """A located thing of another app (not an asset)."""

    id: int
    lon: float | None
    lat: float | None


def test_areas_containing_works_for_any_located_thing():
    assets = list(
        Asset.objects.filter(lat__isnull=False, footprint__isnull=True).order_by("id")[:50]
    )
    venues: list[Any] = [Venue(1000 + k, a.lon, a.lat) for k, a in enumerate(assets)]
    venues.append(Venue(1, None, None))  # unlocated: in no area
    index = area_index()
    pairs = areas_containing(venues, index)
    by_venue: dict[int, set[int]] = {}
    for area_id, venue_id in pairs:
        by_venue.setdefault(venue_id, set()).add(area_id)
    assert 1 not in by_venue
    for k, asset in enumerate(assets):
        stored = set(AssetArea.objects.filter(asset=asset).values_list("area_id", flat=True))
        assert by_venue.get(1000 + k, set()) == stored, asset.name
    assert any(len(v) >= 2 for v in by_venue.values())  # a ward and a neighbourhood, say


def test_the_radius_search_works_for_any_located_model():
    """Postcodes have a point but no lat_cell: the same filter, on the box and the distance."""
    from livingmap.areas.models import Postcode
    from livingmap.areas.selectors import within_radius as radius_filter

    centre = _centre()
    found = set(
        Postcode.objects.filter(radius_filter(Postcode, centre.lon, centre.lat, 600)).values_list(
            "postcode", flat=True
        )
    )
    assert found
    for pc in Postcode.objects.filter(
        lat__gte=centre.lat - 0.02, lat__lte=centre.lat + 0.02, lon__isnull=False
    ):
        inside = haversine_m(centre.lon, centre.lat, pc.lon, pc.lat) <= 600
        assert (pc.postcode in found) is inside, pc.postcode
