"""Which areas each asset is in: worked out when it is saved or imported, and stored."""

from __future__ import annotations

from collections import Counter, defaultdict
from io import StringIO

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from shapely.geometry import box, mapping, shape

from livingmap.areas.models import Area, AreaLevel
from livingmap.assets.models import Asset, AssetArea, AssetKind, AssetSource
from livingmap.assets.services import AssetRecord, LoadInParts, import_asset_records, save_asset
from livingmap.core.importing import ImportReport
from livingmap.core.models import Dataset

pytestmark = pytest.mark.django_db

OLD_TRAFFORD = "E05015253"
GORSE_HILL = "E05015247"
ALTRINCHAM = "E05015239"
CURRENT_LEVELS = ["lad", "ward", "msoa", "lsoa", "oa"]


class Areas:
    """Every area, with its own STRtree: the assignment worked out again, here."""

    def __init__(self) -> None:
        self.rows = list(Area.objects.all())
        self.geoms = [shape(a.geometry) for a in self.rows]
        for g in self.geoms:
            shapely.prepare(g)
        self.tree = shapely.STRtree(self.geoms)

    def holding_point(self, lon: float, lat: float) -> set[int]:
        point = shapely.Point(lon, lat)
        return {self.rows[i].id for i in self.tree.query(point) if self.geoms[i].intersects(point)}

    def expected(self, asset: Asset) -> set[int]:
        found = self.holding_point(asset.lon, asset.lat)
        if asset.footprint:
            footprint = shapely.make_valid(shape(asset.footprint))
            for i in self.tree.query(footprint):
                area = self.geoms[i]
                if area.contains(footprint) or (
                    area.intersects(footprint)
                    and area.intersection(footprint).area > 0.1 * footprint.area
                ):
                    found.add(self.rows[i].id)
        return found


@pytest.fixture
def stored_links() -> dict[int, set[int]]:
    """{asset id: ids of the areas stored for it}, as the demo import left them."""
    links: dict[int, set[int]] = defaultdict(set)
    for asset_id, area_id in AssetArea.objects.values_list("asset_id", "area_id"):
        links[asset_id].add(area_id)
    return links


def area_ids(asset: Asset) -> set[int]:
    return set(AssetArea.objects.filter(asset=asset).values_list("area_id", flat=True))


def levels_of(asset: Asset) -> Counter:
    return Counter(
        (level, current)
        for level, current in AssetArea.objects.filter(asset=asset).values_list(
            "area__level", "area__is_current"
        )
    )


def ward(code: str) -> Area:
    return Area.objects.get(level=AreaLevel.WARD, gss_code=code)


# -- the demo, as imported ------------------------------------------------------------------------


def test_every_located_demo_asset_is_in_exactly_the_areas_that_hold_it(stored_links):
    areas = Areas()
    located = list(Asset.objects.located())
    assert len(located) > 1000
    wrong = [a.name for a in located if stored_links.get(a.id, set()) != areas.expected(a)]
    assert not wrong, wrong[:10]


def test_a_located_asset_in_trafford_is_in_one_area_of_each_current_level_and_one_locality(
    stored_links,
):
    trafford = shape(Area.objects.get(level=AreaLevel.LOCAL_AUTHORITY).geometry)
    shapely.prepare(trafford)
    levels = dict(Area.objects.values_list("id", "level"))
    current = set(Area.objects.current().values_list("id", flat=True))
    checked = 0
    for asset in Asset.objects.located().filter(footprint__isnull=True):
        if not trafford.contains(shapely.Point(asset.lon, asset.lat)):
            continue
        counts = Counter(levels[a] for a in stored_links[asset.id] if a in current)
        assert counts == {level: 1 for level in [*CURRENT_LEVELS, "neighbourhood"]}, asset.name
        # And one 2011 LSOA, for IMD 2019.
        old = [a for a in stored_links[asset.id] if a not in current]
        assert [levels[a] for a in old] == ["lsoa"], asset.name
        checked += 1
    assert checked > 500


def test_an_asset_outside_trafford_is_in_no_trafford_area():
    asset = Asset(
        name="Manchester Central Library", kind=AssetKind.INSTITUTION, lon=-2.2441, lat=53.4781
    )
    save_asset(asset)
    assert area_ids(asset) == set()


def test_unlocated_assets_have_no_areas(stored_links):
    unlocated = list(Asset.objects.filter(lat__isnull=True).values_list("id", flat=True))
    assert unlocated, "the demo has rows without a location"
    assert not set(unlocated) & set(stored_links)


# -- footprints ---------------------------------------------------------------------------------


def footprint_across(a: Area, b: Area, half_size: float = 0.0008) -> tuple[dict, float, float]:
    """A small square site centred on a point of the boundary between two areas."""
    shared = shape(a.geometry).boundary.intersection(shape(b.geometry).boundary)
    point = shared.interpolate(0.5, normalized=True)
    site = box(point.x - half_size, point.y - half_size, point.x + half_size, point.y + half_size)
    return mapping(site), point.x, point.y


def test_a_site_across_a_ward_boundary_is_in_both_wards():
    old_trafford, gorse_hill = ward(OLD_TRAFFORD), ward(GORSE_HILL)
    footprint, lon, lat = footprint_across(old_trafford, gorse_hill)
    site = shape(footprint)
    for w in (old_trafford, gorse_hill):
        assert shape(w.geometry).intersection(site).area > 0.2 * site.area

    asset = Asset(
        name="Shared playing field", kind=AssetKind.PHYSICAL, lon=lon, lat=lat, footprint=footprint
    )
    save_asset(asset)

    wards = set(
        AssetArea.objects.filter(asset=asset, area__level=AreaLevel.WARD).values_list(
            "area__gss_code", flat=True
        )
    )
    assert wards == {OLD_TRAFFORD, GORSE_HILL}
    assert area_ids(asset) == Areas().expected(asset)


def test_a_site_that_only_grazes_a_boundary_is_in_one_area():
    old_trafford, gorse_hill = ward(OLD_TRAFFORD), ward(GORSE_HILL)
    footprint, *_ = footprint_across(old_trafford, gorse_hill, half_size=0.0008)
    site = shape(footprint)
    # Slide it almost wholly into Old Trafford: 5% or less left in Gorse Hill.
    inside = shape(old_trafford.geometry)
    candidates = [
        shapely.affinity.translate(site, dx, dy)
        for dx in np.linspace(-0.0016, 0.0016, 17)
        for dy in np.linspace(-0.0016, 0.0016, 17)
    ]
    grazing = next(
        s
        for s in candidates
        if 0 < shape(gorse_hill.geometry).intersection(s).area < 0.05 * s.area
        and inside.contains(s.representative_point())
        and inside.intersection(s).area > 0.9 * s.area
    )
    point = grazing.representative_point()
    asset = Asset(
        name="Corner garden",
        kind=AssetKind.PHYSICAL,
        lon=point.x,
        lat=point.y,
        footprint=mapping(grazing),
    )
    save_asset(asset)
    wards = set(
        AssetArea.objects.filter(asset=asset, area__level=AreaLevel.WARD).values_list(
            "area__gss_code", flat=True
        )
    )
    assert wards == {OLD_TRAFFORD}


def test_imported_sites_with_footprints_are_in_every_area_they_substantially_cover(stored_links):
    areas = Areas()
    sites = list(Asset.objects.located().filter(footprint__isnull=False))
    assert sites, "allotments and green spaces come with their footprints"
    wards = set(Area.objects.filter(level=AreaLevel.WARD).values_list("id", flat=True))
    across = [s for s in sites if len(stored_links[s.id] & wards) > 1]
    assert across, "some parks lie across ward boundaries"
    for site in sites:
        assert stored_links.get(site.id, set()) == areas.expected(site), site.name


# -- saving and importing ----------------------------------------------------------------------


def test_moving_an_asset_moves_its_areas():
    asset = Asset.objects.located().filter(footprint__isnull=True).first()
    to = ward(ALTRINCHAM)
    asset.lon, asset.lat = to.point_lon, to.point_lat
    save_asset(asset)
    assert area_ids(asset) == Areas().holding_point(to.point_lon, to.point_lat)
    assert to.id in area_ids(asset)
    assert levels_of(asset)[("neighbourhood", True)] == 1

    frm = ward(OLD_TRAFFORD)
    asset.lon, asset.lat = frm.point_lon, frm.point_lat
    save_asset(asset)
    assert frm.id in area_ids(asset) and to.id not in area_ids(asset)

    asset.lon = asset.lat = None
    save_asset(asset)
    assert area_ids(asset) == set()


def test_a_new_asset_saved_by_a_person_gets_its_areas():
    place = ward(GORSE_HILL)
    asset = Asset(
        name="Gorse Hill knitting circle",
        kind=AssetKind.ASSOCIATION,
        lon=place.point_lon,
        lat=place.point_lat,
    )
    save_asset(asset)
    assert area_ids(asset) == Areas().holding_point(place.point_lon, place.point_lat)
    assert {lvl for lvl, _ in levels_of(asset)} == {*CURRENT_LEVELS, "neighbourhood"}


def test_an_import_assigns_areas_and_a_reimport_with_a_new_place_moves_them():
    dataset = Dataset.objects.create(slug="test-register", name="Test register", licence="OGL")
    here, there = ward(OLD_TRAFFORD), ward(ALTRINCHAM)

    def run(lon: float | None, lat: float | None, postcode: str = "") -> Asset:
        record = AssetRecord(
            source_id="r1",
            name="Test Hall of Residence",
            kind=AssetKind.PHYSICAL,
            lon=lon,
            lat=lat,
            postcode=postcode,
        )
        import_asset_records(
            dataset=dataset, records=[("line 2", record)], report=ImportReport("t", "t")
        )
        return Asset.objects.get(sources__dataset=dataset)

    asset = run(here.point_lon, here.point_lat)
    assert here.id in area_ids(asset)
    asset = run(there.point_lon, there.point_lat)
    assert there.id in area_ids(asset) and here.id not in area_ids(asset)
    assert area_ids(asset) == Areas().holding_point(there.point_lon, there.point_lat)


def test_an_imported_row_with_only_a_postcode_is_placed_at_the_postcode():
    dataset = Dataset.objects.create(slug="test-register", name="Test register", licence="OGL")
    report = ImportReport("t", "t")
    record = AssetRecord(
        source_id="r1", name="Postcode Only Club", kind="association", postcode="M15 4AB"
    )
    import_asset_records(dataset=dataset, records=[("line 2", record)], report=report)
    asset = Asset.objects.get(name="Postcode Only Club")
    assert (asset.lon, asset.lat) == (-2.26046, 53.465578)
    wards = AssetArea.objects.filter(asset=asset, area__level="ward").values_list(
        "area__gss_code", flat=True
    )
    assert list(wards) == [GORSE_HILL]  # as the postcode file says
    unknown = AssetRecord(
        source_id="r2", name="Nowhere Club", kind="association", postcode="M99 9ZZ"
    )
    import_asset_records(dataset=dataset, records=[("line 3", unknown)], report=report)
    assert area_ids(Asset.objects.get(name="Nowhere Club")) == set()
    assert [(w.row, w.reason) for w in report.warnings] == [
        ("line 3", "postcode M99 9ZZ is not known: imported without a location")
    ]


def test_reassign_areas_recomputes_the_same_links(stored_links):
    AssetArea.objects.all().delete()
    out = StringIO()
    call_command("reassign_areas", stdout=out)
    links: dict[int, set[int]] = defaultdict(set)
    for asset_id, area_id in AssetArea.objects.values_list("asset_id", "area_id"):
        links[asset_id].add(area_id)
    assert links == stored_links
    assert f"{sum(len(v) for v in links.values())} asset–area links stored" in out.getvalue()


def test_a_large_import_stores_every_asset_with_its_sources_categories_areas_and_words():
    """Over BULK_TEXT_INDEX_FROM new assets take the bulk path: the words indexed in one
    statement while the other tables' rows are prepared beside it. Everything a small import
    stores is stored, and the search index's insert trigger is back afterwards."""
    from livingmap.assets.selectors import AssetQuery, search_assets
    from livingmap.assets.services import BULK_TEXT_INDEX_FROM

    dataset = Dataset.objects.create(slug="test-register", name="Test register", licence="OGL")
    wards = list(Area.objects.filter(level=AreaLevel.WARD).order_by("gss_code")[:10])
    n = BULK_TEXT_INDEX_FROM + 200
    records = []
    for i in range(n):
        place = wards[i % len(wards)]
        records.append(
            (
                f"line {i + 2}",
                AssetRecord(
                    source_id=f"B{i:05d}",
                    name=f"Bulkfield Club {i}",
                    kind=AssetKind.ASSOCIATION,
                    categories=["community-group", "sports-club"] if i % 2 else ["charity"],
                    description="Quoits on Thursdays" if i == 7 else "",
                    lon=place.point_lon,
                    lat=place.point_lat,
                    extra={"row": i},
                ),
            )
        )
    report = ImportReport("t", "t")
    import_asset_records(dataset=dataset, records=records, report=report)
    assert report.created == n and not report.rejected
    assets = {a.name: a for a in Asset.objects.filter(sources__dataset=dataset)}
    assert len(assets) == n
    areas = Areas()
    for i in (0, 7, n - 1):
        asset = assets[f"Bulkfield Club {i}"]
        place = wards[i % len(wards)]
        assert area_ids(asset) == areas.holding_point(place.point_lon, place.point_lat)
        source = asset.sources.get()
        assert source.source_id == f"B{i:05d}"
        assert source.data == records[i][1].as_source_data()
        assert asset.extra == {"row": i}
        slugs = sorted(asset.categories.values_list("slug", flat=True))
        assert slugs == (["community-group", "sports-club"] if i % 2 else ["charity"])
    seventh = assets["Bulkfield Club 7"]
    found = search_assets(AssetQuery(words="quoits", near=(seventh.lon, seventh.lat), within_m=500))
    assert [h.asset.name for h in found.hits] == ["Bulkfield Club 7"]
    # The trigger is back: an asset saved afterwards is found by its words.
    later = Asset(
        name="Quoits Afterwards", kind=AssetKind.ASSOCIATION, lon=seventh.lon, lat=seventh.lat
    )
    save_asset(later)
    found = search_assets(AssetQuery(words="quoits", near=(seventh.lon, seventh.lat), within_m=500))
    assert {h.asset.name for h in found.hits} == {"Bulkfield Club 7", "Quoits Afterwards"}
    # A second run of the same records changes nothing.
    again = ImportReport("t", "t")
    import_asset_records(dataset=dataset, records=records, report=again)
    assert (again.created, again.updated, again.unchanged) == (0, 0, n)


def test_records_with_one_uprn_take_the_assets_with_it_in_turn():
    """Two assets on record share a UPRN (a building with two uses); a register giving that UPRN
    on two rows joins one row to each, whether its rows come in one load or in parts."""
    place = ward(OLD_TRAFFORD)
    first, second = (
        save_asset(
            Asset(
                name=name,
                kind=AssetKind.PHYSICAL,
                uprn="100012345678",
                lon=place.point_lon,
                lat=place.point_lat,
            )
        )
        for name in ("Old Trafford Hall", "Old Trafford Hall Annexe")
    )
    for parts in ([["a", "b"]], [["a"], ["b"]]):
        dataset = Dataset.objects.create(
            slug=f"test-register-{len(parts)}", name="R", licence="OGL"
        )
        state = LoadInParts()
        report = ImportReport("t", "t")
        for part in parts:
            records = [
                (
                    f"line {i}",
                    AssetRecord(
                        source_id=s, name=f"Building {s}", kind="physical", uprn="100012345678"
                    ),
                )
                for i, s in enumerate(part, start=2)
            ]
            import_asset_records(dataset=dataset, records=records, report=report, parts=state)
        assert (report.created, report.updated) == (0, 2)
        joined = dict(
            AssetSource.objects.filter(dataset=dataset).values_list("source_id", "asset_id")
        )
        assert joined == {"a": first.id, "b": second.id}


def test_an_assets_categories_are_found_by_the_unique_index_without_a_second_one():
    """Migration 0009: the table of assets' categories keeps its unique (asset, category)
    index and the index by category, and has none on the asset alone, which imports would only
    have paid for."""
    from django.db import connection

    table = Asset.categories.through._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
        indexed = {
            (tuple(c["columns"]), bool(c["unique"]))
            for c in constraints.values()
            if (c["index"] or c["unique"]) and not c["primary_key"]
        }
        assert (("asset_id", "category_id"), True) in indexed
        assert (("category_id",), False) in indexed
        assert not any(columns == ("asset_id",) for columns, _ in indexed)
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN SELECT category_id FROM {table} WHERE asset_id = 1")  # noqa: S608 - the model's table
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "USING COVERING INDEX" in plan and "asset_id_category_id" in plan, plan
