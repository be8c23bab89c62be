"""People's gifts and skills, and private records, never reach a public list, search or count."""

from __future__ import annotations

import pytest

from livingmap.areas.models import Area, AreaLevel
from livingmap.assets.models import Asset, AssetKind, Category, Visibility
from livingmap.assets.selectors import (
    AssetQuery,
    SearchError,
    assets_by_kind,
    categories_in_use,
    get_public_asset,
    kind_counts_by_area,
    map_assets,
    public_categories,
    public_kind_counts,
    search_assets,
)
from livingmap.assets.services import AssetRecord, import_asset_records, save_asset
from livingmap.core.importing import ImportReport
from livingmap.core.models import Dataset

pytestmark = pytest.mark.django_db

# A point in Old Trafford, in the North locality.
POINT = (-2.2825, 53.4585)


@pytest.fixture
def hidden() -> list[Asset]:
    """A person's gift (asked to be public) and a private group, both where public assets are."""
    gift = Asset(
        name="Zebedee's carpentry",
        kind=AssetKind.GIFTS,
        description="I can fix chairs and teach woodwork",
        visibility=Visibility.PUBLIC,
        lon=POINT[0],
        lat=POINT[1],
    )
    save_asset(gift, categories=Category.objects.filter(slug="skill"))
    group = Asset(
        name="Zebedee support circle",
        kind=AssetKind.ASSOCIATION,
        description="A private circle of support",
        visibility=Visibility.PRIVATE,
        lon=POINT[0] + 0.0005,
        lat=POINT[1],
    )
    save_asset(group, categories=Category.objects.filter(slug="community-group"))
    return [gift, group]


def test_a_gift_is_saved_private_even_when_asked_to_be_public(hidden):
    gift = Asset.objects.get(pk=hidden[0].pk)
    assert gift.visibility == Visibility.PRIVATE
    gift.visibility = Visibility.PUBLIC
    gift.save()
    assert Asset.objects.get(pk=gift.pk).visibility == Visibility.PRIVATE
    save_asset(gift)
    assert Asset.objects.get(pk=gift.pk).visibility == Visibility.PRIVATE


def test_an_asset_that_becomes_a_gift_becomes_private():
    asset = Asset.objects.public().filter(kind=AssetKind.ASSOCIATION).first()
    asset.kind = AssetKind.GIFTS
    save_asset(asset)
    assert Asset.objects.get(pk=asset.pk).visibility == Visibility.PRIVATE
    assert not Asset.objects.public().filter(pk=asset.pk).exists()


def test_an_imported_gift_is_private_even_if_the_file_says_public():
    dataset = Dataset.objects.create(slug="skills-survey", name="Skills survey", licence="none")
    report = ImportReport(importer="skills", source="test")
    record = AssetRecord(
        source_id="1",
        name="Ada's bookkeeping",
        kind=AssetKind.GIFTS,
        visibility=Visibility.PUBLIC,
        lon=POINT[0],
        lat=POINT[1],
    )
    import_asset_records(dataset=dataset, records=[("line 2", record)], report=report)
    asset = Asset.objects.get(name="Ada's bookkeeping")
    assert asset.visibility == Visibility.PRIVATE

    # The file is fixed to say what it is, then changed back: still private.
    again = AssetRecord(**{**record.__dict__, "description": "Accounts for small groups"})
    import_asset_records(dataset=dataset, records=[("line 2", again)], report=report)
    assert Asset.objects.get(pk=asset.pk).visibility == Visibility.PRIVATE


def test_public_excludes_gifts_and_private_records(hidden):
    public = Asset.objects.public()
    for asset in hidden:
        assert not public.filter(pk=asset.pk).exists()
    # Belt and braces: a gift wrongly stored public (by a bulk update) is still left out.
    Asset.objects.filter(pk=hidden[0].pk).update(visibility=Visibility.PUBLIC)
    assert not Asset.objects.public().filter(pk=hidden[0].pk).exists()


def test_search_never_returns_them(hidden):
    hidden_ids = {a.pk for a in hidden}
    queries = [
        AssetQuery(words="zebedee"),
        AssetQuery(words="carpentry"),
        AssetQuery(words="circle support"),
        AssetQuery(near=POINT, within_m=200),
        AssetQuery(words="zebedee", near=POINT, within_m=200),
        AssetQuery(neighbourhood="north", page_size=200),
        AssetQuery(kind=AssetKind.ASSOCIATION, near=POINT, within_m=500),
        AssetQuery(category="community-group", page_size=200),
    ]
    for query in queries:
        results = search_assets(query)
        pages = [results]
        for page in range(2, results.pages + 1):
            query.page = page
            pages.append(search_assets(query))
        found = {h.asset.pk for r in pages for h in r.hits}
        assert not found & hidden_ids, query
    assert search_assets(AssetQuery(words="zebedee")).total == 0
    # The private group is found by nothing, but its public neighbours are.
    assert search_assets(AssetQuery(near=POINT, within_m=200)).total > 0


def test_gifts_cannot_be_searched_for_by_kind():
    with pytest.raises(SearchError, match="private"):
        search_assets(AssetQuery(kind=AssetKind.GIFTS))


def test_counts_and_listings_by_area_leave_them_out(hidden):
    hood = Area.objects.get(level=AreaLevel.NEIGHBOURHOOD, slug="north")
    ward = hidden[0].area_links.get(area__level=AreaLevel.WARD).area
    assert hidden[1].area_links.filter(area=hood).exists(), "they are stored in the area…"

    for area in (hood, ward):
        listed = {a.pk for assets in assets_by_kind(area).values() for a in assets}
        assert not listed & {a.pk for a in hidden}
        assert AssetKind.GIFTS not in assets_by_kind(area)
        public_in_area = Asset.objects.public().in_area(area)
        assert len(listed) == public_in_area.count()

    for level in (AreaLevel.NEIGHBOURHOOD, AreaLevel.WARD):
        counts = kind_counts_by_area(level)
        for area in Area.objects.filter(level=level):
            expected = {}
            for asset in Asset.objects.public().in_area(area):
                expected[asset.kind] = expected.get(asset.kind, 0) + 1
            assert counts.get(area.id, {}) == expected, area.name
        assert all(AssetKind.GIFTS not in by_kind for by_kind in counts.values())


def test_their_pages_are_not_found(hidden):
    for asset in hidden:
        with pytest.raises(Asset.DoesNotExist):
            get_public_asset(asset.uuid)


def test_maps_kinds_and_categories_leave_them_out(hidden):
    hidden_ids = {a.pk for a in hidden}
    layer = map_assets(AssetQuery(near=POINT, within_m=300))
    assert layer.points and not {p.id for p in layer.points} & hidden_ids
    kinds = {kind: n for kind, _, n in public_kind_counts()}
    assert AssetKind.GIFTS not in kinds
    assert kinds[AssetKind.ASSOCIATION] == Asset.objects.public().filter(kind="association").count()
    assert "skill" not in set(categories_in_use().values_list("slug", flat=True))
    assert "skill" not in {c.slug for c in public_categories()}
    community = next(c for c in public_categories() if c.slug == "community-group")
    assert community.asset_count == (
        Asset.objects.public().filter(categories__slug="community-group").count()
    )


@pytest.mark.parametrize("near", [None, POINT])
def test_a_word_only_private_records_hold_changes_no_public_search(hidden, near):
    """Whether the last word is taken whole or as the start of a word is decided on what the
    search could show: private records holding the word "zebedee" must not change what
    "zebedee" finds (a public asset with a longer word that starts so), nor betray them."""
    club = Asset(
        name="Zebedeean Singers",
        kind=AssetKind.ASSOCIATION,
        lon=POINT[0] - 0.0005,
        lat=POINT[1],
    )
    save_asset(club)

    def answers() -> list[tuple[set[int], set[int]]]:
        found = []
        for words in ("zebedee", "zebede", "ZEBEDEE's"):
            query = AssetQuery(words=words, near=near, within_m=300)
            found.append(
                (
                    {h.asset.id for h in search_assets(query).hits},
                    {p.id for p in map_assets(query).points},
                )
            )
        return found

    with_private = answers()
    assert with_private == [({club.id}, {club.id})] * 3
    Asset.objects.filter(pk__in=[a.pk for a in hidden]).delete()
    assert answers() == with_private
