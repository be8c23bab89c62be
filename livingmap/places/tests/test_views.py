"""The public pages for places: neighbourhoods (list and profile) and statutory areas, on the real
Trafford demo data."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from livingmap.areas.models import Area, AreaLevel, IndicatorValue
from livingmap.areas.selectors import neighbourhood_indicators, point_for_postcode
from livingmap.assets.models import Asset, AssetKind, Visibility
from livingmap.assets.services import save_asset

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def map_data(response) -> dict | None:
    match = re.search(
        r'<script id="map-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1)) if match else None


def table_row(response, header: str) -> str:
    """The text of the table row whose header cell starts with `header`."""
    html = response.content.decode()
    for row in re.findall(r"<tr class=\"govuk-table__row\"[^>]*>(.*?)</tr>", html, re.S):
        cells = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", row))).strip()
        if cells.startswith(header):
            return cells
    raise AssertionError(f"no row starting {header!r}")


@pytest.fixture
def south():
    return Area.objects.get(level=AreaLevel.NEIGHBOURHOOD, slug="south")


def test_neighbourhood_list_shows_each_with_population_assets_and_deprivation(client):
    response = client.get("/neighbourhoods/")
    assert response.status_code == 200
    hoods = list(Area.objects.neighbourhoods().order_by("name"))
    assert [h.name for h in hoods] == ["Central", "North", "South", "West"]
    for hood in hoods:
        by_slug = {s.indicator.slug: s for s in neighbourhood_indicators(hood)}
        assets = Asset.objects.public().in_area(hood).count()
        most_deprived = round(by_slug["imd-decile"].value * 100)
        row = table_row(response, hood.name)
        assert f"{round(by_slug['population'].value):,}" in row
        assert f" {assets:,} " in f" {row} "
        assert f"{most_deprived}%" in row
        assert row.endswith(str(by_slug["imd-rank"].decile_of_value))
        assert f'href="{hood.get_absolute_url()}"' in response.content.decode()


def test_south_profile_lists_altrincham_library_and_its_assets_by_kind(client, south):
    response = client.get(south.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    library = Asset.objects.get(name="Altrincham Library")
    assert f'href="{library.get_absolute_url()}">Altrincham Library</a>' in html
    for kind in (AssetKind.INSTITUTION, AssetKind.PHYSICAL):
        count = Asset.objects.public().in_area(south).filter(kind=kind).count()
        assert f"{kind.label} ({count:,})" in text_of(response)
    # Long lists are folded away in <details>, short ones are not.
    physical = Asset.objects.public().in_area(south).filter(kind=AssetKind.PHYSICAL).count()
    assert physical > 10
    assert f"Show all {physical:,}" in text_of(response)
    # Categories link to a search within the neighbourhood.
    assert "?category=library&amp;neighbourhood=south" in html


def test_south_profile_map_has_its_boundary_and_located_assets(client, south):
    data = map_data(client.get(south.get_absolute_url()))
    assert data["boundary"] == south.geometry
    located = Asset.objects.public().in_area(south).located().count()
    assert len(data["points"]) == located
    assert "Altrincham Library" in {p[2] for p in data["points"]}
    assert data["cluster"] is True


def test_south_profile_indicators_with_method_and_provenance(client, south):
    response = client.get(south.get_absolute_url())
    text = text_of(response)
    by_slug = {s.indicator.slug: s for s in neighbourhood_indicators(south)}
    assert f"{round(by_slug['population'].value):,}" in text
    rank = by_slug["imd-rank"]
    assert f"{round(rank.value):,} of 32,844" in text
    ordinal = {9: "9th", 8: "8th", 7: "7th", 6: "6th", 5: "5th", 4: "4th", 3: "3rd"}
    assert f"England's {ordinal.get(rank.decile_of_value, rank.decile_of_value)} decile" in text
    assert "1, the most deprived" in text
    assert "decile 1 is the most deprived 10%" in text
    # Each roll-up says how it is done.
    for slug in ("population", "imd-rank", "imd-decile"):
        assert by_slug[slug].method in text
    # The share of residents in each decile adds up to everyone.
    shares = by_slug["imd-decile"].distribution
    assert abs(sum(shares.values()) - 1) < 1e-6
    top = max(shares, key=shares.get)
    assert f"{round(shares[top] * 100)}%" in table_row(
        response, f"{top}{' (least deprived 10%)' if top == 10 else ''}"
    )
    # The seven domains, each with its average rank.
    for stem in ("income", "employment", "education", "health", "crime", "barriers", "environment"):
        summary = by_slug[f"{stem}-rank"]
        name = summary.indicator.name.removesuffix(" (rank)")
        assert f"{round(summary.value):,}" in table_row(response, name)
    # Provenance: source, release and licence.
    for slug in ("population", "imd-rank"):
        indicator = by_slug[slug].indicator
        row = table_row(response, indicator.source.name)
        assert indicator.release in row
        assert indicator.source.licence in row


def test_private_assets_are_not_on_a_neighbourhood_page(client, south):
    library = Asset.objects.get(name="Altrincham Library")
    lon, lat = point_for_postcode("WA14 1AH")
    gift = save_asset(
        Asset(name="Knitting lessons from Pat", kind=AssetKind.GIFTS, lon=lon, lat=lat)
    )
    group = save_asset(
        Asset(
            name="Private supper club",
            kind=AssetKind.ASSOCIATION,
            visibility=Visibility.PRIVATE,
            lon=lon,
            lat=lat,
        )
    )
    assert gift.area_links.filter(area=south).exists()  # assigned, so only visibility hides it
    response = client.get(south.get_absolute_url())
    html = response.content.decode()
    assert library.name in html
    for hidden in (gift, group):
        assert hidden.name not in html
        assert str(hidden.uuid) not in html


def test_unknown_neighbourhood_and_area_are_404(client):
    assert client.get("/neighbourhoods/atlantis/").status_code == 404
    assert client.get("/areas/atlantis/").status_code == 404
    # A statutory area is not a neighbourhood, and a neighbourhood is not a statutory area.
    ward = Area.objects.filter(level=AreaLevel.WARD).first()
    assert client.get(f"/neighbourhoods/{ward.slug}/").status_code == 404
    assert client.get("/areas/south/").status_code == 404


def test_ward_page_shows_code_level_vintage_and_its_assets(client):
    library = Asset.objects.get(name="Altrincham Library")
    ward = library.area_links.get(area__level=AreaLevel.WARD, area__is_current=True).area
    response = client.get(ward.get_absolute_url())
    assert response.status_code == 200
    text = text_of(response)
    assert ward.name in text
    assert ward.gss_code in text
    assert "Ward" in text
    assert f"{ward.vintage} boundaries" in text
    assert f'href="{library.get_absolute_url()}"' in response.content.decode()
    count = Asset.objects.public().in_area(ward).count()
    assert f"Community assets {count:,}" in text
    assert 'href="/neighbourhoods/south/">South</a>' in response.content.decode()


def test_lsoa_2011_page_shows_its_deprivation_figures(client):
    library = Asset.objects.get(name="Altrincham Library")
    lsoa = library.area_links.get(area__level=AreaLevel.LSOA, area__vintage=2011).area
    response = client.get(lsoa.get_absolute_url())
    assert response.status_code == 200
    text = text_of(response)
    assert "not the newest" in text
    rank = IndicatorValue.objects.get(area=lsoa, indicator__slug="imd-rank")
    decile = IndicatorValue.objects.get(area=lsoa, indicator__slug="imd-decile")
    assert f"{round(rank.value):,}" in table_row(response, "Index of Multiple Deprivation (rank)")
    assert f"{decile.value:g}" in table_row(response, "Index of Multiple Deprivation (decile)")
    assert "1 is the most deprived" in text
    assert rank.indicator.source.name in text


# -- the home page ------------------------------------------------------------------------------


def _public_counts() -> dict[str, int]:
    return {
        kind: Asset.objects.public().filter(kind=kind).count()
        for kind in AssetKind.values
        if kind != AssetKind.GIFTS
    }


def test_home_lists_the_kinds_on_the_map_and_invites_suggestions_for_the_others(client):
    counts = _public_counts()
    missing = [AssetKind(k).label.lower() for k, n in counts.items() if not n]
    assert missing, "the demo has no funds and grants"
    response = client.get("/")
    text = text_of(response)
    assert "None yet" not in text
    for kind, n in counts.items():
        if n:
            assert table_row(response, AssetKind(kind).label) == f"{AssetKind(kind).label} {n:,}"
        else:
            with pytest.raises(AssertionError):
                table_row(response, AssetKind(kind).label)
    listed = ", ".join(missing[:-1]) + ", or " + missing[-1] if len(missing) > 1 else missing[0]
    assert (
        f"Nothing is on the map yet for {listed}. If you know of one in Trafford, "
        "suggest a missing asset" in text
    )
    assert 'href="/assets/suggest/">suggest a missing asset</a>' in response.content.decode()


def test_a_kind_moves_into_the_table_once_it_has_an_asset(client):
    lon, lat = point_for_postcode("WA14 1AH")
    save_asset(Asset(name="Altrincham Community Chest", kind=AssetKind.MONEY, lon=lon, lat=lat))
    response = client.get("/")
    label = AssetKind.MONEY.label
    assert table_row(response, label) == f"{label} 1"
    missing = re.search(r"Nothing is on the map yet for (.*?)\. If you know", text_of(response))
    assert missing and label.lower() not in missing.group(1)


# -- the header on every page -------------------------------------------------------------------


def test_account_links_are_in_the_header_and_the_menu_has_a_toggle(client, django_user_model):
    html = client.get("/").content.decode()
    header = html.split('<section aria-label="Site menu"')[0]
    menu = html.split('<section aria-label="Site menu"')[1].split("</section>")[0]
    assert '<nav class="lm-header__account" aria-label="Your account">' in header
    assert "Sign in" in header and "Sign in" not in menu
    # GOV.UK service navigation: the Menu button is hidden until the script shows it on a phone,
    # so without JavaScript every link is there.
    assert (
        '<button type="button" class="govuk-service-navigation__toggle '
        'govuk-js-service-navigation-toggle" aria-controls="navigation" hidden>Menu</button>'
    ) in menu
    assert menu.count('class="govuk-service-navigation__link"') == 6
    user = django_user_model.objects.create_user("resident@example.org", "resident@example.org")
    client.force_login(user)
    header = client.get("/").content.decode().split('<section aria-label="Site menu"')[0]
    assert "Your account" in header and "Sign out" in header
