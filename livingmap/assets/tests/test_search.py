"""The one search path (search_assets) on the real Trafford assets, on SQLite and PostgreSQL.

Each result set is checked against an answer worked out here without the search code: words by
reading the assets' text, distances with a haversine written here, neighbourhoods from the
stored assignment and the boundary itself.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections import Counter
from datetime import timedelta

import pytest
import shapely
from django.db import connection
from django.utils import timezone
from shapely.geometry import shape

from livingmap.areas.models import Area, AreaLevel
from livingmap.areas.selectors import point_for_postcode
from livingmap.assets.models import Asset, AssetArea, AssetKind, Category, Visibility
from livingmap.assets.selectors import (
    MAX_PAGE_SIZE,
    AssetHit,
    AssetQuery,
    SearchError,
    categories_named_by,
    search_assets,
)
from livingmap.assets.services import save_asset

pytestmark = pytest.mark.django_db

EARTH_RADIUS_M = 6_371_008.8
STRETFORD = "M32 0TH"
SALE = "M33 7ZF"


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance, written out here so the search's own is checked."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi, half_dlambda = (phi2 - phi1) / 2, math.radians(lon2 - lon1) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_M * math.atan2(math.sqrt(h), math.sqrt(1 - h))


def everything(query: AssetQuery) -> list[AssetHit]:
    """Every hit of a search, page by page (as someone clicking "next" would see them)."""
    hits: list[AssetHit] = []
    page = 1
    while True:
        results = search_assets(dataclasses.replace(query, page=page, page_size=MAX_PAGE_SIZE))
        hits.extend(results.hits)
        if page >= results.pages:
            break
        page += 1
    assert len(hits) == results.total
    assert len({h.asset.id for h in hits}) == len(hits), "no asset twice"
    return hits


def ids(hits: list[AssetHit]) -> set[int]:
    return {h.asset.id for h in hits}


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def assets_with_word_starting(*prefixes: str) -> set[int]:
    """Public assets whose name or search words hold a word starting with each prefix."""
    patterns = [re.compile(rf"(?<![a-z0-9]){re.escape(p)}") for p in prefixes]
    found = set()
    for asset_id, name, text in Asset.objects.public().values_list("id", "name", "search_text"):
        words = fold(f"{name} {text}")
        if all(p.search(words) for p in patterns):
            found.add(asset_id)
    return found


# -- words ------------------------------------------------------------------------------------


def assets_with_word(*forms: str) -> set[int]:
    """Public assets whose name or search words hold one of these words, whole."""
    pattern = re.compile(rf"(?<![a-z0-9])({'|'.join(map(re.escape, forms))})(?![a-z0-9])")
    return {
        asset_id
        for asset_id, name, text in Asset.objects.public().values_list("id", "name", "search_text")
        if pattern.search(fold(f"{name} {text}"))
    }


@pytest.mark.parametrize("words", ["library", "LIBRARY", "  library  ", "libraries"])
def test_a_word_finds_every_asset_with_the_word_or_its_plural_and_no_other(words):
    expected = assets_with_word("library", "libraries")
    assert len(expected) >= 13, "Trafford has thirteen public libraries"
    assert ids(everything(AssetQuery(words=words))) == expected


@pytest.mark.parametrize("words", ["libr", "LIBR", "sale libr"])
def test_a_last_word_no_asset_has_is_taken_as_the_start_of_one(words):
    *whole, start = words.lower().split()
    expected = assets_with_word_starting(start)
    for word in whole:
        expected &= assets_with_word(word)
    assert expected, "Trafford has libraries"
    assert ids(everything(AssetQuery(words=words))) == expected


def test_a_whole_word_is_not_also_taken_as_the_start_of_a_longer_one():
    """ "park" finds parks, not "Parkrun": at national scale the start of a common word reads
    every index entry for it in the country; a word someone has finished is taken as it is."""
    parkrun = Asset(name="Parkrun Volunteers", kind=AssetKind.ASSOCIATION, lon=-2.33, lat=53.44)
    save_asset(parkrun)
    park = ids(everything(AssetQuery(words="park")))
    assert park == assets_with_word("park", "parks")
    assert parkrun.id not in park
    near = search_assets(AssetQuery(words="park", near=(-2.33, 53.44), within_m=3000)).hits
    assert near and parkrun.id not in ids(near)
    for start in ("parkr", "parkru", "volunteers parkr"):
        assert parkrun.id in ids(everything(AssetQuery(words=start))), start
        hits = search_assets(AssetQuery(words=start, near=(-2.33, 53.44), within_m=3000)).hits
        assert parkrun.id in ids(hits), start


def test_a_last_word_found_whole_only_elsewhere_is_the_start_of_one_here():
    """The whole word is tried within the search's own reach (its filters, its distance): a
    "Lib Dems" office across town does not stop "lib" finding the libraries near a postcode."""
    office = Asset(name="Lib Dems office", kind=AssetKind.ASSOCIATION, lon=-2.285, lat=53.46)
    save_asset(office)
    assert ids(everything(AssetQuery(words="lib"))) == {office.id}
    lon, lat = point_for_postcode("WA14 1AH")  # Altrincham, 12 km away
    near = everything(AssetQuery(words="lib", near=(lon, lat), within_m=2000))
    assert "Altrincham Library" in {h.asset.name for h in near}
    assert office.id not in ids(near)
    assert ids(near) <= assets_with_word_starting("lib")
    libraries = everything(AssetQuery(words="lib", kind=AssetKind.INSTITUTION))
    assert "Sale Library" in {h.asset.name for h in libraries}


@pytest.mark.parametrize("near", [None, STRETFORD])
def test_an_apostrophe_s_is_no_word(near):
    """ "women's" is "women" and an "s" both databases leave out."""
    point = point_for_postcode(near) if near else None
    plain = ids(everything(AssetQuery(words="women", near=point, within_m=5000)))
    assert plain
    assert ids(everything(AssetQuery(words="women's", near=point, within_m=5000))) == plain
    assert ids(everything(AssetQuery(words="WOMEN'S group", near=point, within_m=5000))) == ids(
        everything(AssetQuery(words="women group", near=point, within_m=5000))
    )


def test_every_library_in_the_library_category_is_found_by_the_word():
    libraries = set(
        Asset.objects.public().filter(categories__slug="library").values_list("id", flat=True)
    )
    assert len(libraries) >= 13
    assert libraries <= ids(everything(AssetQuery(words="libr")))


def test_all_the_words_must_match():
    both = ids(everything(AssetQuery(words="sale library")))
    assert both == ids(everything(AssetQuery(words="sale"))) & ids(
        everything(AssetQuery(words="library"))
    )
    assert Asset.objects.get(name="Sale Library").id in both


def test_an_exact_name_comes_first():
    hits = search_assets(AssetQuery(words="Altrincham Library")).hits
    assert hits[0].asset.name == "Altrincham Library"


def test_a_name_match_ranks_above_a_description_only_match():
    described = Asset(
        name="Riverside Friends",
        kind=AssetKind.ASSOCIATION,
        description="We meet on Tuesdays and once saw a quokka by the canal.",
        lon=-2.30,
        lat=53.45,
    )
    named = Asset(name="Quokka Club", kind=AssetKind.ASSOCIATION, lon=-2.31, lat=53.45)
    for asset in (described, named):  # the description-only one is saved first
        save_asset(asset)

    hits = search_assets(AssetQuery(words="quokka")).hits

    assert [h.asset.name for h in hits] == ["Quokka Club", "Riverside Friends"]
    assert hits[0].rank < hits[1].rank
    near = search_assets(AssetQuery(words="quokka", near=(-2.305, 53.45), within_m=5000)).hits
    assert {h.asset.name for h in near} == {"Quokka Club", "Riverside Friends"}


@pytest.mark.parametrize(
    ("words", "slugs"),
    [
        ("park", {"green-space"}),
        ("Parks", {"green-space"}),
        ("libraries", {"library"}),
        ("food bank", {"food-bank"}),
        ("green spaces", {"green-space"}),
        ("yoga", set()),
        ("car park", set()),
    ],
)
def test_words_naming_a_category_are_read_as_wanting_that_category(words, slugs):
    found = Category.objects.filter(pk__in=categories_named_by(words))
    assert set(found.values_list("slug", flat=True)) == slugs


def test_a_search_for_park_lists_parks_before_buildings_named_after_one():
    hits = everything(AssetQuery(words="park"))
    green = set(Asset.objects.filter(categories__slug="green-space").values_list("id", flat=True))
    top = hits[:10]
    assert all(h.asset.id in green for h in top), [h.asset.name for h in top]
    # The boost reorders what the words find; it adds nothing the words do not find.
    assert ids(hits) == assets_with_word("park", "parks")
    clubhouse = next(h for h in hits if h.asset.name == "Hullard Park Bowls Clubhouse")
    park = next(h for h in hits if h.asset.name == "Hullard Park")
    assert park.rank < clubhouse.rank


def test_an_asset_edited_by_a_person_is_found_by_its_new_words():
    asset = Asset.objects.get(name="Sale Library")
    asset.description = "Home of the Wombat reading circle"
    save_asset(asset)
    assert [h.asset.name for h in search_assets(AssetQuery(words="wombat")).hits] == [
        "Sale Library"
    ]
    asset.name = "Sale Waterside Library"
    save_asset(asset)
    hits = search_assets(AssetQuery(words="waterside libr")).hits
    assert hits[0].asset.name == "Sale Waterside Library"


@pytest.mark.parametrize(
    "words",
    [
        "St. Mary's",
        "C++",
        '"unclosed',
        "NOT",
        "AND OR",
        "'; DROP TABLE assets_asset; --",
        "a:b",
        "*",
        "50%",
        "foo_bar",
        "ÿ€",
        "NEAR(x y)",
    ],
)
def test_punctuation_and_search_syntax_in_words_never_break_the_search(words):
    results = search_assets(AssetQuery(words=words))
    assert results.total >= 0
    assert Asset.objects.exists()


def test_no_words_lists_every_public_asset_by_name():
    hits = everything(AssetQuery())
    assert ids(hits) == set(Asset.objects.public().values_list("id", flat=True))
    names = [(h.asset.name, h.asset.id) for h in hits]
    assert names == sorted(names)


def test_little_words_do_not_stop_a_search_finding_things():
    for words in ("libraries in Sale", "the library in sale", "a library"):
        found = {h.asset.name for h in everything(AssetQuery(words=words))}
        assert "Sale Library" in found, words


def test_words_either_side_of_a_slash_are_found():
    """PostgreSQL's parser reads "Parents/Carers" as one path; both databases find each word."""
    group = Asset(name="Parents/Carers Forum", kind=AssetKind.ASSOCIATION, lon=-2.33, lat=53.44)
    save_asset(group)
    for words in ("parents", "carers", "parent carer forum"):
        assert group.id in ids(everything(AssetQuery(words=words))), words
    near = search_assets(AssetQuery(words="carers", near=(-2.33, 53.44), within_m=500)).hits
    assert group.id in ids(near)


def test_accents_do_not_matter():
    plain = ids(everything(AssetQuery(words="cafe")))
    accented = ids(everything(AssetQuery(words="café")))
    assert plain == accented == assets_with_word_starting("cafe")


# -- kind, category, neighbourhood ------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k in AssetKind.values if k != AssetKind.GIFTS])
def test_kind_finds_every_public_asset_of_that_kind(kind):
    expected = set(
        Asset.objects.filter(kind=kind, visibility=Visibility.PUBLIC).values_list("id", flat=True)
    )
    results = search_assets(AssetQuery(kind=kind))
    assert results.total == len(expected)
    assert ids(everything(AssetQuery(kind=kind))) == expected


def test_kinds_counted_in_the_results_are_the_kinds_of_the_hits():
    for query in (AssetQuery(words="centre"), AssetQuery(near=point_for_postcode(SALE))):
        hits = everything(query)
        assert search_assets(query).kinds == dict(Counter(h.asset.kind for h in hits))


@pytest.mark.parametrize("category", ["library", "green-space", "allotment", "charity"])
def test_category_finds_the_assets_in_it(category):
    expected = set(
        Asset.objects.public().filter(categories__slug=category).values_list("id", flat=True)
    )
    assert expected, category
    assert ids(everything(AssetQuery(category=category))) == expected


def test_words_and_category_combine():
    found = ids(everything(AssetQuery(words="sale", category="library")))
    assert found == ids(everything(AssetQuery(words="sale"))) & ids(
        everything(AssetQuery(category="library"))
    )
    assert Asset.objects.get(name="Sale Library").id in found


@pytest.mark.parametrize("slug", ["north", "south", "central", "west"])
def test_neighbourhood_finds_the_assets_in_it(slug):
    hood = Area.objects.get(level=AreaLevel.NEIGHBOURHOOD, slug=slug)
    linked = set(AssetArea.objects.filter(area=hood).values_list("asset_id", flat=True))
    expected = set(Asset.objects.public().filter(id__in=linked).values_list("id", flat=True))
    found = ids(everything(AssetQuery(neighbourhood=slug)))
    assert found == expected
    geom = shape(hood.geometry)
    shapely.prepare(geom)
    for asset in Asset.objects.public().located().filter(footprint__isnull=True):
        inside = geom.intersects(shapely.Point(asset.lon, asset.lat))
        assert (asset.id in found) is inside, asset.name


def test_the_four_localities_between_them_hold_every_located_asset_in_trafford():
    found = set()
    for slug in ("north", "south", "central", "west"):
        found |= ids(everything(AssetQuery(neighbourhood=slug)))
    trafford = shape(Area.objects.get(level=AreaLevel.LOCAL_AUTHORITY).geometry)
    inside = {
        a.id
        for a in Asset.objects.public().located().filter(footprint__isnull=True)
        if trafford.intersects(shapely.Point(a.lon, a.lat))
    }
    assert inside <= found


def test_kind_and_neighbourhood_combine():
    found = everything(AssetQuery(kind=AssetKind.PHYSICAL, neighbourhood="north"))
    assert found and {h.asset.kind for h in found} == {AssetKind.PHYSICAL}
    assert ids(found) == ids(everything(AssetQuery(neighbourhood="north"))) & ids(
        everything(AssetQuery(kind=AssetKind.PHYSICAL))
    )


# -- near a postcode ----------------------------------------------------------------------------


@pytest.mark.parametrize(("postcode", "within_m"), [(STRETFORD, 1000), (SALE, 500), (SALE, 3000)])
def test_near_a_postcode_finds_everything_within_the_distance_nearest_first(postcode, within_m):
    lon, lat = point_for_postcode(postcode)
    expected = {
        a.id: metres(lon, lat, a.lon, a.lat)
        for a in Asset.objects.public().located()
        if metres(lon, lat, a.lon, a.lat) <= within_m
    }
    assert len(expected) >= 10

    hits = everything(AssetQuery(near=(lon, lat), within_m=within_m))

    assert ids(hits) == set(expected)
    for hit in hits:
        assert hit.distance_m == pytest.approx(expected[hit.asset.id], rel=1e-9, abs=1e-6)
        assert hit.distance_m <= within_m
    distances = [h.distance_m for h in hits]
    assert distances == sorted(distances)


def test_nothing_beyond_the_radius_even_just_beyond():
    lon, lat = point_for_postcode(STRETFORD)
    everything_near = everything(AssetQuery(near=(lon, lat), within_m=1500))
    # Put the radius just short of the 20th nearest: it and everything after must drop out.
    cut = everything_near[19].distance_m
    inside = everything(AssetQuery(near=(lon, lat), within_m=cut - 0.01))
    assert ids(inside) == {h.asset.id for h in everything_near if h.distance_m < cut - 0.01}
    assert everything_near[19].asset.id not in ids(inside)


def test_words_and_near_combine():
    point = point_for_postcode(SALE)
    both = everything(AssetQuery(words="church", near=point, within_m=3000))
    assert both
    assert ids(both) == ids(everything(AssetQuery(words="church"))) & ids(
        everything(AssetQuery(near=point, within_m=3000))
    )
    # Near a point the order is by distance (every demo asset is equally unverified).
    assert [h.distance_m for h in both] == sorted(h.distance_m for h in both)


# -- stale assets rank lower, and are never hidden -------------------------------------------


def verify(asset_ids: set[int] | list[int], days_ago: float = 1) -> None:
    Asset.objects.filter(id__in=list(asset_ids)).update(
        last_verified_at=timezone.now() - timedelta(days=days_ago)
    )


def test_near_a_point_a_fresh_asset_ranks_as_if_a_stale_one_were_twice_as_far():
    point = point_for_postcode(STRETFORD)
    hits = everything(AssetQuery(near=point, within_m=2000))
    # A fresh asset 1.5 times as far as a stale one comes first; one 2.5 times as far does not.
    near = next(h for h in hits if h.distance_m > 200)
    closer_than_twice = next(
        h for h in hits if 1.2 * near.distance_m < h.distance_m < 1.9 * near.distance_m
    )
    beyond_twice = next(h for h in hits if h.distance_m > 2.1 * near.distance_m)
    verify({closer_than_twice.asset.id, beyond_twice.asset.id})
    order = [h.asset.id for h in everything(AssetQuery(near=point, within_m=2000))]
    assert order.index(closer_than_twice.asset.id) < order.index(near.asset.id)
    assert order.index(near.asset.id) < order.index(beyond_twice.asset.id)
    assert len(order) == len(hits), "stale assets are still found"


def test_verified_long_ago_is_stale_again(settings):
    settings.LIVINGMAP_STALE_AFTER_DAYS = 30
    point = point_for_postcode(STRETFORD)
    hits = everything(AssetQuery(near=point, within_m=2000))
    near = next(h for h in hits if h.distance_m > 200)
    far = next(h for h in hits if 1.2 * near.distance_m < h.distance_m < 1.9 * near.distance_m)
    verify({far.asset.id}, days_ago=31)
    order = [h.asset.id for h in everything(AssetQuery(near=point, within_m=2000))]
    assert order.index(near.asset.id) < order.index(far.asset.id)
    verify({far.asset.id}, days_ago=29)
    order = [h.asset.id for h in everything(AssetQuery(near=point, within_m=2000))]
    assert order.index(far.asset.id) < order.index(near.asset.id)


def test_by_words_a_fresh_asset_outranks_an_equally_relevant_stale_one():
    hits = everything(AssetQuery(words="library"))
    assert len(hits) > 3
    last = hits[-1]
    verify({last.asset.id})
    again = everything(AssetQuery(words="library"))
    assert again[0].asset.id == last.asset.id or again[0].rank <= last.rank / 2
    assert {h.asset.id for h in again} == {h.asset.id for h in hits}
    # A stale asset's relevance counts half: the fresh one's rank is kept, the others halved.
    ranks = {h.asset.id: h.rank for h in again}
    before = {h.asset.id: h.rank for h in hits}
    assert ranks[last.asset.id] == pytest.approx(before[last.asset.id] * 2)


def test_without_words_or_a_point_verified_assets_come_first_then_by_name():
    query = AssetQuery(kind="physical")
    chosen = [h.asset.id for h in everything(query)][-3:]
    verify(chosen)
    again = everything(query)
    assert {h.asset.id for h in again[:3]} == set(chosen)
    assert [h.asset.name for h in again[:3]] == sorted(h.asset.name for h in again[:3])


def test_near_and_neighbourhood_combine():
    point = point_for_postcode(STRETFORD)
    both = ids(everything(AssetQuery(neighbourhood="north", near=point, within_m=2000)))
    assert both == ids(everything(AssetQuery(neighbourhood="north"))) & ids(
        everything(AssetQuery(near=point, within_m=2000))
    )


def test_unlocated_assets_are_never_near_anything():
    unlocated = set(Asset.objects.public().filter(lat__isnull=True).values_list("id", flat=True))
    assert unlocated, "some demo rows have no location"
    assert not unlocated & ids(
        everything(AssetQuery(near=point_for_postcode(SALE), within_m=50_000))
    )


# -- paging -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [AssetQuery(), AssetQuery(words="centre"), AssetQuery(near=(-2.32, 53.425), within_m=2000)],
    ids=["by name", "by words", "by distance"],
)
def test_pages_follow_on_without_gaps_or_repeats(query):
    whole = [h.asset.id for h in everything(query)]
    size = 7 if len(whole) < 200 else 97
    pages = []
    first = search_assets(dataclasses.replace(query, page=1, page_size=size))
    assert first.total == len(whole)
    assert first.pages == math.ceil(len(whole) / size)
    for page in range(1, first.pages + 1):
        results = search_assets(dataclasses.replace(query, page=page, page_size=size))
        assert results.total == len(whole)
        assert len(results.hits) == (size if page < first.pages else len(whole) - size * (page - 1))
        pages.extend(h.asset.id for h in results.hits)
    assert pages == whole
    beyond = search_assets(dataclasses.replace(query, page=first.pages + 1, page_size=size))
    assert beyond.hits == [] and beyond.total == len(whole)


# -- bad searches -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "words"),
    [
        (AssetQuery(kind="spaceship"), "'spaceship' is not a kind of asset"),
        (AssetQuery(kind=AssetKind.GIFTS), "private"),
        (AssetQuery(near=(-2.3, 53.4), within_m=0), "more than 0 and at most 50 km"),
        (AssetQuery(near=(-2.3, 53.4), within_m=-10), "more than 0"),
        (AssetQuery(near=(-2.3, 53.4), within_m=50_001), "at most 50 km"),
        (AssetQuery(page=0), "page number must be between 1 and 100,000"),
        (AssetQuery(page=10**15), "page number must be between 1 and 100,000"),
        (AssetQuery(page=-3), "page number"),
        (AssetQuery(page_size=0), "between 1 and 200"),
        (AssetQuery(page_size=201), "between 1 and 200"),
    ],
)
def test_a_search_that_cannot_be_run_says_why(query, words):
    with pytest.raises(SearchError) as caught:
        search_assets(query)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    "near", [(math.nan, math.nan), (-2.3, math.inf), (500.0, 53.4), (-2.3, 95.0)]
)
def test_a_point_that_is_not_on_earth_is_a_search_error(near):
    with pytest.raises(SearchError, match=r"longitude|latitude"):
        search_assets(AssetQuery(near=near))


def test_the_start_of_a_word_many_assets_share_is_quick():
    import time

    started = time.perf_counter()
    results = search_assets(AssetQuery(words="spo"))  # sport, sports, sporting …
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    found = ids(everything(AssetQuery(words="spo")))
    # Each database's tokenizer reads "C/O" or "R.F.C." its own way, so only a subset is exact.
    assert len(found) == results.total > 400
    assert found <= assets_with_word_starting("spo")


def test_a_one_letter_word_is_a_word():
    """ "C of E" holds the word "c": a letter someone searches for is matched as a word."""
    found = ids(everything(AssetQuery(words="c")))
    assert found and found <= assets_with_word("c")
    assert len(found) < len(assets_with_word_starting("c")) / 10


def test_lost_search_triggers_are_put_back_after_migrations():
    """A migration that remakes assets_asset on SQLite drops its triggers; post_migrate puts
    them back, and the search follows edits again."""
    from livingmap.assets.search import TRIGGERS, ensure_search_triggers

    if connection.vendor != "sqlite":
        assert ensure_search_triggers() == []
        return
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    assert ensure_search_triggers() == list(TRIGGERS)
    assert ensure_search_triggers() == []
    asset = Asset.objects.public().filter(kind=AssetKind.PHYSICAL).first()
    asset.name = "Quillfeather Hall"
    save_asset(asset)
    assert [h.asset.id for h in search_assets(AssetQuery(words="quillfeather")).hits] == [asset.id]


def test_the_sqlite_search_index_gathers_32_mb_of_words_before_writing_them_out():
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":  # PostgreSQL's index has no such setting
            cursor.execute("SELECT to_regclass('assets_asset_fts_config')")
            assert cursor.fetchone() == (None,)
            return
        cursor.execute("SELECT v FROM assets_asset_fts_config WHERE k = 'hashsize'")
        assert cursor.fetchone() == (32 * 1024 * 1024,)
