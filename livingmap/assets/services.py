"""Writes for assets: saving one, importing many (with de-duplication), and area assignment."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from livingmap.areas.models import Area, Postcode
from livingmap.areas.selectors import areas_at_point
from livingmap.core.geo import AreaIndex, geometry_from_geojson, haversine_m, lat_cell
from livingmap.core.importing import ImportReport, chunked
from livingmap.core.models import Dataset
from livingmap.core.text import names_match

from .models import Asset, AssetArea, AssetKind, AssetSource, Category, Visibility

#: Two records whose names match are the same asset if this close (metres) or at one postcode.
SAME_PLACE_M = 150.0

#: Fields an importer may set. A source only overwrites a field it set itself or that is blank,
#: so an asset found in several data sets keeps a stable record whatever order they load in.
RECORD_FIELDS = (
    "name",
    "kind",
    "legal_form",
    "description",
    "address",
    "postcode",
    "lon",
    "lat",
    "footprint",
    "website",
    "email",
    "phone",
    "opening_hours",
    "accessibility",
    "tenure",
    "tenure_detail",
    "uprn",
    "charity_number",
    "visibility",
)


@dataclass
class AssetRecord:
    """One asset as a data set describes it: what an importer's `transform` returns."""

    source_id: str
    name: str
    kind: str
    categories: list[str] = field(default_factory=list)
    legal_form: str = ""
    description: str = ""
    address: str = ""
    postcode: str = ""
    lon: float | None = None
    lat: float | None = None
    footprint: dict[str, Any] | None = None
    website: str = ""
    email: str = ""
    phone: str = ""
    opening_hours: str = ""
    accessibility: str = ""
    tenure: str = ""
    tenure_detail: str = ""
    uprn: str = ""
    charity_number: str = ""
    visibility: str = Visibility.PUBLIC
    extra: dict[str, Any] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in RECORD_FIELDS}

    def as_source_data(self) -> dict[str, Any]:
        return {**self.values(), "categories": sorted(self.categories), "extra": self.extra}


# -- area assignment ---------------------------------------------------------------------------


def build_area_index(areas: Iterable[Area] | None = None) -> AreaIndex:
    """An index over every area and neighbourhood (all vintages), for bulk assignment."""
    rows = list(areas if areas is not None else Area.objects.only("id", "geometry"))
    return AreaIndex([a.id for a in rows], [geometry_from_geojson(a.geometry) for a in rows])


def assign_areas(assets: Sequence[Asset], index: AreaIndex | None = None) -> int:
    """Store, for each asset, every area and neighbourhood its location falls in.

    An asset with a footprint (a park, an allotment site) is in every area the footprint
    overlaps; otherwise its point decides. Unlocated assets are in no area.
    """
    ids = [a.id for a in assets]
    for chunk in chunked(ids, 900):
        AssetArea.objects.filter(asset_id__in=chunk).delete()
    located = [a for a in assets if a.lat is not None and a.lon is not None]
    if not located:
        return 0
    index = index if index is not None else build_area_index()
    if len(index) == 0:
        return 0
    pairs: set[tuple[int, int]] = set()
    asset_pos, area_pos = index.points_in([a.lon for a in located], [a.lat for a in located])
    pairs.update(zip(asset_pos.tolist(), area_pos.tolist(), strict=True))
    with_footprint = [(i, a) for i, a in enumerate(located) if a.footprint]
    if with_footprint:
        geoms = [geometry_from_geojson(a.footprint) for _, a in with_footprint]
        g_pos, area_pos = index.geometries_in(geoms)
        for g, ar in zip(g_pos.tolist(), area_pos.tolist(), strict=True):
            if geoms[g].intersection(index.geometries[ar]).area > 0.1 * geoms[g].area:
                pairs.add((with_footprint[g][0], ar))
    links = [AssetArea(asset_id=located[i].id, area_id=index.keys[ar]) for i, ar in pairs]
    AssetArea.objects.bulk_create(links, batch_size=5000)
    return len(links)


def reassign_near(areas: Sequence[Area], *, batch: int = 20_000) -> int:
    """Recompute the areas of the assets inside the bounding box of the changed areas."""
    if not areas:
        return 0
    ids = list(
        Asset.objects.filter(
            lon__gte=min(a.min_lon for a in areas),
            lon__lte=max(a.max_lon for a in areas),
            lat__gte=min(a.min_lat for a in areas),
            lat__lte=max(a.max_lat for a in areas),
        ).values_list("id", flat=True)
    )
    return _reassign(ids, batch)


def reassign_all(*, batch: int = 20_000) -> int:
    """Recompute the areas of every asset (e.g. after a new boundary set)."""
    return _reassign(list(Asset.objects.values_list("id", flat=True).order_by("id")), batch)


def _reassign(ids: list[int], batch: int) -> int:
    if not ids:
        return 0
    index = build_area_index()
    total = 0
    for chunk in chunked(ids, batch):
        with transaction.atomic():
            assets = Asset.objects.filter(id__in=chunk).only("id", "lon", "lat", "footprint")
            total += assign_areas(list(assets), index)
    return total


# -- saving one asset --------------------------------------------------------------------------


def search_text_for(asset: Asset, category_names: Iterable[str]) -> str:
    parts = [*category_names, asset.get_kind_display(), asset.description, asset.address]
    parts.append(asset.postcode)
    return " ".join(p for p in parts if p)


@transaction.atomic
def save_asset(asset: Asset, *, categories: Iterable[Category] | None = None) -> Asset:
    """Save an asset edited by a person: search words and areas are worked out here."""
    asset.save()
    if categories is not None:
        asset.categories.set(categories)
    asset.search_text = search_text_for(asset, asset.categories.values_list("name", flat=True))
    Asset.objects.filter(pk=asset.pk).update(search_text=asset.search_text)
    AssetArea.objects.filter(asset=asset).delete()
    if asset.is_located:
        hits = {a.id for a in areas_at_point(asset.lon, asset.lat)}
        if asset.footprint:
            assign_areas([asset])
        else:
            AssetArea.objects.bulk_create([AssetArea(asset=asset, area_id=i) for i in hits])
    return asset


# -- importing many ----------------------------------------------------------------------------


class _Candidates:
    """Existing assets near the records being imported, for finding the same asset again."""

    def __init__(self, assets: Iterable[Asset]) -> None:
        self.by_cell: dict[tuple[int, int], list[Asset]] = defaultdict(list)
        self.by_postcode: dict[str, list[Asset]] = defaultdict(list)
        self.by_uprn: dict[str, Asset] = {}
        self.by_charity: dict[str, Asset] = {}
        for asset in assets:
            self.add(asset)

    @staticmethod
    def _cell(lon: float, lat: float) -> tuple[int, int]:
        return math.floor(lat / 0.002), math.floor(lon / 0.003)

    def add(self, asset: Asset) -> None:
        if asset.lat is not None and asset.lon is not None:
            self.by_cell[self._cell(asset.lon, asset.lat)].append(asset)
        if asset.postcode:
            self.by_postcode[asset.postcode].append(asset)
        if asset.uprn:
            self.by_uprn.setdefault(asset.uprn, asset)
        if asset.charity_number:
            self.by_charity.setdefault(asset.charity_number, asset)

    def find(self, rec: AssetRecord, exclude: set[int]) -> Asset | None:
        for key, table in ((rec.uprn, self.by_uprn), (rec.charity_number, self.by_charity)):
            if key and key in table and table[key].id not in exclude:
                return table[key]
        nearby: list[Asset] = []
        if rec.lat is not None and rec.lon is not None:
            cy, cx = self._cell(rec.lon, rec.lat)
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    nearby.extend(
                        a
                        for a in self.by_cell.get((cy + dy, cx + dx), ())
                        if haversine_m(rec.lon, rec.lat, a.lon, a.lat) <= SAME_PLACE_M
                    )
        if rec.postcode:
            nearby.extend(self.by_postcode.get(rec.postcode, ()))
        for asset in nearby:
            if asset.id not in exclude and names_match(rec.name, asset.name):
                return asset
        return None


def _candidates_for(records: Sequence[AssetRecord], dataset: Dataset) -> _Candidates:
    """Assets from other data sets that a record could be the same as."""
    lats = [r.lat for r in records if r.lat is not None]
    lons = [r.lon for r in records if r.lon is not None]
    postcodes = sorted({r.postcode for r in records if r.postcode})
    qs = Asset.objects.exclude(sources__dataset=dataset).only(
        "id", "name", "lon", "lat", "postcode", "uprn", "charity_number"
    )
    found: dict[int, Asset] = {}
    if lats:
        margin = 0.01
        box = qs.filter(
            lat__gte=min(lats) - margin,
            lat__lte=max(lats) + margin,
            lon__gte=min(lons) - margin,
            lon__lte=max(lons) + margin,
        )
        found.update((a.id, a) for a in box)
    for chunk in chunked(postcodes, 900):
        found.update((a.id, a) for a in qs.filter(postcode__in=chunk))
    for field_name in ("uprn", "charity_number"):
        keys = sorted({getattr(r, field_name) for r in records if getattr(r, field_name)})
        for chunk in chunked(keys, 900):
            found.update((a.id, a) for a in qs.filter(**{f"{field_name}__in": chunk}))
    return _Candidates(found.values())


def locate_by_postcode(records: Sequence[tuple[str, AssetRecord]], report: ImportReport) -> None:
    """Give records without coordinates their postcode's point; warn about those left unlocated."""
    wanted = sorted({r.postcode for _, r in records if r.lat is None and r.postcode})
    points: dict[str, tuple[float | None, float | None]] = {}
    for chunk in chunked(wanted, 900):
        points.update(
            (p, (lon, lat))
            for p, lon, lat in Postcode.objects.filter(postcode__in=chunk).values_list(
                "postcode", "lon", "lat"
            )
        )
    for label, rec in records:
        if rec.lat is not None and rec.lon is not None:
            continue
        if rec.postcode and points.get(rec.postcode, (None, None))[1] is not None:
            rec.lon, rec.lat = points[rec.postcode]
        elif rec.postcode:
            report.warn(label, f"postcode {rec.postcode} is not known: imported without a location")
        else:
            report.warn(label, "no coordinates and no postcode: imported without a location")


def _categories(slugs: Iterable[str]) -> dict[str, Category]:
    wanted = set(slugs)
    found = {c.slug: c for c in Category.objects.filter(slug__in=wanted)}
    missing = wanted - set(found)
    if missing:
        raise ValueError(f"unknown categories: {', '.join(sorted(missing))}")
    return found


def _merge_into(asset: Asset, rec: AssetRecord, previous: dict[str, Any]) -> bool:
    """Apply a source's record to an asset, field by field; True if anything changed."""
    changed = False
    for name, value in rec.values().items():
        current = getattr(asset, name)
        owned = current in ("", None) or current == previous.get(name)
        if owned and value not in ("", None) and current != value:
            setattr(asset, name, value)
            changed = True
    if rec.extra:
        merged = {**asset.extra, **rec.extra}
        if merged != asset.extra:
            asset.extra, changed = merged, True
    return changed


@transaction.atomic
def import_asset_records(
    *,
    dataset: Dataset,
    records: Sequence[tuple[str, AssetRecord]],
    report: ImportReport,
    index: AreaIndex | None = None,
) -> None:
    """Create, update or merge assets from one data set's records, counting each outcome.

    * A record already imported from this data set (same source id) updates its asset.
    * Otherwise it is matched against assets from other data sets: same UPRN, same charity
      number, or a matching name within 150 m or at the same postcode. A match gains this data
      set as a further source (the same library in three files is one asset with three sources).
    * Otherwise it is a new asset.
    """
    unique: list[tuple[str, AssetRecord]] = []
    seen: set[str] = set()
    for label, rec in records:
        if rec.source_id in seen:
            report.reject(label, f"id {rec.source_id} appears more than once in the file")
            continue
        seen.add(rec.source_id)
        unique.append((label, rec))
    locate_by_postcode(unique, report)
    categories = _categories(s for _, r in unique for s in r.categories)

    sources: dict[str, AssetSource] = {}
    for chunk in chunked([r.source_id for _, r in unique], 900):
        sources.update(
            (s.source_id, s)
            for s in AssetSource.objects.filter(dataset=dataset, source_id__in=chunk)
        )
    assets: dict[int, Asset] = {}
    for chunk in chunked([s.asset_id for s in sources.values()], 900):
        assets.update((a.id, a) for a in Asset.objects.filter(id__in=chunk))
    fresh = [r for _, r in unique if r.source_id not in sources]
    candidates = _candidates_for(fresh, dataset) if fresh else _Candidates([])

    new_assets: list[tuple[Asset, AssetRecord]] = []
    merged: list[tuple[Asset, AssetRecord]] = []
    changed: list[tuple[Asset, AssetRecord, AssetSource]] = []
    claimed: set[int] = set()
    for _, rec in unique:
        source = sources.get(rec.source_id)
        if source is not None:
            asset = assets[source.asset_id]
            if source.data == rec.as_source_data():
                report.unchanged += 1
                continue
            _merge_into(asset, rec, source.data)
            changed.append((asset, rec, source))
            continue
        match = candidates.find(rec, claimed)
        if match is not None:
            asset = Asset.objects.get(pk=match.pk)
            claimed.add(asset.id)
            _merge_into(asset, rec, {})
            merged.append((asset, rec))
            continue
        asset = Asset(**rec.values(), extra=rec.extra)
        if asset.kind == AssetKind.GIFTS:
            asset.visibility = Visibility.PRIVATE
        new_assets.append((asset, rec))

    for asset, rec in new_assets:
        asset.lat_cell = lat_cell(asset.lat)
        asset.search_text = search_text_for(asset, [categories[s].name for s in rec.categories])
    created = Asset.objects.bulk_create([a for a, _ in new_assets], batch_size=2000)
    for (asset, _), saved in zip(new_assets, created, strict=True):
        asset.pk = saved.pk
    for asset, _rec, *_ in [*merged, *changed]:
        asset.save()

    AssetSource.objects.bulk_create(
        [
            AssetSource(asset=a, dataset=dataset, source_id=r.source_id, data=r.as_source_data())
            for a, r in [*new_assets, *merged]
        ],
        batch_size=5000,
    )
    for _, rec, source in changed:
        source.data = rec.as_source_data()
    AssetSource.objects.bulk_update([s for *_, s in changed], ["data"], batch_size=2000)

    touched = [*new_assets, *merged, *[(a, r) for a, r, _ in changed]]
    _add_categories([(a, r.categories) for a, r in touched], categories)
    _refresh_search_text([a for a, _ in [*merged, *[(a, r) for a, r, _ in changed]]])
    assign_areas([a for a, _ in touched], index)
    report.created += len(new_assets)
    report.updated += len(merged) + len(changed)


def _add_categories(
    pairs: Sequence[tuple[Asset, list[str]]], categories: dict[str, Category]
) -> None:
    through = Asset.categories.through
    ids = [a.id for a, _ in pairs]
    existing: set[tuple[int, int]] = set()
    for chunk in chunked(ids, 900):
        existing.update(
            through.objects.filter(asset_id__in=chunk).values_list("asset_id", "category_id")
        )
    rows = {
        (a.id, categories[slug].id)
        for a, slugs in pairs
        for slug in slugs
        if (a.id, categories[slug].id) not in existing
    }
    through.objects.bulk_create(
        [through(asset_id=a, category_id=c) for a, c in rows], batch_size=5000
    )


def _refresh_search_text(assets: Sequence[Asset]) -> None:
    if not assets:
        return
    through = Asset.categories.through
    names = dict(Category.objects.values_list("id", "name"))
    by_asset: dict[int, list[str]] = defaultdict(list)
    for chunk in chunked([a.id for a in assets], 900):
        for asset_id, category_id in through.objects.filter(asset_id__in=chunk).values_list(
            "asset_id", "category_id"
        ):
            by_asset[asset_id].append(names[category_id])
    for asset in assets:
        asset.search_text = search_text_for(asset, sorted(by_asset[asset.id]))
    Asset.objects.bulk_update(list(assets), ["search_text"], batch_size=2000)
