"""OpenStreetMap features (GeoJSON, as Overpass turbo or osmtogeojson export them) as assets.

Each feature's properties are its OSM tags, with its OSM id ("node/123", "way/456") as `id` or
as the feature's own id. A mapping file (TOML, data/mappings/osm.toml) says which tags make
which category:

    [tags]
    "amenity=library" = "library"
    "amenity=toilets" = { category = "toilets", unnamed = "Public toilets" }
    "shop=*" = "business"

A feature takes every category its tags match (in the file's order; the first decides its kind
unless the entry gives `kind`); a feature that matches none is skipped, not rejected. An unnamed
feature is named by its first match ("Public toilets"). Data from OpenStreetMap is © OpenStreetMap
contributors, under the Open Database Licence: every asset keeps that provenance.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from livingmap.core.importing import DatasetInfo, ImportReport, RowRejected, SourceError

from ..models import AssetKind
from ..services import AssetRecord
from ..taxonomy import CATEGORIES
from .base import AssetImporter

ODBL = {
    "licence": "Open Database Licence (ODbL) v1.0",
    "licence_url": "https://opendatacommons.org/licenses/odbl/1-0/",
    "attribution": "© OpenStreetMap contributors",
    "publisher": "OpenStreetMap contributors",
    "source_url": "https://www.openstreetmap.org/copyright",
}
_OSM_ID = re.compile(r"^(node|way|relation)/\d+$")
_KINDS = {str(v) for v in AssetKind.values}


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:90]


class TagRule:
    """One `"key=value" = category` line of the mapping (value `*` matches any value)."""

    def __init__(self, tag: str, category: str, kind: str, unnamed: str) -> None:
        key, _, value = tag.partition("=")
        self.tag, self.key, self.value = tag, key.strip(), value.strip()
        self.category, self.kind, self.unnamed = category, kind, unnamed

    def matches(self, tags: dict[str, Any]) -> bool:
        found = tags.get(self.key)
        if not isinstance(found, str) or not found.strip():
            return False
        if self.value == "*":
            return found.strip().lower() not in {"no", "none"}
        # OSM lists several values with ';' ("sport=tennis;bowls").
        return self.value.lower() in {v.strip().lower() for v in found.split(";")}


def parse_tag_mapping(path: str | Path) -> tuple[list[TagRule], list[TagRule], list[str]]:
    """The (tag rules, skip rules, problems) of an OSM mapping file."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        return [], [], [f"cannot open the mapping file {path}: {exc.strerror}"]
    except tomllib.TOMLDecodeError as exc:
        return [], [], [f"{path.name} is not valid TOML: {exc}"]
    problems: list[str] = []
    for section in data:
        if section not in ("tags", "skip"):
            problems.append(f"there is no section '{section}' (the sections are tags and skip)")
    table = data.get("tags")
    if not isinstance(table, dict) or not table:
        problems.append('[tags] is missing: give lines like "amenity=library" = "library"')
        table = {}
    rules: list[TagRule] = []
    for tag, target in table.items():
        where = f'[tags] "{tag}"'
        if not re.fullmatch(r"[^=\s]+=[^=]+", tag):
            problems.append(f"{where}: a tag is written key=value (or key=* for any value)")
            continue
        if isinstance(target, str):
            target = {"category": target}
        if not isinstance(target, dict) or set(target) - {"category", "kind", "unnamed"}:
            problems.append(
                f'{where}: give a category, or {{ category = "...", kind = "...", '
                'unnamed = "..." }'
            )
            continue
        category = str(target.get("category", "")).strip()
        if category not in CATEGORIES:
            problems.append(
                f"{where}: there is no category '{category}' (see livingmap/assets/taxonomy.py)"
            )
            continue
        name, default_kind, _ = CATEGORIES[category]
        kind = str(target.get("kind", default_kind)).strip()
        if kind not in _KINDS:
            problems.append(f"{where}: '{kind}' is not a kind ({', '.join(sorted(_KINDS))})")
            continue
        rules.append(TagRule(tag, category, kind, str(target.get("unnamed", name)).strip()))
    skips: list[TagRule] = []
    skip = data.get("skip", [])
    if not isinstance(skip, list) or not all(isinstance(s, str) for s in skip):
        problems.append('skip must be a list of tags, e.g. skip = ["access=private"]')
        skip = []
    for tag in skip:
        if not re.fullmatch(r"[^=\s]+=[^=]+", tag):
            problems.append(f'skip "{tag}": a tag is written key=value')
        else:
            skips.append(TagRule(tag, "", "", ""))
    return rules, skips, problems


def _clean(value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return ""
    text = " ".join(str(value).split())
    if len(text) > 1 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()  # some exports quote free-text tags
    return text


class OSMImporter(AssetImporter):
    """Loads OpenStreetMap GeoJSON through a tag -> category mapping file."""

    name = "osm"
    description = "OpenStreetMap features (GeoJSON) through a tag mapping (livingmap import_osm)."
    source_format = "geojson"

    def __init__(
        self,
        source: str | Path,
        *,
        mapping: str | Path,
        dataset_name: str,
        dataset_slug: str = "",
        **options: Any,
    ) -> None:
        super().__init__(source, **options)
        self.mapping_path = Path(mapping)
        self.rules, self.skips, self.problems = parse_tag_mapping(self.mapping_path)
        slug = dataset_slug or "osm-" + re.sub(r"^(openstreetmap|osm)-", "", slugify(dataset_name))
        if not dataset_name.strip():
            self.problems.append("give the data set a name (--dataset-name)")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,99}", slug):
            self.problems.append(
                f"the data set slug '{slug}' must be lower-case letters, digits and hyphens"
            )
        self.dataset = (
            DatasetInfo(slug=slug, name=dataset_name.strip(), **ODBL) if not self.problems else None
        )
        self.name = (slug if slug.startswith("osm-") else f"osm:{slug}")[:100]

    def before(self, report: ImportReport) -> None:
        if self.problems:
            raise SourceError(
                f"the mapping {self.mapping_path.name} has problems:\n- "
                + "\n- ".join(self.problems)
            )
        super().before(report)

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord | None:
        tags = {k: v for k, v in row.items() if k not in ("geometry", "id", "@id")}
        if any(rule.matches(tags) for rule in self.skips):
            return None
        matched = [rule for rule in self.rules if rule.matches(tags)]
        if not matched:
            return None  # not a kind of feature this mapping asks for
        osm_id = _clean(row.get("id") or row.get("@id"))
        if not _OSM_ID.match(osm_id):
            raise RowRejected(
                f"no OpenStreetMap id (like node/123) in the feature's id: {osm_id or 'blank'}"
            )
        lon, lat, footprint = self.geometry_point(row)
        if lon is None:
            raise RowRejected("no geometry")
        first = matched[0]
        name = _clean(tags.get("name")) or first.unnamed
        street = " ".join(
            p for p in (_clean(tags.get("addr:housenumber")), _clean(tags.get("addr:street"))) if p
        )
        address = ", ".join(
            p
            for p in (
                _clean(tags.get("addr:housename")),
                street,
                _clean(tags.get("addr:suburb")),
                _clean(tags.get("addr:city")),
            )
            if p
        )
        wheelchair = _clean(tags.get("wheelchair"))
        access_notes = [
            f"Wheelchair access: {wheelchair}." if wheelchair else "",
            _clean(tags.get("wheelchair:description")),
        ]
        return AssetRecord(
            source_id=osm_id,
            name=name[:300],
            kind=first.kind,
            categories=list(dict.fromkeys(rule.category for rule in matched)),
            description=_clean(tags.get("description")),
            address=address[:300],
            postcode=self.postcode(tags, "addr:postcode"),
            lon=lon,
            lat=lat,
            footprint=footprint,
            website=self.website(
                _clean(tags.get("website") or tags.get("contact:website") or tags.get("url"))
            ),
            email=self.email(_clean(tags.get("email") or tags.get("contact:email"))),
            phone=_clean(tags.get("phone") or tags.get("contact:phone"))[:50],
            opening_hours=_clean(tags.get("opening_hours")),
            accessibility=" ".join(n for n in access_notes if n),
            extra={
                "osm_id": osm_id,
                "osm_tags": {k: _clean(v) for k, v in sorted(tags.items()) if _clean(v)},
            },
        )
