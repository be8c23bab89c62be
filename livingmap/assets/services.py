"""Writes for assets: saving one, importing many (with de-duplication), and area assignment."""

from __future__ import annotations

import operator
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple, TypeVar

import numpy as np
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from livingmap.areas.models import Area, Postcode
from livingmap.areas.selectors import area_index, areas_at_point, areas_containing
from livingmap.core.geo import (
    AreaIndex,
    NearPoints,
    lat_cell,
)
from livingmap.core.ids import uuid7_hex_many, uuid7_many
from livingmap.core.importing import ImportReport, alongside, chunked, json_text
from livingmap.core.models import Dataset

from .matching import CANDIDATE_FIELDS, SAME_PLACE_M, Candidate, Candidates
from .models import Asset, AssetArea, AssetKind, AssetSource, Category, Visibility
from .records import ASSET_SCHEMA, STORED_FIELDS
from .search import bulk_text_index

T = TypeVar("T")

#: Rows per executemany call in bulk writes.
BULK_BATCH = 5000
#: From this many new assets, a SQLite import indexes their words in one pass (see search.py).
BULK_TEXT_INDEX_FROM = 1000


#: Fields an importer may set (declared once, in records.py). A source only overwrites a field
#: it set itself or that is blank, so an asset found in several data sets keeps a stable record
#: whatever order they load in.
RECORD_FIELDS = STORED_FIELDS


def _values(self: Any) -> dict[str, Any]:
    return {f: getattr(self, f) for f in RECORD_FIELDS}


def _reduce(self: Any) -> tuple[type, tuple[Any, ...]]:
    """Pickled as its values in order: a large file's records come from the process that
    reads it (`Importer.load_in_parts_of`), and this way they unpickle in 60 % of the time
    an attribute dictionary takes."""
    return AssetRecord, _every_value(self)


def _as_source_data(self: Any) -> dict[str, Any]:
    """The record as its data set gave it (kept on AssetSource.data): the fields it gave a
    value, its categories and extra attributes. Blank fields are left out, as they say
    nothing (they halve what a large import writes)."""
    data = {
        f: v
        for f, v in zip(RECORD_FIELDS, _record_values(self), strict=True)
        if v != "" and v is not None
    }
    if self.categories:
        data["categories"] = sorted(self.categories)
    if self.extra:
        data["extra"] = self.extra
    return data


#: One asset as a data set describes it: what an importer's `transform` returns. Its fields
#: are the assets schema's (records.py), in order, each with the schema's blank as default.
AssetRecord: Any = ASSET_SCHEMA.record_class(
    "AssetRecord",
    __name__,
    {"values": _values, "__reduce__": _reduce, "as_source_data": _as_source_data},
)


#: A record's RECORD_FIELDS values as a tuple, in one call.
_record_values = operator.attrgetter(*RECORD_FIELDS)
#: Every value of a record, in the order AssetRecord takes them.
_every_value = operator.attrgetter(*(f.name for f in fields(AssetRecord)))


def given_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Source data without its blank values: what `AssetRecord.as_source_data` gives. Records
    stored before blanks were left out still compare equal to the same record read again."""
    return {k: v for k, v in data.items() if v != "" and v is not None and v != [] and v != {}}


# -- area assignment ---------------------------------------------------------------------------


#: The index over every area and neighbourhood (the areas app's, for any located thing).
build_area_index = area_index


class Placed(NamedTuple):
    """Where an asset is, for area assignment (an Asset has the same attributes)."""

    id: int
    lon: float | None
    lat: float | None
    footprint: dict[str, Any] | None


def assign_areas(
    assets: Sequence[Asset | Placed], index: AreaIndex | None = None, *, new: bool = False
) -> int:
    """Store, for each asset, every area and neighbourhood its location falls in.

    `new=True` says the assets were created in this transaction, so they have no stored areas
    to clear.
    """
    if not new:
        ids = [a.id for a in assets]
        for chunk in chunked(ids, 900):
            AssetArea.objects.filter(asset_id__in=chunk).delete()
    links = area_links(assets, index)
    _insert_rows("assets_assetarea", ("area_id", "asset_id"), links)
    return len(links)


def area_links(
    assets: Sequence[Asset | Placed], index: AreaIndex | None = None
) -> list[tuple[int, int]]:
    """(area id, asset id) for every area and neighbourhood each asset is in: the areas app's
    `areas_containing`, which any located model can use (see its rules for footprints)."""
    return areas_containing(assets, index)


def _insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Bulk insert for writes the ORM would do an object at a time (see `_insert_batches`)."""
    _insert_batches(
        table,
        columns,
        (rows[start : start + BULK_BATCH] for start in range(0, len(rows), BULK_BATCH)),
    )


def _insert_batches(
    table: str, columns: Sequence[str], batches: Iterable[Sequence[Sequence[Any]]]
) -> None:
    """Insert rows that come in batches (e.g. from `_built`), the fastest way each database has:
    PostgreSQL's COPY (a stream the server parses, several times faster than INSERTs), and on
    SQLite one prepared INSERT run for every row (executemany).

    On SQLite the driver's own executemany is called, with Django's error translation: Django's
    wrapper passes every row through itertools.tee first (to look for named parameters), a
    tenth of the time of inserting a two-column row."""
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg 3: each value is sent as the column's type, as in an INSERT.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for rows in batches:
                    for row in rows:
                        copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['?'] * len(columns))})"  # noqa: S608 - our own names
        driver = sqlite3.Cursor.executemany
        connection.validate_no_broken_transaction()
        with connection.wrap_database_errors:
            for rows in batches:
                driver(cursor.cursor, sql, rows)


def _spans(n: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(n, start + size)) for start in range(0, n, size)]


def _built(
    build: Callable[[tuple[int, int]], list[tuple[Any, ...]]], spans: Sequence[tuple[int, int]]
) -> Iterator[list[tuple[Any, ...]]]:
    """build(span) for each span, in order, made as they are written (so a large import never
    holds every prepared row at once).

    Not in a second thread: preparing rows is Python and binding each row's values to the
    statement needs Python's lock too, so two threads hand the lock back and forth every row
    and the import ran a third slower (measured with `make bench`)."""
    for span in spans:
        yield build(span)


def reassign_near(areas: Sequence[Area], *, batch: int = 20_000) -> int:
    """Recompute the areas of every asset a boundary change may touch: those inside the changed
    areas' bounding box, those linked to the changed areas before (a neighbourhood that shrank
    or moved), and those with a footprint (a park whose point is outside may reach in)."""
    if not areas:
        return 0
    in_box = Asset.objects.filter(
        lon__gte=min(a.min_lon for a in areas),
        lon__lte=max(a.max_lon for a in areas),
        lat__gte=min(a.min_lat for a in areas),
        lat__lte=max(a.max_lat for a in areas),
    ).values_list("id", flat=True)
    linked = AssetArea.objects.filter(area__in=[a.pk for a in areas]).values_list(
        "asset_id", flat=True
    )
    with_footprint = Asset.objects.filter(footprint__isnull=False).values_list("id", flat=True)
    return _reassign(sorted({*in_box, *linked, *with_footprint}), batch)


def reassign_all(*, batch: int = 20_000) -> int:
    """Recompute the areas of every asset (e.g. after a new boundary set)."""
    return _reassign(list(Asset.objects.values_list("id", flat=True).order_by("id")), batch)


def _reassign(ids: list[int], batch: int) -> int:
    if not ids:
        return 0
    index = build_area_index()
    footprint = Asset._meta.get_field("footprint")
    total = 0
    for chunk in chunked(ids, batch):
        with transaction.atomic():
            rows = []
            for part in chunked(chunk, 900):
                rows.extend(
                    Asset.objects.filter(id__in=part)
                    .order_by()
                    .values_list("id", "lon", "lat", "footprint")
                )
            placed = [
                Placed(i, lon, lat, footprint.to_python(fp) if fp is not None else None)
                for i, lon, lat, fp in rows
            ]
            total += assign_areas(placed, index)
    return total


# -- saving one asset --------------------------------------------------------------------------


def search_text_for(asset: Asset, category_names: Iterable[str]) -> str:
    return _search_text(
        category_names, asset.get_kind_display(), asset.description, asset.address, asset.postcode
    )


def _search_text(
    category_names: Iterable[str], kind_label: str, description: str, address: str, postcode: str
) -> str:
    return " ".join(filter(None, (*category_names, kind_label, description, address, postcode)))


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


def _candidates_for(
    records: Sequence[AssetRecord], dataset: Dataset, parts: LoadInParts
) -> Candidates:
    """Assets from other data sets that a record could be the same as: those within
    SAME_PLACE_M of one, at their postcodes, or with their UPRNs or charity numbers.

    Near a national import that is a few of a million assets: their places are read first (three
    numbers each) and paired with the records' in one vectorised query; only the assets so found
    are read whole. A file loaded in parts reads the places once, for every part that lies in
    the same box (see LoadInParts)."""
    qs = Asset.objects.exclude(sources__dataset=dataset).order_by()
    wanted: set[int] = set()
    located = [r for r in records if r.lat is not None and r.lon is not None]
    if located:
        margin = 0.01
        lons, lats = [r.lon for r in located], [r.lat for r in located]
        box = (min(lons) - margin, min(lats) - margin, max(lons) + margin, max(lats) + margin)
        if parts.index is None or not _inside(box, parts.index.extent):
            if parts.places is None or (parts.places[3] and not _inside(box, parts.places[3])):
                # The first part's box; for a part beyond it, every other data set's asset
                # (a national file's parts each reach a little further), once.
                read_box = box if parts.places is None else None
                found_places = qs.values_list("id", "lon", "lat")
                if read_box is not None:
                    found_places = found_places.filter(
                        lon__gte=box[0], lat__gte=box[1], lon__lte=box[2], lat__lte=box[3]
                    )
                else:
                    found_places = found_places.filter(lat__isnull=False, lon__isnull=False)
                sql, params = found_places.query.sql_with_params()
                with connection.cursor() as cursor:  # plain rows: a million, three numbers each
                    cursor.execute(sql, params)
                    places = np.array(cursor.fetchall(), dtype=float).reshape(-1, 3)
                parts.places = (places[:, 0].astype(np.int64), places[:, 1], places[:, 2], read_box)
            ids, place_lons, place_lats, _ = parts.places
            extent = box
            if len(ids):
                extent = _union(
                    extent, (place_lons.min(), place_lats.min(), place_lons.max(), place_lats.max())
                )
            if parts.index is not None:  # a part beyond the last: leave room for the rest
                grown = _union(extent, parts.index.extent)
                extent = (grown[0] - 1, grown[1] - 1, grown[2] + 1, grown[3] + 1)
            parts.index = NearPoints(place_lons, place_lats, extent)
        ids, index = parts.places[0], parts.index
        _, near, _ = index.within(lons, lats, SAME_PLACE_M)
        wanted.update(ids[np.unique(near)].tolist())
        wanted -= parts.taken  # this data set's since they were read
    found: dict[int, Candidate] = {}

    def add(rows: Iterable[tuple[Any, ...]]) -> None:
        found.update((row[0], Candidate(*row)) for row in rows)

    columns = ", ".join(CANDIDATE_FIELDS)
    with connection.cursor() as cursor:
        for chunk in chunked(sorted(wanted), 900):
            cursor.execute(
                f"SELECT {columns} FROM assets_asset "  # noqa: S608 - our own names
                f"WHERE id IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            add(cursor.fetchall())
    postcodes = sorted({r.postcode for r in records if r.postcode})
    for chunk in chunked(postcodes, 900):
        add(qs.filter(postcode__in=chunk).values_list(*CANDIDATE_FIELDS))
    for field_name in ("uprn", "charity_number"):
        keys = sorted({getattr(r, field_name) for r in records if getattr(r, field_name)})
        for chunk in chunked(keys, 900):
            # "Not blank" as well, in the words of the partial index, so SQLite uses it.
            given = qs.exclude(**{field_name: ""}).filter(**{f"{field_name}__in": chunk})
            add(given.values_list(*CANDIDATE_FIELDS))
    return Candidates(sorted(found.values()))


def _inside(box: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return outer[0] <= box[0] and outer[1] <= box[1] and box[2] <= outer[2] and box[3] <= outer[3]


def _union(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float, float, float]:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def locate_by_postcode(records: Sequence[tuple[str, AssetRecord]], report: ImportReport) -> None:
    """Give records without coordinates their postcode's point; warn about those left unlocated."""
    wanted = sorted(
        {
            r.postcode
            for _, r in records
            if r.lat is None and r.postcode and "located_outside_area" not in r.extra
        }
    )
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
        if "located_outside_area" in rec.extra:
            continue  # kept as serving the area from outside it (within.py): not located
        if rec.postcode and points.get(rec.postcode, (None, None))[1] is not None:
            rec.lon, rec.lat = points[rec.postcode]
        elif rec.postcode:
            report.warn(label, f"postcode {rec.postcode} is not known: imported without a location")
        else:
            report.warn(label, "no coordinates and no full postcode: imported without a location")


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


@dataclass
class LoadInParts:
    """What loading one data set's records carries from one part of a file to the next.

    * `source_ids`: those of the parts before, so an id given again is refused as in one part.
    * `had_sources` and `others`: whether, before the first part, the data set had sources and
      other data sets had assets. Parts after add only this data set's sources and assets, so
      these stay as they were; and an asset matched or made by a part before has this data set
      as a source, so it is not taken again, as within one part.
    * `places` and `taken`: the places of other data sets' assets, read once for the parts
      (reading a million and indexing them for each part would cost more than the parts save),
      and the assets matched since.
    """

    source_ids: set[str] = field(default_factory=set)
    had_sources: bool | None = None
    others: bool | None = None
    #: Other data sets' assets as they were when read: ids, longitudes, latitudes, and the box
    #: read (None: all of them); an index over their places; and the assets taken since (this
    #: data set's now, left out when matching).
    places: tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, ...] | None] | None = None
    index: NearPoints | None = None
    taken: set[int] = field(default_factory=set)


@transaction.atomic
def import_asset_records(
    *,
    dataset: Dataset,
    records: Sequence[tuple[str, AssetRecord]],
    report: ImportReport,
    index: AreaIndex | None = None,
    parts: LoadInParts | None = None,
) -> None:
    """Create, update or merge assets from one data set's records, counting each outcome.

    * A record already imported from this data set (same source id) updates its asset.
    * Otherwise it is matched against assets from other data sets: same UPRN, same charity
      number, or a matching name within 150 m or at the same postcode. A match gains this data
      set as a further source (the same library in three files is one asset with three sources).
    * Otherwise it is a new asset.

    A file given in parts (`Importer.load_in_parts_of`) is loaded part by part, with what the
    parts before leave in `parts` (see LoadInParts): the outcome is that of one load.
    """
    parts = parts if parts is not None else LoadInParts()
    if parts.had_sources is None:
        parts.had_sources = AssetSource.objects.filter(dataset=dataset).exists()
        parts.others = Asset.objects.exclude(sources__dataset=dataset).exists()
    unique: list[tuple[str, AssetRecord]] = []
    seen = parts.source_ids
    for label, rec in records:
        if rec.source_id in seen:
            report.reject(label, f"id {rec.source_id} appears more than once in the file")
            continue
        seen.add(rec.source_id)
        unique.append((label, rec))
    locate_by_postcode(unique, report)
    categories = _categories(s for _, r in unique for s in r.categories)

    # What this data set gave before, for the records it gave before: (source, asset, data).
    known: dict[str, tuple[int, int, dict[str, Any]]] = {}
    if parts.had_sources:
        for chunk in chunked([r.source_id for _, r in unique], 900):
            known.update(
                (source_id, (pk, asset_id, data))
                for pk, source_id, asset_id, data in AssetSource.objects.filter(
                    dataset=dataset, source_id__in=chunk
                ).values_list("pk", "source_id", "asset_id", "data")
            )
    fresh: list[AssetRecord] = []
    again: list[tuple[AssetRecord, int, int, dict[str, Any]]] = []
    for _, rec in unique:
        if rec.source_id not in known:
            fresh.append(rec)
        elif given_fields(known[rec.source_id][2]) == rec.as_source_data():
            report.unchanged += 1
        else:
            again.append((rec, *known[rec.source_id]))
    # Into an empty register (a first import) there is nothing to be the same as.
    if fresh and parts.others:
        found = _candidates_for(fresh, dataset, parts).match(fresh)
        matches = [m[0] if m is not None else None for m in found]
        parts.taken.update(m for m in matches if m is not None)
    else:
        matches = [None] * len(fresh)
    assets: dict[int, Asset] = {}
    wanted = sorted({m for m in matches if m is not None} | {a for _, _, a, _ in again})
    for chunk in chunked(wanted, 900):
        assets.update((a.id, a) for a in Asset.objects.filter(id__in=chunk))

    new_records: list[AssetRecord] = []
    merged: list[tuple[Asset, AssetRecord]] = []
    for rec, match in zip(fresh, matches, strict=True):
        if match is None:
            new_records.append(rec)
        else:
            _merge_into(assets[match], rec, {})
            merged.append((assets[match], rec))
    changed: list[tuple[Asset, AssetRecord, int]] = []
    for rec, source_pk, asset_id, previous in again:
        _merge_into(assets[asset_id], rec, previous)
        changed.append((assets[asset_id], rec, source_pk))

    updated = [*merged, *[(a, r) for a, r, _ in changed]]
    if index is None and (new_records or updated):
        index = build_area_index()
    new_ids = _reserve_asset_ids(len(new_records)) if new_records else []
    source_data = _db_value(AssetSource._meta.get_field("data"))
    now = _db_value(AssetSource._meta.get_field("imported_at"))(timezone.now())

    def rows_for_new() -> tuple[list[tuple[Any, ...]], ...]:
        """The other tables' rows for the new assets and the sources of matched ones (Python
        only: it runs beside the search index's statement, see `_create_assets`)."""
        sourced = [*zip(new_ids, new_records, strict=True), *((a.id, r) for a, r in merged)]
        sources = [
            (dataset.id, r.source_id, now, source_data(r.as_source_data()), i) for i, r in sourced
        ]
        through = [
            (i, categories[slug].id)
            for i, r in zip(new_ids, new_records, strict=True)
            for slug in dict.fromkeys(r.categories)
        ]
        placed = [
            Placed(i, r.lon, r.lat, r.footprint) for i, r in zip(new_ids, new_records, strict=True)
        ]
        return sources, through, area_links(placed, index)

    sources, through_rows, links = _create_assets(
        new_records, categories, new_ids, meanwhile=rows_for_new
    )
    _save_imported([assets[i] for i in dict.fromkeys(a.id for a, *_ in [*merged, *changed])])
    _insert_rows(
        "assets_assetsource",
        ("dataset_id", "source_id", "imported_at", "data", "asset_id"),
        sources,
    )
    AssetSource.objects.bulk_update(
        [
            AssetSource(pk=pk, data=rec.as_source_data(), imported_at=timezone.now())
            for _, rec, pk in changed
        ],
        ["data", "imported_at"],
        batch_size=2000,
    )
    _insert_rows("assets_asset_categories", ("asset_id", "category_id"), through_rows)
    _add_categories([(a, r.categories) for a, r in updated], categories)
    touched = list({a.id: a for a, _ in updated}.values())
    _refresh_search_text(touched)
    _insert_rows("assets_assetarea", ("area_id", "asset_id"), links)
    assign_areas(touched, index)
    report.created += len(new_records)
    report.updated += len(updated)


#: Asset columns an import may change on an existing asset.
_IMPORTED_FIELDS = (*RECORD_FIELDS, "extra", "lat_cell", "updated_at")


def _save_imported(assets: Sequence[Asset]) -> None:
    """Store imports' changes to existing assets in bulk, as Asset.save would store each (a
    gifts-and-skills record private, the latitude cell worked out, updated now)."""
    now = timezone.now()
    for asset in assets:
        if asset.kind == AssetKind.GIFTS:
            asset.visibility = Visibility.PRIVATE
        asset.lat_cell = lat_cell(asset.lat)
        asset.updated_at = now
    Asset.objects.bulk_update(assets, _IMPORTED_FIELDS, batch_size=500)


#: Asset columns written for a new asset, in order (the id is given too).
_NEW_ASSET_FIELDS = (
    *RECORD_FIELDS,
    "extra",
    "lat_cell",
    "search_text",
    "uuid",
    "created_at",
    "updated_at",
)


def _create_assets(
    records: Sequence[AssetRecord],
    categories: dict[str, Category],
    ids: Sequence[int],
    *,
    meanwhile: Callable[[], T],
) -> T:
    """Insert new assets in bulk with these ids, as Asset.save would store them, and return
    what `meanwhile` gives.

    Values are prepared by each field's own get_db_prep_save, so they are stored exactly as the
    ORM stores them, without building a model instance per row. On SQLite, a large batch has its
    words indexed in one pass after the rows are in (search.bulk_text_index), and `meanwhile`
    (Python work that must not touch the database) runs beside that statement, on the other
    core; otherwise after the insert.
    """
    if not records:
        return meanwhile()
    fields = [Asset._meta.get_field(name) for name in _NEW_ASSET_FIELDS]
    prep = {
        f.name: _db_value(f)
        for f in fields
        if f.get_internal_type() in {"JSONField", "DateTimeField"}
    }
    labels = {k.value: str(k.label) for k in AssetKind}
    names = {slug: c.name for slug, c in categories.items()}
    now = prep["created_at"](timezone.now())
    prep_extra, prep_footprint = prep["extra"], prep["footprint"]
    empty_json = prep_extra({})
    new_uuids = uuid7_many if connection.features.has_native_uuid_field else uuid7_hex_many
    footprint_at = RECORD_FIELDS.index("footprint")
    visibility_at = RECORD_FIELDS.index("visibility")
    gifts, private = AssetKind.GIFTS, Visibility.PRIVATE

    def build(span: tuple[int, int]) -> list[tuple[Any, ...]]:
        start, stop = span
        rows = []
        for asset_id, rec, key in zip(
            ids[start:stop], records[start:stop], new_uuids(stop - start), strict=True
        ):
            values: Sequence[Any] = _record_values(rec)
            if rec.footprint is not None or rec.kind == gifts:
                values = list(values)
                values[footprint_at] = prep_footprint(rec.footprint)
                if rec.kind == gifts:
                    values[visibility_at] = private
            text = _search_text(
                [names[s] for s in rec.categories],
                labels.get(rec.kind, rec.kind),
                rec.description,
                rec.address,
                rec.postcode,
            )
            rows.append(
                (
                    asset_id,
                    *values,
                    prep_extra(rec.extra) if rec.extra else empty_json,
                    lat_cell(rec.lat),
                    text,
                    key,
                    now,
                    now,
                )
            )
        return rows

    columns = ("id", *(f.column for f in fields))
    batches = _built(build, _spans(len(records), BULK_BATCH))
    if len(records) >= BULK_TEXT_INDEX_FROM:
        with bulk_text_index(ids) as index_words:
            _insert_batches("assets_asset", columns, batches)
            return alongside(index_words, meanwhile)
    _insert_batches("assets_asset", columns, batches)
    return meanwhile()


def _db_value(model_field: Any) -> Any:
    """A function giving a field's database value as the ORM's get_db_prep_save would."""
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the per-access proxy
    if model_field.get_internal_type() == "JSONField":
        # JSONField.get_db_prep_save: None is SQL NULL; other values are JSON text. With the
        # default encoder, json_text writes what json.dumps would, faster. Both bulk paths take
        # text: SQLite stores it, PostgreSQL's COPY parses it as jsonb.
        if model_field.encoder is None:
            return lambda v: None if v is None else json_text(v)
        adapt, encoder = db.ops.adapt_json_value, model_field.encoder
        return lambda v: None if v is None else adapt(v, encoder)
    return lambda v: model_field.get_db_prep_save(v, db)


def _reserve_asset_ids(n: int) -> list[int]:
    """n ids for new assets, as the database's own sequence would give them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('assets_asset', 'id')) "
                "FROM generate_series(1, %s)",
                [n],
            )
            return [r[0] for r in cursor.fetchall()]
        # SQLite: the write lock is held (the import is one transaction), so the next ids are
        # ours. AUTOINCREMENT never reuses an id, so start after the highest ever given too.
        cursor.execute(
            "SELECT max(coalesce((SELECT max(id) FROM assets_asset), 0), "
            "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'assets_asset'), 0))"
        )
        first = cursor.fetchone()[0] + 1
    return list(range(first, first + n))


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
