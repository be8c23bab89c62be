"""Building the benchmark databases: once, then reused while they are of the right scale.

This is set-up, not what is measured, so it takes fast bulk paths (raw executemany inside one
transaction) rather than the import framework; the FTS triggers and indexes of the real schema
are in place while rows go in, so the result is the database an import would leave.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely

from .synth import SyntheticAreas, SyntheticAssets

#: Bump when the generator or the build changes, so that old databases are rebuilt.
BUILD_VERSION = "10"
DATASET_SLUG = "bench-synthetic"

Progress = Callable[[str, int, int], None]

#: Columns of assets_asset the set-up writes besides the record's own (the assets schema's
#: stored fields, livingmap/assets/records.py).
OTHER_ASSET_COLUMNS = (
    "id",
    "uuid",
    "lat_cell",
    "service_area",
    "extra",
    "last_verified_at",
    "created_at",
    "updated_at",
    "search_text",
)


def asset_columns() -> tuple[str, ...]:
    """The columns of the set-up's asset rows, in order (the schema's fields first)."""
    from livingmap.assets.records import STORED_FIELDS

    return (*STORED_FIELDS, *OTHER_ASSET_COLUMNS)


def asset_row_maker() -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function giving an asset row (for `asset_columns`) from the values a row has: every
    other field of the schema blank, as an import stores it."""
    import operator

    from livingmap.assets.records import ASSET_SCHEMA

    blank = {f.name: f.blank for f in ASSET_SCHEMA if f.stored}
    blank.update(dict.fromkeys(OTHER_ASSET_COLUMNS))
    blank["extra"] = "{}"
    ordered = operator.itemgetter(*asset_columns())

    def row(values: dict[str, Any]) -> tuple[Any, ...]:
        return ordered({**blank, **values})

    return row


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def prepare_schema() -> Any:
    """Migrate, create the taxonomy and the synthetic data set; returns the Dataset."""
    from livingmap.assets.taxonomy import ensure_taxonomy
    from livingmap.core.models import Dataset

    migrate()
    ensure_taxonomy()
    dataset, _ = Dataset.objects.get_or_create(
        slug=DATASET_SLUG,
        defaults={"name": "Synthetic national benchmark data", "licence": "CC0"},
    )
    return dataset


def meta_get(key: str) -> str | None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key varchar(50) PRIMARY KEY, value text)"
        )
        cur.execute("SELECT value FROM bench_meta WHERE key = %s", [key])
        row = cur.fetchone()
    return row[0] if row else None


def meta_set(key: str, value: str) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key varchar(50) PRIMARY KEY, value text)"
        )
        cur.execute("DELETE FROM bench_meta WHERE key = %s", [key])
        cur.execute("INSERT INTO bench_meta (key, value) VALUES (%s, %s)", [key, value])


def _chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield start, min(n, start + size)


def insert_areas(areas: SyntheticAreas, dataset_id: int, progress: Progress | None = None) -> None:
    """The LSOA-like polygons as current 2021 LSOAs (bulk set-up)."""
    from django.db import connection, transaction

    geoms = np.asarray(areas.geometries, dtype=object)
    geojson = shapely.to_geojson(shapely.set_precision(geoms, 1e-6))
    bounds = shapely.bounds(geoms)
    points = shapely.point_on_surface(geoms)
    px, py = shapely.get_x(points), shapely.get_y(points)
    now = connection.ops.adapt_datetimefield_value(datetime.now(UTC))
    rows = [
        (
            "lsoa",
            areas.codes[i],
            2021,
            True,
            areas.names[i],
            f"{areas.codes[i].lower()}-2021",
            "",
            "statutory",
            str(geojson[i]),
            float(bounds[i, 0]),
            float(bounds[i, 1]),
            float(bounds[i, 2]),
            float(bounds[i, 3]),
            float(px[i]),
            float(py[i]),
            None,
            now,
            dataset_id,
            None,
        )
        for i in range(len(geoms))
    ]
    sql = (
        "INSERT INTO areas_area (level, gss_code, vintage, is_current, name, slug, description, "
        "origin, geometry, min_lon, min_lat, max_lon, max_lat, point_lon, point_lat, "
        "land_area_m2, updated_at, source_id, parent_id) VALUES (" + ", ".join(["%s"] * 19) + ")"
    )
    with transaction.atomic(), connection.cursor() as cur:
        for start, end in _chunks(len(rows), 5000):
            cur.executemany(sql, rows[start:end])
            if progress:
                progress("areas", end, len(rows))


def search_text(
    category_name: str, kind_label: str, description: str, address: str, postcode: str
) -> str:
    """What livingmap.assets.services.search_text_for gives for an asset with one category."""
    return " ".join(p for p in (category_name, kind_label, description, address, postcode) if p)


def asset_rows(
    data: SyntheticAssets, start: int, end: int, first_id: int, when: datetime
) -> list[tuple[Any, ...]]:
    """Rows for `asset_columns()`, as the import path would store them."""
    from django.db import connection

    from livingmap.assets.models import AssetKind
    from livingmap.assets.taxonomy import CATEGORIES
    from livingmap.core.geo import lat_cell

    native_uuid = connection.features.has_native_uuid_field
    stamp = connection.ops.adapt_datetimefield_value(when)
    labels = {k.value: str(k.label) for k in AssetKind}
    cat_names = {slug: v[0] for slug, v in CATEGORIES.items()}
    lons, lats = data.lon[start:end].tolist(), data.lat[start:end].tolist()
    make_row = asset_row_maker()
    rows = []
    for j, i in enumerate(range(start, end)):
        kind = data.kind[i]
        u = uuid.uuid4()
        rows.append(
            make_row(
                {
                    "id": first_id + i,
                    "uuid": u if native_uuid else u.hex,
                    "name": data.name[i],
                    "kind": kind,
                    "description": data.description[i],
                    "address": data.address[i],
                    "postcode": data.postcode[i],
                    "lon": lons[j],
                    "lat": lats[j],
                    "lat_cell": lat_cell(lats[j]),
                    "visibility": "private" if kind == AssetKind.GIFTS else "public",
                    # One asset in three verified recently (by its admins); the rest never, as
                    # imported open data is: search ranks stale ones lower, so both must occur.
                    "last_verified_at": stamp if i % 3 == 0 else None,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "search_text": search_text(
                        cat_names[data.category[i]],
                        labels[kind],
                        data.description[i],
                        data.address[i],
                        data.postcode[i],
                    ),
                }
            )
        )
    return rows


def insert_assets(
    data: SyntheticAssets, progress: Progress | None = None, batch: int = 20_000
) -> None:
    """Every synthetic asset with its category (bulk set-up; ids 1..n)."""
    from django.db import connection, transaction

    from livingmap.assets.models import Category

    cats = dict(Category.objects.values_list("slug", "id"))
    columns = asset_columns()
    sql = (
        f"INSERT INTO assets_asset ({', '.join(columns)}) VALUES "
        f"({', '.join(['%s'] * len(columns))})"
    )
    link_sql = "INSERT INTO assets_asset_categories (asset_id, category_id) VALUES (%s, %s)"
    when = datetime.now(UTC)
    if connection.vendor == "postgresql":
        _copy_assets_postgres(data, cats, when, progress, batch)
        return
    with transaction.atomic(), connection.cursor() as cur, _without_indexes(cur, progress):
        for start, end in _chunks(len(data), batch):
            cur.executemany(sql, asset_rows(data, start, end, 1, when))
            cur.executemany(link_sql, [(i + 1, cats[data.category[i]]) for i in range(start, end)])
            if progress:
                progress("assets", end, len(data))
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('assets_asset', 'id'), "
                "(SELECT max(id) FROM assets_asset))"
            )


def _copy_assets_postgres(
    data: SyntheticAssets,
    cats: dict[str, int],
    when: datetime,
    progress: Progress | None,
    batch: int,
) -> None:
    """PostgreSQL set-up: COPY with the secondary indexes set aside, then rebuilt."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
            "('assets_asset', 'assets_asset_categories') "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        saved = cur.fetchall()
        for name, _ in saved:
            cur.execute(f'DROP INDEX "{name}"')
        raw = cur.cursor
        columns = ", ".join(asset_columns())
        with raw.copy(f"COPY assets_asset ({columns}) FROM STDIN") as copy:
            for start, end in _chunks(len(data), batch):
                for row in asset_rows(data, start, end, 1, when):
                    copy.write_row(row)
                if progress:
                    progress("assets", end, len(data))
        with raw.copy("COPY assets_asset_categories (asset_id, category_id) FROM STDIN") as copy:
            for i in range(len(data)):
                copy.write_row((i + 1, cats[data.category[i]]))
        # Check the deferred foreign keys now: PostgreSQL builds no index over pending checks.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for step, (_, sql) in enumerate(saved, start=1):
            cur.execute(sql)
            if progress:
                progress("indexes", step, len(saved))
        for table in ("assets_asset", "assets_asset_categories"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )


@contextmanager
def _without_indexes(cur: Any, progress: Progress | None) -> Iterator[None]:
    """SQLite only: drop the asset tables' secondary indexes and the FTS insert trigger, then
    put them back (the same SQL, from sqlite_master) and index the text in one pass."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    cur.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN "
        "('assets_asset', 'assets_asset_categories') AND sql IS NOT NULL "
        "AND (type = 'index' OR (type = 'trigger' AND name = 'assets_asset_fts_ai'))"
    )
    saved = cur.fetchall()
    for kind, name, _ in saved:
        cur.execute(f'DROP {kind.upper()} "{name}"')
    yield
    for step, (_, _, sql) in enumerate(saved, start=1):
        cur.execute(sql)
        if progress:
            progress("indexes", step, len(saved) + 1)
    from livingmap.assets.search import place_key_sql

    cur.execute(
        "INSERT INTO assets_asset_fts(rowid, name, search_text) "
        f"SELECT {place_key_sql('assets_asset')} AS k, name, search_text FROM assets_asset "
        "ORDER BY k"
    )
    if progress:
        progress("indexes", len(saved) + 1, len(saved) + 1)


def national_is_ready(assets: int, polygons: int) -> bool:
    from django.db import connection

    try:
        return meta_get("complete") == json.dumps([BUILD_VERSION, assets, polygons])
    except Exception:
        connection.close()
        return False


def build_national(
    data: SyntheticAssets, areas: SyntheticAreas, progress: Progress | None = None
) -> None:
    dataset = prepare_schema()
    insert_areas(areas, dataset.id, progress)
    insert_assets(data, progress)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE assets_asset")
    meta_set("complete", json.dumps([BUILD_VERSION, len(data), len(areas.codes)]))


def load_points() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, lons, lats) of every located asset, in id order."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id, lon, lat FROM assets_asset WHERE lat IS NOT NULL ORDER BY id")
        rows = cur.fetchall()
    arr = np.array(rows, dtype=float)
    return arr[:, 0].astype(np.int64), arr[:, 1].copy(), arr[:, 2].copy()


def load_polygons() -> tuple[list[int], Sequence[Any]]:
    """(ids, shapely geometries) of the LSOA-like areas, as stored."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id, geometry FROM areas_area WHERE level = 'lsoa' ORDER BY id")
        rows = cur.fetchall()
    ids = [r[0] for r in rows]
    geoms = shapely.from_geojson(
        [r[1] if isinstance(r[1], str) else json.dumps(r[1]) for r in rows]
    )
    return ids, list(geoms)
