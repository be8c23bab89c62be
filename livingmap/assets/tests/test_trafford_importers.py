"""Every Trafford asset layer on its real file: counts, ids, kinds, areas, de-duplication,
unlocated and rejected rows, idempotence, dry runs and failed imports.

Expected numbers are worked out here from the files themselves (and the postcode table), not
typed in, so that a changed file or a changed importer shows up as a difference to explain.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from shapely.geometry import Point

from livingmap.areas.models import Area, AreaLevel, Postcode
from livingmap.assets import services
from livingmap.assets.demo import demo_layers
from livingmap.assets.importers import REGISTRY
from livingmap.assets.importers.base import AssetImporter
from livingmap.assets.importers.trafford import (
    GREEN_SPACE_TYPES,
    land_register_uses,
    ordinary_case,
    source_key,
    weekly_hours,
)
from livingmap.assets.models import Asset, AssetArea, AssetKind, AssetSource, LegalForm
from livingmap.assets.selectors import AssetQuery, search_assets
from livingmap.core.geo import UK_BOUNDS
from livingmap.core.models import ImportEvent
from livingmap.core.text import clean_postcode, null_if_blank

pytestmark = pytest.mark.django_db

#: The registered layers the demo's manifest (data/areas/trafford/area.toml) loads, in order.
DEMO_LAYERS = demo_layers()


# -- what each layer's file says -------------------------------------------------------------------


def read_source(cls: type[AssetImporter], path: Path | None = None) -> list[dict[str, Any]]:
    """The rows of a layer's file as plain dicts (GeoJSON: properties plus `geometry`)."""
    path = path or Path(settings.LIVINGMAP_DATA_DIR) / cls.default_path
    if cls.source_format == "geojson":
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
        return [{**f["properties"], "geometry": f.get("geometry")} for f in features]
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def blank(value: Any) -> bool:
    return not null_if_blank(value)


def in_uk(lon: str, lat: str) -> bool:
    min_lon, min_lat, max_lon, max_lat = UK_BOUNDS
    return min_lon <= float(lon) <= max_lon and min_lat <= float(lat) <= max_lat


@dataclass
class Layer:
    """What the tests expect of a layer, in the file's own terms."""

    kind: str
    categories: set[str]
    #: The row's name column (rows with it blank are refused).
    name: str
    #: Coordinates columns (None: GeoJSON geometry, or none at all when `postcode_only`).
    lon: str | None = None
    lat: str | None = None
    postcode: str | None = None
    postcode_only: bool = False
    #: The source id a row should get; None when the layer's ids are not per row.
    source_id: Callable[[dict[str, Any]], str] | None = None
    legal_form: str | None = None
    #: The web address column, where a value may be one that cannot be used (a warning).
    website: str | None = None


def key_of(name_col: str, postcode_col: str) -> Callable[[dict[str, Any]], str]:
    return lambda r: source_key(
        " ".join(r[name_col].split()), clean_postcode(r[postcode_col]) or r[postcode_col].strip()
    )


LAYERS: dict[str, Layer] = {
    "trafford-council-libraries": Layer(
        AssetKind.INSTITUTION, {"library"}, "name", source_id=lambda r: r["name"].lower()
    ),
    "trafford-libraries": Layer(
        AssetKind.INSTITUTION,
        {"library"},
        "name",
        "lon",
        "lat",
        "postcode",
        source_id=lambda r: r["name"].lower(),
    ),
    "trafford-community-hubs": Layer(
        AssetKind.INSTITUTION,
        {"community-hub"},
        "community_hub",
        "lon",
        "lat",
        "postcode",
        source_id=lambda r: source_key(r["community_hub"]),
    ),
    "trafford-leisure-centres": Layer(
        AssetKind.INSTITUTION,
        {"leisure-centre"},
        "name",
        "lon",
        "lat",
        "postcode",
        source_id=key_of("name", "postcode"),
    ),
    "trafford-childrens-centres": Layer(
        AssetKind.INSTITUTION,
        {"childrens-centre"},
        "name",
        "lon",
        "lat",
        "postcode",
        source_id=lambda r: r["unique_reference_number"],
        legal_form=LegalForm.PUBLIC_BODY,
    ),
    "trafford-schools": Layer(
        AssetKind.INSTITUTION,
        {"school"},
        "name",
        "lon",
        "lat",
        "postcode",
        source_id=lambda r: r["unique_reference_number"],
    ),
    "trafford-gp-practices": Layer(
        AssetKind.INSTITUTION,
        {"health", "gp-practice"},
        "name",
        "lon",
        "lat",
        "postcode",
        source_id=key_of("name", "postcode"),
    ),
    "trafford-pharmacies": Layer(
        AssetKind.INSTITUTION,
        {"health", "pharmacy"},
        "pharmacy_name",
        postcode="postcode",
        postcode_only=True,
        source_id=lambda r: r["organisation_data_service_code"],
    ),
    "trafford-jobcentres": Layer(
        AssetKind.INSTITUTION,
        {"advice"},
        "name",
        "lon",
        "lat",
        "postcode",
        source_id=lambda r: source_key(r["name"]),
        legal_form=LegalForm.PUBLIC_BODY,
    ),
    "trafford-post-offices": Layer(
        AssetKind.INSTITUTION, {"post-office"}, "ID", source_id=lambda r: r["ID"]
    ),
    "trafford-allotments": Layer(
        AssetKind.PHYSICAL, {"allotment"}, "name", source_id=lambda r: f"osm:{r['osm_id']}"
    ),
    "trafford-places-of-worship": Layer(
        AssetKind.PHYSICAL, {"place-of-worship"}, "DISTNAME", source_id=lambda r: r["ID"]
    ),
    "trafford-green-spaces": Layer(AssetKind.PHYSICAL, set(), "site_type"),
    "trafford-sport-facilities": Layer(
        AssetKind.PHYSICAL, {"sports-facility"}, "site_name", "lon", "lat", "postcode"
    ),
    "trafford-land-and-buildings": Layer(
        AssetKind.PHYSICAL,
        set(),
        "PropertyName",
        "GeoX",
        "GeoY",
        "PostCode",
        source_id=lambda r: r["AssetCode"],
        legal_form=LegalForm.PUBLIC_BODY,
    ),
    "trafford-charities": Layer(
        AssetKind.ASSOCIATION,
        {"charity"},
        "charity_name",
        postcode="charity_contact_postcode",
        postcode_only=True,
        source_id=lambda r: r["registered_charity_number"],
        legal_form=LegalForm.CHARITY,
        website="charity_contact_web",
    ),
    "trafford-sports-clubs": Layer(
        AssetKind.ASSOCIATION,
        {"sports-club"},
        "name",
        postcode="postcode",
        postcode_only=True,
        source_id=key_of("name", "postcode"),
    ),
    "trafford-food-banks": Layer(
        AssetKind.ASSOCIATION,
        {"food-bank"},
        "Name",
        postcode="Postcode",
        postcode_only=True,
        source_id=key_of("Name", "Postcode"),
    ),
    "trafford-mental-health-services": Layer(
        AssetKind.INSTITUTION,
        {"mental-health"},
        "name",
        postcode="postcode",
        postcode_only=True,
        source_id=key_of("name", "postcode"),
    ),
}


def test_every_built_in_layer_is_described_here_and_loaded_by_the_demo():
    built_in = {name for name, cls in REGISTRY.items() if cls.default_path}
    assert set(LAYERS) == built_in
    assert set(DEMO_LAYERS) == built_in


@dataclass
class Expected:
    read: int
    rejected: int
    warnings: int


def expected_from_file(name: str) -> Expected:
    """Rows, refusals and unlocated rows, worked out from the file and the postcode table."""
    cls, layer = REGISTRY[name], LAYERS[name]
    rows = read_source(cls)
    if name == "trafford-sport-facilities":  # one asset per site, not per facility row
        first: dict[str, dict[str, Any]] = {}
        for row in rows:
            first.setdefault(row["site_id"], row)
        rows = list(first.values())
    known = set(Postcode.objects.filter(lat__isnull=False).values_list("postcode", flat=True))
    rejected = warnings = 0
    for row in rows:
        if blank(row.get(layer.name)):
            rejected += 1
            continue
        if layer.lon and not blank(row[layer.lon]) and not in_uk(row[layer.lon], row[layer.lat]):
            rejected += 1
            continue
        has_point = cls.source_format == "geojson" or (
            layer.lon is not None and not blank(row[layer.lon])
        )
        if not has_point and clean_postcode(row.get(layer.postcode) or "") not in known:
            warnings += 1
        if layer.website and not usable_web_address(row[layer.website]):
            warnings += 1
    return Expected(len(rows), rejected, warnings)


def usable_web_address(value: str) -> bool:
    """Whether a register's web address can be used (blank counts as usable: nothing to say),
    judged by the standard library's URL parser rather than the importer's own cleaner."""
    text = null_if_blank(value)
    if not text:
        return True
    if "://" not in text:
        text = "https://" + text.lstrip("/")
    parts = urlsplit(text)
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and bool(
        re.fullmatch(r"(?:[a-z0-9_-]+\.)+[a-z]{2,63}\.?", host)
    )


def clear_layer(name: str) -> None:
    """Take a layer out of the demo database: its sources, and the assets only it brought."""
    sources = AssetSource.objects.filter(dataset__slug=REGISTRY[name].dataset.slug)
    asset_ids = list(sources.values_list("asset_id", flat=True))
    sources.delete()
    Asset.objects.filter(id__in=asset_ids, sources__isnull=True).delete()


def counts() -> tuple[int, int, int]:
    return Asset.objects.count(), AssetSource.objects.count(), AssetArea.objects.count()


# -- each layer from scratch, then again ----------------------------------------------------------


@pytest.mark.parametrize("name", DEMO_LAYERS)
def test_each_layer_imports_its_file_from_scratch_and_a_second_run_changes_nothing(name):
    expected = expected_from_file(name)
    clear_layer(name)
    report = REGISTRY[name]().run(commit=True)
    assert not report.error
    assert (report.read, len(report.rejected), len(report.warnings)) == (
        expected.read,
        expected.rejected,
        expected.warnings,
    ), [p.as_dict() for p in report.rejected + report.warnings][:5]
    kept = expected.read - expected.rejected
    # Each kept row is a new asset, or joins an asset another layer brought (de-duplication).
    assert report.created + report.updated == kept
    assert report.skipped == report.unchanged == 0
    slug = REGISTRY[name].dataset.slug
    assert AssetSource.objects.filter(dataset__slug=slug).count() == kept

    before = counts()
    again = REGISTRY[name]().run(commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, kept)
    assert counts() == before


def test_sources_keep_the_fields_a_record_gave_and_older_full_records_still_count_unchanged():
    name = "trafford-libraries"
    slug = REGISTRY[name].dataset.slug
    sources = AssetSource.objects.filter(dataset__slug=slug)
    kept = sources.count()
    for source in sources:
        assert "" not in source.data.values() and None not in source.data.values()
        assert source.data["name"] and source.data["kind"]
    # Records stored before blank fields were left out (every field, blanks and all) are the
    # same records: a run of the same file leaves them unchanged.
    blank = {field: "" for field in services.RECORD_FIELDS} | {"lon": None, "lat": None}
    for source in sources:
        source.data = {**blank, "footprint": None, "categories": [], "extra": {}, **source.data}
        source.save(update_fields=["data"])
    again = REGISTRY[name]().run(commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, kept)


@pytest.mark.parametrize("name", DEMO_LAYERS)
def test_each_layer_gives_its_ids_kind_and_categories(name):
    cls, layer = REGISTRY[name], LAYERS[name]
    records = list(
        AssetSource.objects.filter(dataset__slug=cls.dataset.slug).values_list("source_id", "data")
    )
    assert records
    for _, data in records:
        assert data["kind"] == layer.kind
        assert layer.categories <= set(data["categories"])
        if layer.legal_form is not None:
            assert data["legal_form"] == layer.legal_form
    ids = {source_id for source_id, _ in records}
    if layer.source_id is not None:
        rows = read_source(cls)
        from_file = {layer.source_id(r) for r in rows if not blank(r.get(layer.name))}
        if layer.lon:  # rows refused for their coordinates have no source
            refused = {
                layer.source_id(r)
                for r in rows
                if not blank(r[layer.lon]) and not in_uk(r[layer.lon], r[layer.lat])
            }
            from_file -= refused
        assert ids == from_file


def test_sport_england_rows_become_one_asset_per_site_with_its_facilities():
    rows = read_source(REGISTRY["trafford-sport-facilities"])
    by_site = Counter(r["site_id"] for r in rows)
    sources = {
        s.source_id: s.data
        for s in AssetSource.objects.filter(dataset__slug="sport-england-facilities-trafford")
    }
    assert set(sources) == set(by_site)
    for site_id, number in by_site.items():
        assert len(sources[site_id]["extra"]["facilities"]) == number
    site, number = by_site.most_common(1)[0]
    types = {r["facility_type"].lower() for r in rows if r["site_id"] == site}
    assert all(t in sources[site]["description"].lower() for t in types)


def test_green_space_site_types_become_categories_and_unnamed_sites_are_named_by_type():
    features = read_source(REGISTRY["trafford-green-spaces"])
    sources = list(
        AssetSource.objects.filter(dataset__slug="os-open-greenspace-trafford").values_list(
            "data", flat=True
        )
    )
    assert len(sources) == len(features)
    by_type = Counter(f["site_type"] for f in features)
    assert Counter(d["extra"]["site_type"] for d in sources) == by_type
    for data in sources:
        categories, _, _ = GREEN_SPACE_TYPES[data["extra"]["site_type"].lower()]
        assert data["categories"] == sorted(categories)
    # A site with no name in OS Open Greenspace is named by its type, or after the same site in
    # another data set (the council's allotments); its ward is in the description.
    unnamed_in_file = sum(1 for f in features if blank(f["site_name"]))
    by_type_name = [
        d for d in sources if d["name"] == GREEN_SPACE_TYPES[d["extra"]["site_type"].lower()][1]
    ]
    named_after = [d for d in sources if d["extra"].get("named_after")]
    assert len(by_type_name) + len(named_after) == unnamed_in_file
    assert all(
        " ward. OS Open Greenspace gives it no name." in d["description"] for d in by_type_name
    )
    assert {d["extra"]["site_type"] for d in named_after} == {
        "Allotments Or Community Growing Spaces"
    }


# -- areas ---------------------------------------------------------------------------------------


def test_assets_placed_by_postcode_lie_in_that_postcodes_ward_and_locality(data_dir):
    with (data_dir / "trafford-geography/postcodes.csv").open(newline="") as handle:
        lookup = {
            clean_postcode(r["postcode"]): (r["ward_code"], r["locality"])
            for r in csv.DictReader(handle)
        }
    # Sports clubs give only a postcode: those that are a new asset stand on its point.
    only_clubs = Asset.objects.filter(sources__dataset__slug="trafford-sports-clubs").exclude(
        sources__dataset__slug__in=[
            REGISTRY[n].dataset.slug for n in DEMO_LAYERS if n != "trafford-sports-clubs"
        ]
    )
    checked = 0
    for asset in only_clubs.filter(lat__isnull=False).prefetch_related("area_links__area"):
        areas = [link.area for link in asset.area_links.all()]
        wards = {a.gss_code for a in areas if a.level == AreaLevel.WARD and a.is_current}
        hoods = {a.name for a in areas if a.level == AreaLevel.NEIGHBOURHOOD}
        ward_code, locality = lookup[asset.postcode]
        assert wards == {ward_code}, asset
        assert hoods == {locality}, asset
        checked += 1
    assert checked > 50


def test_green_spaces_are_in_the_wards_their_footprints_overlap():
    from livingmap.core.geo import geometry_from_geojson

    wards = {
        a.id: geometry_from_geojson(a.geometry)
        for a in Area.objects.filter(level=AreaLevel.WARD, is_current=True)
    }
    sites = Asset.objects.filter(
        sources__dataset__slug="os-open-greenspace-trafford", footprint__isnull=False
    ).prefetch_related("area_links")
    crossing = 0
    for site in sites:
        footprint = geometry_from_geojson(site.footprint)
        linked = {link.area_id for link in site.area_links.all()} & set(wards)
        point_ward = {i for i, g in wards.items() if g.contains(Point(site.lon, site.lat))}
        assert point_ward <= linked, site  # the ward its point is in, always
        for ward_id in linked:
            assert footprint.intersection(wards[ward_id]).area > 0, site
        crossing += len(linked) > 1
    assert crossing > 0  # some sites (big parks, golf courses) cross a ward boundary


# -- de-duplication across layers -----------------------------------------------------------------


def datasets_of(asset: Asset) -> set[str]:
    return set(asset.sources.values_list("dataset__slug", flat=True))


def test_the_same_leisure_centre_in_four_data_sets_is_one_service_with_four_sources():
    centres = Asset.objects.filter(name="Sale Leisure Centre")
    assert centres.count() == 1
    centre = centres.get()
    assert datasets_of(centre) == {
        "trafford-council-leisure-centres",
        "sport-england-facilities-trafford",
        "os-open-greenspace-trafford",
        "trafford-council-land-and-buildings",
    }
    assert centre.kind == AssetKind.INSTITUTION  # the leisure centres layer loads first
    slugs = set(centre.categories.values_list("slug", flat=True))
    assert {"leisure-centre", "sports-facility", "council-building"} <= slugs


def test_every_leisure_centre_is_found_again_in_sport_englands_list():
    centres = Asset.objects.filter(sources__dataset__slug="trafford-council-leisure-centres")
    in_both = centres.filter(sources__dataset__slug="sport-england-facilities-trafford")
    assert centres.count() == len(read_source(REGISTRY["trafford-leisure-centres"]))
    assert in_both.count() == centres.count()


def test_an_allotment_site_in_three_files_is_one_asset_named_as_the_council_names_it():
    site = Asset.objects.get(
        sources__dataset__slug="trafford-council-allotments", sources__source_id="osm:275299908"
    )
    assert site.name == "Eaton Road Allotments"
    assert datasets_of(site) == {
        "trafford-council-allotments",
        "os-open-greenspace-trafford",
        "trafford-council-land-and-buildings",
    }
    assert site.footprint is not None
    # Nearly every council allotment site is found again in OS Open Greenspace.
    council = Asset.objects.filter(sources__dataset__slug="trafford-council-allotments")
    both = council.filter(sources__dataset__slug="os-open-greenspace-trafford")
    assert both.count() >= 0.8 * council.count()


def test_a_charity_that_runs_a_mental_health_service_is_one_asset_with_its_charity_number():
    rows = read_source(REGISTRY["trafford-charities"])
    number = next(
        r["registered_charity_number"]
        for r in rows
        if r["charity_name"] == "TRAFFORD CARERS CENTRE"
    )
    asset = Asset.objects.get(charity_number=number)
    assert datasets_of(asset) == {
        "charity-commission-trafford",
        "trafford-mental-health-services",
    }
    assert asset.kind == AssetKind.ASSOCIATION
    assert asset.legal_form == LegalForm.CHARITY


def test_different_things_with_the_same_name_stay_apart():
    # Two registered charities of one name (an old one and its successor): two assets.
    rows = read_source(REGISTRY["trafford-charities"])
    numbers = [
        r["registered_charity_number"]
        for r in rows
        if r["charity_name"] == "URMSTON MUSICAL THEATRE"
    ]
    assert len(numbers) == 2
    assert Asset.objects.filter(charity_number__in=numbers).count() == 2
    # Two schools of one name in different towns.
    assert (
        Asset.objects.filter(
            sources__dataset__slug="dfe-schools-trafford", name="St Mary's CofE Primary School"
        ).count()
        == 2
    )
    # Six Boots pharmacies are six assets; six Trussell Trust food banks are six.
    assert (
        Asset.objects.filter(
            sources__dataset__slug="nhsbsa-pharmacies-trafford", name="Boots"
        ).count()
        == 6
    )
    food_banks = Asset.objects.filter(
        sources__dataset__slug="gm-poverty-action-food-banks-trafford"
    )
    assert food_banks.filter(name__startswith="Trussell Trust food bank").count() == 6
    # A food bank that meets in a church is not merged into the church.
    churches = Asset.objects.filter(
        sources__dataset__slug="os-places-of-worship-trafford",
        name="Timperley Methodist Church",
    )
    assert churches.exists()
    for church in churches:
        assert "gm-poverty-action-food-banks-trafford" not in datasets_of(church)


def test_the_councils_vacant_library_site_is_not_merged_into_the_library():
    land = REGISTRY["trafford-land-and-buildings"].dataset.slug
    site = Asset.objects.get(sources__dataset__slug=land, sources__source_id="TMBC0102")
    assert site.name == "Hale Library Site"
    assert "Vacant" in site.tenure_detail
    library = Asset.objects.filter(name="Hale Library", categories__slug="library").get()
    assert library.pk != site.pk
    assert land not in datasets_of(library)
    assert "Vacant" not in library.tenure_detail


def test_a_land_register_property_is_given_the_use_it_has_not_one_it_had_or_stands_beside():
    land = REGISTRY["trafford-land-and-buildings"].dataset.slug
    register = Asset.objects.filter(sources__dataset__slug=land)

    def categories(name: str) -> set[str]:
        return set(register.get(name=name).categories.values_list("slug", flat=True))

    # Former or vacant: no longer what the name says.
    assert categories("Former Lostock Library") == {"council-building"}
    assert categories("Scouts - Former Lostock Library") == {"council-building"}
    assert categories("Former Trafford High School (vacant)") == {"council-building"}
    # Land beside or under a building's use is not that use; land can be green space.
    assert categories("Hale Library Site") == {"council-land"}
    assert categories("Land to the rear of Millbank Primary School") == {"council-land"}
    assert categories("Old Trafford Allotments") == {"council-land", "allotment"}
    assert land_register_uses("Kingsway Park", is_land=True) == ["green-space"]
    # A building in a park has its own use, and is no green space itself; staff toilets are
    # not public toilets.
    assert categories("Victoria Park, Public Toilets") == {"council-building", "toilets"}
    assert categories("Victoria Park, Park Staff Toilets") == {"council-building"}
    assert categories("Hullard Park Bowls Clubhouse") == {"council-building"}
    assert land_register_uses("Moss Park (No Buildings)", is_land=True) == ["green-space"]
    assert land_register_uses("Re: Electricity Sub-station, Davyhulme Park", is_land=True) == []
    assert land_register_uses("School Road", is_land=False) == []
    assert (
        land_register_uses(
            "Land fronting to Langley Rd. Ashton-on-Mersey Secondary Schools,PLAYING FIELDS",
            is_land=True,
        )
        == []
    )
    # The most particular land use wins: allotments in a park's name are allotments.
    assert land_register_uses(
        "Humphrey Park Allotments (Communal Building/Toilets)", is_land=False
    ) == ["toilets", "allotment"]
    humphrey = register.get(sources__source_id="TMBC0024/JN0000012")
    assert "Humphrey Park Allotments" in humphrey.name or humphrey.sources.count() > 1
    assert {"allotment", "toilets"} <= set(humphrey.categories.values_list("slug", flat=True))
    assert not humphrey.categories.filter(slug="green-space").exists()
    # "Park" in a car park, a school's or a road's name is no green space.
    assert land_register_uses("Atkinson Road Car Park", is_land=True) == []
    # The register's Seymour Park Primary School is merged with the schools' list's record.
    school = register.get(sources__source_id="TMBC0333")
    assert set(school.categories.values_list("slug", flat=True)) == {"council-building", "school"}
    assert land_register_uses("Land at the junction of Trafford Park Rd.", is_land=True) == []
    assert land_register_uses(
        "Part of Victoria Park, land fronting to School Road", is_land=True
    ) == ["green-space"]
    # "Formerly" gives a current property's old name.
    assert land_register_uses(
        "Partington & Carrington Children's Centre (Formerly Partington Rd Family Centre)",
        is_land=False,
    ) == ["childrens-centre"]
    assert land_register_uses("Altrincham Library", is_land=False) == ["library"]


def test_a_search_for_libraries_finds_working_libraries_first():
    hits = search_assets(AssetQuery(words="library", page_size=15)).hits
    names = [h.asset.name for h in hits]
    assert not any("former" in n.lower() or n.endswith(" Site") for n in names[:10]), names
    assert {"Altrincham Library", "Sale Library", "Hale Library"} <= set(names)


def test_a_play_space_is_not_merged_into_the_park_it_is_in():
    play = Asset.objects.filter(
        sources__dataset__slug="os-open-greenspace-trafford", categories__slug="play-space"
    )
    assert play.count() == sum(
        1 for f in read_source(REGISTRY["trafford-green-spaces"]) if f["site_type"] == "Play Space"
    )
    assert not play.filter(categories__slug="green-space").exists()


def test_a_schools_parent_teacher_association_is_not_the_school():
    pta = Asset.objects.get(
        sources__dataset__slug="charity-commission-trafford",
        sources__data__name="Stretford Grammar School PTA",
    )
    assert "dfe-schools-trafford" not in datasets_of(pta)


# -- unlocated and refused rows --------------------------------------------------------------------


def test_charities_whose_contact_postcode_is_unknown_are_imported_unlocated_and_reported():
    rows = read_source(REGISTRY["trafford-charities"])
    clear_layer("trafford-charities")
    report = REGISTRY["trafford-charities"]().run(commit=True)
    known = set(Postcode.objects.values_list("postcode", flat=True))
    by_line = {f"line {number}": row for number, row in enumerate(rows, start=2)}
    assert report.warnings
    unusable = {
        f"line {n}": row
        for n, row in enumerate(rows, start=2)
        if not usable_web_address(row["charity_contact_web"])
    }
    # A web address that is not one is reported with its row and left out, never in silence.
    assert unusable
    web_warnings = [p for p in report.warnings if p.reason.startswith("web address ")]
    assert {p.row for p in web_warnings} == set(unusable)
    for problem in web_warnings:
        value = unusable[problem.row]["charity_contact_web"].strip()
        assert f"'https://{value.lstrip('/')}' is not a web address" in problem.reason
        number = unusable[problem.row]["registered_charity_number"]
        assert Asset.objects.get(charity_number=number).website == ""
    for problem in report.warnings:
        if problem in web_warnings:
            continue
        row = by_line[problem.row]
        postcode = clean_postcode(row["charity_contact_postcode"])
        assert postcode not in known
        if postcode:
            assert f"postcode {postcode} is not known" in problem.reason
        asset = Asset.objects.get(charity_number=row["registered_charity_number"])
        assert asset.lat is None and asset.lon is None
        assert not asset.area_links.exists()
    located = [r for r in rows if clean_postcode(r["charity_contact_postcode"]) in known]
    assert len(located) + len(report.warnings) - len(web_warnings) == len(rows)


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_rows_that_cannot_be_used_are_refused_with_their_reasons(tmp_path):
    good = {
        "name": "Test Surgery",
        "address": "1 Test Road",
        "postcode": "M32 0TH",
        "telephone": "",
        "lon": "-2.31",
        "lat": "53.45",
    }
    path = write_csv(
        tmp_path / "gps.csv",
        [
            good,
            {**good, "name": "  "},
            {**good, "name": "Swapped", "lon": "53.45", "lat": "-2.31"},
            {**good, "name": "Words", "lon": "west", "lat": "north"},
            {**good, "name": "Nowhere", "lon": "", "lat": "", "postcode": ""},
        ],
    )
    report = REGISTRY["trafford-gp-practices"](path).run()
    reasons = {p.row: p.reason for p in report.rejected}
    assert reasons == {
        "line 3": "no name",
        "line 4": "(53.45, -2.31) is not in the UK: are longitude and latitude swapped?",
        "line 5": "coordinates 'west, north' are not numbers",
    }
    assert [p.as_dict() for p in report.warnings] == [
        {
            "row": "line 6",
            "reason": "no coordinates and no full postcode: imported without a location",
        }
    ]


def test_charity_rows_without_a_usable_charity_number_are_refused(tmp_path):
    row = dict(read_source(REGISTRY["trafford-charities"])[0])
    path = write_csv(
        tmp_path / "charities.csv",
        [
            row,
            {**row, "registered_charity_number": ""},
            {**row, "registered_charity_number": "12A"},
        ],
    )
    report = REGISTRY["trafford-charities"](path).run()
    assert [(p.row, p.reason) for p in report.rejected] == [
        ("line 3", "no charity number"),
        ("line 4", "charity number '12A' is not a number"),
    ]


def test_geojson_features_without_a_usable_geometry_are_refused(tmp_path):
    feature = json.loads(
        (
            Path(settings.LIVINGMAP_DATA_DIR) / REGISTRY["trafford-places-of-worship"].default_path
        ).read_text()
    )["features"][0]
    broken = [
        feature,
        {**feature, "geometry": None},
        {**feature, "geometry": {"type": "Point", "coordinates": [151.2, -33.9]}},
        {**feature, "geometry": {"type": "Polygon", "coordinates": "nonsense"}},
        {**feature, "properties": {**feature["properties"], "DISTNAME": ""}},
    ]
    path = tmp_path / "worship.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": broken}))
    report = REGISTRY["trafford-places-of-worship"](path).run()
    reasons = {p.row: p.reason for p in report.rejected}
    assert set(reasons) == {"feature 2", "feature 3", "feature 4", "feature 5"}
    assert reasons["feature 2"] == "no geometry"
    assert "is not in the UK" in reasons["feature 3"]
    assert reasons["feature 4"].startswith("not a GeoJSON geometry")
    assert reasons["feature 5"] == "no name"
    # A green space must be an area: a point is refused.
    site = json.loads(
        (
            Path(settings.LIVINGMAP_DATA_DIR) / REGISTRY["trafford-green-spaces"].default_path
        ).read_text()
    )["features"][0]
    path = tmp_path / "green.geojson"
    point = {**site, "geometry": {"type": "Point", "coordinates": [-2.3, 53.44]}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [site, point]}))
    report = REGISTRY["trafford-green-spaces"](path).run()
    assert [(p.row, p.reason) for p in report.rejected] == [
        ("feature 2", "no polygon: a green space site must be an area")
    ]


# -- dry runs and failures ----------------------------------------------------------------------


def test_a_dry_run_of_a_new_layer_writes_nothing_but_reports_what_a_commit_would_do():
    clear_layer("trafford-schools")
    before = counts()
    dry = REGISTRY["trafford-schools"]().run()
    assert not dry.committed and dry.created + dry.updated == dry.read > 0
    assert counts() == before
    event = ImportEvent.objects.get(pk=dry.event_id)
    assert event.status == ImportEvent.Status.DRY_RUN and event.created == dry.created
    real = REGISTRY["trafford-schools"]().run(commit=True)
    assert (real.created, real.updated) == (dry.created, dry.updated)


def test_an_import_that_fails_part_way_leaves_nothing_behind(monkeypatch):
    clear_layer("trafford-charities")
    before = counts()
    real_assign = services.assign_areas

    def assign_then_fail(*args: Any, **kwargs: Any) -> int:
        real_assign(*args, **kwargs)  # the assets and their sources are written by now
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "assign_areas", assign_then_fail)
    report = REGISTRY["trafford-charities"]().run(commit=True)
    assert "the database went away" in report.error
    assert counts() == before
    assert ImportEvent.objects.get(pk=report.event_id).status == ImportEvent.Status.FAILED


# -- small helpers ---------------------------------------------------------------------------------


def test_names_in_capitals_are_written_in_ordinary_case():
    assert ordinary_case("ST MARY'S CHURCH (PCC) OF SALE") == "St Mary's Church (PCC) of Sale"
    assert ordinary_case("THE 1ST ALTRINCHAM SCOUT GROUP") == "The 1st Altrincham Scout Group"
    assert ordinary_case("TRAFFORD CVS LTD") == "Trafford CVS Ltd"
    assert ordinary_case("Already Fine") == "Already Fine"


def test_a_weeks_opening_hours_are_written_as_runs_of_days():
    hours = ["09:00-18:00"] * 5 + ["09:00-13:00", "CLOSED"]
    assert weekly_hours(hours) == "Mon–Fri 09:00-18:00; Sat 09:00-13:00; Sun closed"
    assert weekly_hours(["CLOSED"] * 7) == ""
