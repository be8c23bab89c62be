"""The OpenStreetMap importer on the real Norwich extracts, with the shipped tag mapping."""

from __future__ import annotations

import functools
import json
import tomllib
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from livingmap.assets.importers.osm import OSMImporter
from livingmap.assets.models import Asset, AssetKind, AssetSource
from livingmap.assets.taxonomy import CATEGORIES
from livingmap.core.models import Dataset, ImportEvent

pytestmark = pytest.mark.django_db

OSM_DIR = Path(settings.LIVINGMAP_DATA_DIR) / "osm-norwich"
MAPPING = Path(settings.BASE_DIR) / "data/mappings/osm.toml"


def features(name: str) -> list[dict[str, Any]]:
    return json.loads((OSM_DIR / f"{name}.geojson").read_text(encoding="utf-8"))["features"]


def importer(path: Path, mapping: Path = MAPPING, name: str = "OSM test extract") -> OSMImporter:
    return OSMImporter(path, mapping=mapping, dataset_name=name)


@functools.cache
def shipped_mapping() -> dict[str, Any]:
    return tomllib.loads(MAPPING.read_text(encoding="utf-8"))


def wanted(tags: dict[str, Any]) -> list[str]:
    """The categories the shipped mapping gives a feature, worked out here from the file."""
    mapping = shipped_mapping()
    for tag in mapping.get("skip", []):
        key, value = tag.split("=")
        if str(tags.get(key, "")).lower() == value:
            return []
    found = []
    for tag, target in mapping["tags"].items():
        key, value = tag.split("=")
        have = tags.get(key)
        if not isinstance(have, str):
            continue
        values = {v.strip().lower() for v in have.split(";")}
        if (value == "*" and have.lower() not in {"no", "none"}) or value in values:
            category = target if isinstance(target, str) else target["category"]
            if category not in found:
                found.append(category)
    return found


def assets_of(report_slug: str) -> dict[str, Asset]:
    sources = AssetSource.objects.filter(dataset__slug=report_slug).select_related("asset")
    return {s.source_id: s.asset for s in sources}


def test_norwich_libraries_are_imported_with_their_osm_ids_and_the_odbl_licence():
    extract = features("learn")
    report = importer(OSM_DIR / "learn.geojson", name="OpenStreetMap: Norwich libraries").run(
        commit=True
    )
    assert not report.error
    assert report.read == len(extract) == report.created
    dataset = Dataset.objects.get(slug="osm-norwich-libraries")
    assert dataset.licence == "Open Database Licence (ODbL) v1.0"
    assert dataset.attribution == "© OpenStreetMap contributors"
    found = assets_of(dataset.slug)
    assert set(found) == {f["properties"]["id"] for f in extract}
    for feature in extract:
        asset = found[feature["properties"]["id"]]
        assert asset.kind == AssetKind.INSTITUTION
        assert set(asset.categories.values_list("slug", flat=True)) == {"library"}
        assert asset.name == feature["properties"]["name"]
        assert asset.extra["osm_tags"]["amenity"] == "library"
        lon, lat = feature["geometry"]["coordinates"]
        assert (asset.lon, asset.lat) == (lon, lat)
    # Norwich lies outside Trafford: located, in none of Trafford's areas, and not a warning.
    assert not report.warnings
    assert not Asset.objects.filter(
        id__in=[a.id for a in found.values()], area_links__isnull=False
    ).exists()


def test_unnamed_toilets_are_named_by_their_category_not_refused():
    extract = features("toilets-amenity")
    report = importer(OSM_DIR / "toilets-amenity.geojson").run(commit=True)
    assert (report.read, report.created, len(report.rejected)) == (len(extract), len(extract), 0)
    unnamed = {f["properties"]["id"] for f in extract if not f["properties"].get("name")}
    assert unnamed
    found = assets_of("osm-test-extract")
    assert {i for i, a in found.items() if a.name == "Public toilets"} == unnamed
    assert all(a.kind == AssetKind.PHYSICAL for a in found.values())


def test_features_the_mapping_does_not_ask_for_are_skipped_and_the_rest_categorised():
    extract = features("enjoy")
    expected = {f["properties"]["id"]: wanted(f["properties"]) for f in extract}
    report = importer(OSM_DIR / "enjoy.geojson").run(commit=True)
    assert report.read == len(extract)
    assert report.skipped == sum(1 for c in expected.values() if not c)
    assert report.created == len(extract) - report.skipped
    found = assets_of("osm-test-extract")
    assert set(found) == {i for i, c in expected.items() if c}
    for osm_id, asset in found.items():
        assert set(asset.categories.values_list("slug", flat=True)) == set(expected[osm_id])
        first = expected[osm_id][0]
        assert asset.kind == CATEGORIES[first][1]  # the first match decides the kind
    parks = [i for i, c in expected.items() if c == ["green-space"]]
    assert parks and all(found[i].kind == AssetKind.PHYSICAL for i in parks)
    again = importer(OSM_DIR / "enjoy.geojson").run(commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, report.created)


def feature(osm_id: str | None, tags: dict[str, Any], geometry: dict[str, Any] | None) -> dict:
    properties = {**tags, **({"id": osm_id} if osm_id else {})}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


POINT = {"type": "Point", "coordinates": [-2.3201, 53.4461]}  # Stretford


def test_bad_features_are_refused_with_reasons_and_private_ones_skipped(tmp_path):
    park = {
        "type": "Polygon",
        "coordinates": [
            [
                [-2.310, 53.440],
                [-2.305, 53.440],
                [-2.305, 53.443],
                [-2.310, 53.443],
                [-2.310, 53.440],
            ]
        ],
    }
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature("way/1", {"leisure": "park", "name": "Test Park"}, park),
            feature(None, {"amenity": "library", "name": "No Id Library"}, POINT),
            feature(
                "node/3", {"amenity": "toilets"}, {"type": "Point", "coordinates": [2.35, 48.85]}
            ),
            feature("node/4", {"amenity": "toilets"}, None),
            feature("node/5", {"amenity": "toilets", "access": "private"}, POINT),
            feature(
                None, {"amenity": "bench"}, POINT
            ),  # not asked for: skipped, even without an id
            feature(
                "node/7",
                {"sport": "tennis;bowls", "leisure": "pitch", "opening_hours": '"dawn to dusk"'},
                POINT,
            ),
        ],
    }
    path = tmp_path / "extract.geojson"
    path.write_text(json.dumps(collection))
    report = importer(path).run(commit=True)
    reasons = {p.row: p.reason for p in report.rejected}
    assert set(reasons) == {"feature 2", "feature 3", "feature 4"}
    assert reasons["feature 2"] == "no OpenStreetMap id (like node/123) in the feature's id: blank"
    assert "is not in the UK" in reasons["feature 3"]
    assert reasons["feature 4"] == "no geometry"
    assert report.skipped == 2 and report.created == 2
    found = assets_of("osm-test-extract")
    park_asset = found["way/1"]
    assert park_asset.footprint == park
    assert -2.310 < park_asset.lon < -2.305 and 53.440 < park_asset.lat < 53.443
    assert park_asset.area_links.exists()  # in Trafford: assigned to its areas
    pitch = found["node/7"]
    assert pitch.name == "Sports pitch" and pitch.opening_hours == "dawn to dusk"


BROKEN = {
    "unknown category": (
        '"amenity=library" = { category = "library"',
        '"amenity=library" = { category = "libraries"',
        "there is no category 'libraries'",
    ),
    "not a tag": ('"amenity=library" =', '"amenity library" =', "a tag is written key=value"),
    "not TOML": ("[tags]", "[tags", "is not valid TOML"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_tag_mapping_is_refused_with_a_message_and_writes_nothing(case, tmp_path):
    old, new, message = BROKEN[case]
    text = MAPPING.read_text(encoding="utf-8")
    assert old in text
    mapping = tmp_path / "osm.toml"
    mapping.write_text(text.replace(old, new, 1))
    before = (Asset.objects.count(), AssetSource.objects.count())
    report = importer(OSM_DIR / "learn.geojson", mapping=mapping).run(commit=True)
    assert message in report.error and not report.committed
    assert (Asset.objects.count(), AssetSource.objects.count()) == before
    assert ImportEvent.objects.get(pk=report.event_id).status == ImportEvent.Status.FAILED


def test_the_command_runs_a_dry_run_and_needs_a_mapping_and_a_name():
    out = StringIO()
    before = Asset.objects.count()
    call_command(
        "import_osm",
        str(OSM_DIR / "help-services.geojson"),
        mapping=str(MAPPING),
        dataset_name="OpenStreetMap: Norwich help",
        stdout=out,
    )
    assert "DRY RUN" in out.getvalue()
    assert Asset.objects.count() == before
    with pytest.raises(CommandError):
        call_command(
            "import_osm", str(OSM_DIR / "learn.geojson"), mapping=str(MAPPING), stdout=StringIO()
        )
