"""Neighbourhoods residents recognise: imported, drawn, built from wards; and their assets kept
right when a boundary changes."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import box, mapping, shape

from livingmap.areas.importers.boundaries import BoundaryImporter
from livingmap.areas.models import Area, AreaComponent, AreaLevel
from livingmap.areas.services import MIN_COMPONENT_SHARE, build_neighbourhood
from livingmap.assets.models import Asset, AssetArea

pytestmark = pytest.mark.django_db

OLD_TRAFFORD = "E05015253"
GORSE_HILL = "E05015247"


def expected_assets(geom: shapely.Geometry) -> set[int]:
    """Assets a geometry holds, worked out here from first principles: the asset's point lies in
    or on it, or more than a tenth of the asset's footprint does."""
    shapely.prepare(geom)
    found = set()
    for asset in Asset.objects.located().only("id", "lon", "lat", "footprint"):
        if geom.intersects(shapely.Point(asset.lon, asset.lat)):
            found.add(asset.id)
        elif asset.footprint:
            footprint = shapely.make_valid(shape(asset.footprint))
            if footprint.intersection(geom).area > 0.1 * footprint.area:
                found.add(asset.id)
    return found


def linked_assets(area: Area) -> set[int]:
    return set(AssetArea.objects.filter(area=area).values_list("asset_id", flat=True))


def without_footprints(ids: set[int]) -> set[int]:
    """Of these assets, those placed by a point alone (no footprint polygon)."""
    return set(
        Asset.objects.filter(id__in=ids, footprint__isnull=True).values_list("id", flat=True)
    )


def upload(path: Path, shapes: dict[str, shapely.Geometry], **options) -> BoundaryImporter:
    rows = [
        {"type": "Feature", "properties": {"name": name}, "geometry": mapping(geom)}
        for name, geom in shapes.items()
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": rows}))
    return BoundaryImporter(
        path,
        level=AreaLevel.NEIGHBOURHOOD,
        vintage=2025,
        name_property="name",
        origin=Area.Origin.DRAWN,
        **options,
    )


def trafford() -> shapely.Geometry:
    return shape(Area.objects.get(level=AreaLevel.LOCAL_AUTHORITY).geometry)


# Part of Stretford and Old Trafford; and, well away from it, part of Sale.
STRETFORD_BOX = box(-2.33, 53.44, -2.29, 53.465)
SALE_BOX = box(-2.34, 53.415, -2.31, 53.43)


# -- the imported localities -------------------------------------------------------------------


def test_each_locality_holds_exactly_the_assets_inside_it():
    for hood in Area.objects.neighbourhoods():
        assert linked_assets(hood) == expected_assets(shape(hood.geometry)), hood.name


def test_each_located_asset_in_trafford_is_in_one_locality():
    inside = expected_assets(trafford())
    hoods = Area.objects.neighbourhoods()
    counts: dict[int, int] = {}
    for link in AssetArea.objects.filter(area__in=hoods, asset__footprint__isnull=True):
        counts[link.asset_id] = counts.get(link.asset_id, 0) + 1
    point_assets = set(
        Asset.objects.filter(id__in=inside, footprint__isnull=True).values_list("id", flat=True)
    )
    assert set(counts) == point_assets
    assert set(counts.values()) == {1}


def test_locality_components_are_the_statutory_areas_they_overlap():
    for hood in Area.objects.neighbourhoods():
        geom = shape(hood.geometry)
        stored = {
            c.component_id: c.share
            for c in AreaComponent.objects.filter(neighbourhood=hood, component__level="lsoa")
        }
        expected = {}
        for lsoa in Area.objects.filter(level=AreaLevel.LSOA):
            g = shape(lsoa.geometry)
            share = g.intersection(geom).area / g.area
            if share >= MIN_COMPONENT_SHARE:
                expected[lsoa.id] = share
        assert set(stored) == set(expected), hood.name
        for area_id, share in expected.items():
            assert stored[area_id] == pytest.approx(share, abs=1e-9)


def test_every_2021_lsoa_is_shared_out_among_the_localities():
    totals: dict[int, float] = {}
    for c in AreaComponent.objects.filter(component__level="lsoa", component__vintage=2021):
        totals[c.component_id] = totals.get(c.component_id, 0) + c.share
    assert len(totals) == Area.objects.filter(level="lsoa", vintage=2021).count()
    # Generalised boundaries do not quite meet; slivers under 2% are dropped.
    assert all(0.95 <= t <= 1.0 + 1e-9 for t in totals.values())


# -- drawn neighbourhoods --------------------------------------------------------------------


def test_a_drawn_neighbourhood_gets_the_assets_inside_it(tmp_path):
    expected = expected_assets(STRETFORD_BOX)
    assert len(without_footprints(expected)) >= 5, "the test box should hold some assets"
    report = upload(tmp_path / "drawn.geojson", {"Stretford Mall area": STRETFORD_BOX}).run(
        commit=True
    )
    assert report.created == 1
    hood = Area.objects.get(slug="stretford-mall-area")
    assert hood.level == AreaLevel.NEIGHBOURHOOD and hood.origin == Area.Origin.DRAWN
    assert hood.vintage == 2025
    linked = linked_assets(hood)
    assert without_footprints(linked) == without_footprints(expected)
    # Sites with a footprint whose point is inside are in too.
    inside = {
        a.id
        for a in Asset.objects.filter(id__in=expected, footprint__isnull=False)
        if STRETFORD_BOX.intersects(shapely.Point(a.lon, a.lat))
    }
    assert inside <= linked <= expected
    assert AreaComponent.objects.filter(neighbourhood=hood, component__level="lsoa").exists()
    # The localities keep their own assets.
    for locality in Area.objects.neighbourhoods().exclude(pk=hood.pk):
        assert linked_assets(locality) == expected_assets(shape(locality.geometry))


def test_a_drawn_neighbourhood_gets_the_sites_whose_footprint_reaches_into_it(tmp_path):
    expected = expected_assets(STRETFORD_BOX)
    reaching_in = {
        a.id
        for a in Asset.objects.filter(id__in=expected, footprint__isnull=False)
        if not STRETFORD_BOX.intersects(shapely.Point(a.lon, a.lat))
    }
    assert reaching_in, "parks on the box's edge reach into it"
    upload(tmp_path / "drawn.geojson", {"Stretford Mall area": STRETFORD_BOX}).run(commit=True)
    assert linked_assets(Area.objects.get(slug="stretford-mall-area")) == expected


def test_a_dry_run_upload_leaves_no_neighbourhood_and_no_links(tmp_path):
    links = AssetArea.objects.count()
    report = upload(tmp_path / "drawn.geojson", {"Stretford Mall area": STRETFORD_BOX}).run()
    assert report.created == 1
    assert not Area.objects.filter(slug="stretford-mall-area").exists()
    assert AssetArea.objects.count() == links


def test_a_drawn_neighbourhood_made_bigger_gains_the_assets_now_inside(tmp_path):
    upload(tmp_path / "a.geojson", {"Our patch": STRETFORD_BOX}).run(commit=True)
    hood = Area.objects.get(slug="our-patch")
    before = linked_assets(hood)

    bigger = box(-2.35, 53.43, -2.27, 53.47)
    report = upload(tmp_path / "b.geojson", {"Our patch": bigger}).run(commit=True)

    assert (report.created, report.updated) == (0, 1)
    after = linked_assets(hood)
    assert without_footprints(after) == without_footprints(expected_assets(bigger))
    assert before < after


def test_a_changed_drawn_neighbourhood_recomputes_its_assets(tmp_path):
    upload(tmp_path / "a.geojson", {"Our patch": STRETFORD_BOX}).run(commit=True)
    hood = Area.objects.get(slug="our-patch")
    before = linked_assets(hood)

    # Redrawn: half the size, in the same place.
    smaller = box(-2.33, 53.44, -2.31, 53.4525)
    report = upload(tmp_path / "b.geojson", {"Our patch": smaller}).run(commit=True)
    assert (report.created, report.updated) == (0, 1)
    after = linked_assets(hood)
    assert without_footprints(after) == without_footprints(expected_assets(smaller))
    assert after < before


def test_a_neighbourhood_moved_elsewhere_loses_the_assets_it_no_longer_holds(tmp_path):
    upload(tmp_path / "a.geojson", {"Our patch": STRETFORD_BOX}).run(commit=True)
    hood = Area.objects.get(slug="our-patch")
    assert without_footprints(linked_assets(hood)) == without_footprints(
        expected_assets(STRETFORD_BOX)
    )

    # Redrawn somewhere else entirely: none of its old assets are inside, nor near.
    upload(tmp_path / "b.geojson", {"Our patch": SALE_BOX}).run(commit=True)

    assert without_footprints(linked_assets(hood)) == without_footprints(expected_assets(SALE_BOX))


def _shrink_central(tmp_path: Path, data_dir: Path) -> tuple[Path, shapely.Geometry]:
    data = json.loads((data_dir / "trafford-geography/localities_2023.geojson").read_text())
    central = next(f for f in data["features"] if f["properties"]["area_name"] == "Central")
    old = shape(central["geometry"])
    # Central shrinks to its southern half.
    min_lon, min_lat, max_lon, max_lat = old.bounds
    new = old.intersection(box(min_lon, min_lat, max_lon, (min_lat + max_lat) / 2))
    central["geometry"] = mapping(new)
    path = tmp_path / "localities.geojson"
    path.write_text(json.dumps(data))
    return path, new


def test_a_changed_locality_boundary_is_stored_with_its_components(tmp_path, data_dir):
    path, new = _shrink_central(tmp_path, data_dir)

    report = BoundaryImporter(path, level=AreaLevel.NEIGHBOURHOOD, vintage=2023).run(commit=True)

    assert (report.updated, report.unchanged) == (1, 3)
    hood = Area.objects.get(level=AreaLevel.NEIGHBOURHOOD, name="Central")
    assert hood.origin == Area.Origin.IMPORTED
    assert shape(hood.geometry).symmetric_difference(new).area < 1e-12
    components = AreaComponent.objects.filter(neighbourhood=hood, component__level="lsoa")
    assert components.exists()
    for c in components:
        g = shape(c.component.geometry)
        assert c.share == pytest.approx(g.intersection(new).area / g.area, abs=1e-9)
    # Assets inside the new boundary are (still) in it.
    inside = without_footprints(expected_assets(new))
    assert inside and inside <= linked_assets(hood)


def test_a_changed_locality_boundary_recomputes_its_assets(tmp_path, data_dir):
    path, new = _shrink_central(tmp_path, data_dir)
    BoundaryImporter(path, level=AreaLevel.NEIGHBOURHOOD, vintage=2023).run(commit=True)
    hood = Area.objects.get(level=AreaLevel.NEIGHBOURHOOD, name="Central")
    assert without_footprints(linked_assets(hood)) == without_footprints(expected_assets(new))


def test_a_renamed_upload_is_a_second_neighbourhood_and_they_may_overlap(tmp_path):
    upload(tmp_path / "a.geojson", {"Our patch": STRETFORD_BOX}).run(commit=True)
    upload(tmp_path / "b.geojson", {"Their patch": STRETFORD_BOX}).run(commit=True)
    ours, theirs = Area.objects.get(slug="our-patch"), Area.objects.get(slug="their-patch")
    assert linked_assets(ours) == linked_assets(theirs)
    assert without_footprints(linked_assets(ours)) == without_footprints(
        expected_assets(STRETFORD_BOX)
    )


def test_re_uploading_the_same_drawing_changes_nothing(tmp_path):
    upload(tmp_path / "a.geojson", {"Our patch": STRETFORD_BOX}).run(commit=True)
    report = upload(tmp_path / "a.geojson", {"Our patch": STRETFORD_BOX}).run(commit=True)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


def test_the_import_boundaries_command_can_upload_a_drawn_neighbourhood(tmp_path):
    path = tmp_path / "drawn.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Our patch", "about": "Where we walk the dog"},
                        "geometry": mapping(STRETFORD_BOX),
                    }
                ],
            }
        )
    )
    out = StringIO()
    call_command(
        "import_boundaries",
        str(path),
        "--level=neighbourhood",
        "--vintage=2025",
        "--name-property=name",
        "--description-property=about",
        "--drawn",
        "--commit",
        stdout=out,
    )
    assert "COMMITTED" in out.getvalue()
    hood = Area.objects.get(slug="our-patch")
    assert hood.origin == Area.Origin.DRAWN
    assert hood.description == "Where we walk the dog"
    assert without_footprints(linked_assets(hood)) == without_footprints(
        expected_assets(STRETFORD_BOX)
    )


# -- built from wards ------------------------------------------------------------------------


def test_a_neighbourhood_built_from_two_wards_has_their_assets_and_components():
    wards = list(Area.objects.filter(level=AreaLevel.WARD, gss_code__in=[OLD_TRAFFORD, GORSE_HILL]))
    assert len(wards) == 2

    hood, outcome = build_neighbourhood(name="Old Trafford and Gorse Hill", components=wards)

    assert outcome == "created"
    assert hood.origin == Area.Origin.BUILT and hood.slug == "old-trafford-and-gorse-hill"
    union = shapely.union_all([shape(w.geometry) for w in wards])
    assert shape(hood.geometry).symmetric_difference(union).area < 1e-9
    assert hood.land_area_m2 == pytest.approx(sum(w.land_area_m2 for w in wards), rel=1e-3)

    in_wards = linked_assets(wards[0]) | linked_assets(wards[1])
    assert in_wards, "the two wards hold assets"
    point_assets = set(
        Asset.objects.filter(footprint__isnull=True, id__in=in_wards).values_list("id", flat=True)
    )
    assert point_assets <= linked_assets(hood)
    assert without_footprints(linked_assets(hood)) == without_footprints(expected_assets(union))

    ward_shares = dict(
        AreaComponent.objects.filter(neighbourhood=hood, component__level="ward").values_list(
            "component__gss_code", "share"
        )
    )
    assert set(ward_shares) == {OLD_TRAFFORD, GORSE_HILL}
    assert all(s == pytest.approx(1.0) for s in ward_shares.values())
    # The 2021 LSOAs wholly inside the two wards are wholly inside the neighbourhood.
    whole = {
        a.gss_code
        for a in Area.objects.filter(level="lsoa", vintage=2021)
        if shape(a.geometry).intersection(union).area / shape(a.geometry).area > 0.99
    }
    stored = set(
        AreaComponent.objects.filter(
            neighbourhood=hood, component__level="lsoa", component__vintage=2021, share__gt=0.99
        ).values_list("component__gss_code", flat=True)
    )
    assert whole and stored == whole


def test_building_the_same_neighbourhood_again_changes_nothing():
    wards = list(Area.objects.filter(level=AreaLevel.WARD, gss_code__in=[OLD_TRAFFORD, GORSE_HILL]))
    hood, _ = build_neighbourhood(name="Old Trafford and Gorse Hill", components=wards)
    again, outcome = build_neighbourhood(name="Old Trafford and Gorse Hill", components=wards)
    assert outcome == "unchanged" and again.pk == hood.pk
    assert Area.objects.filter(slug__startswith="old-trafford-and-gorse-hill").count() == 1


def test_a_neighbourhood_needs_at_least_one_area():
    with pytest.raises(ValueError, match="at least one area"):
        build_neighbourhood(name="Nowhere", components=[])


def test_the_build_neighbourhood_command(capsys):
    out = StringIO()
    call_command(
        "build_neighbourhood",
        "Old Trafford and Gorse Hill",
        OLD_TRAFFORD,
        GORSE_HILL,
        "--description",
        "Two wards by the football ground",
        stdout=out,
    )
    assert "Old Trafford and Gorse Hill: created from 2 areas" in out.getvalue()
    hood = Area.objects.get(slug="old-trafford-and-gorse-hill")
    assert hood.description == "Two wards by the football ground"
    with pytest.raises(CommandError, match="E05999999"):
        call_command("build_neighbourhood", "Nowhere", OLD_TRAFFORD, "E05999999", stdout=out)
    assert not Area.objects.filter(slug="nowhere").exists()
