"""Benchmark 4: a CSV of assets through the import framework, against a raw executemany floor.

Each measurement starts from a fresh copy of a template database holding only the schema, the
taxonomy and the LSOA-like polygons.
"""

from __future__ import annotations

import csv
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .env import BENCH_DIR


def template_path(polygons: int) -> Path:
    return BENCH_DIR / f"import-template-{polygons}.sqlite3"


def fresh_copy(template: Path, name: str) -> Path:
    target = BENCH_DIR / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)
    return target


def csv_rows_as_asset_rows(path: Path) -> list[tuple[Any, ...]]:
    """The CSV's rows as assets_asset rows (prepared before timing the floor)."""
    import uuid

    from livingmap.assets.models import AssetKind
    from livingmap.assets.taxonomy import CATEGORIES
    from livingmap.core.geo import lat_cell

    from .build import asset_row_maker, search_text

    make_row = asset_row_maker()

    labels = {k.value: str(k.label) for k in AssetKind}
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for i, r in enumerate(csv.DictReader(handle), start=1):
            lon, lat = float(r["lon"]), float(r["lat"])
            rows.append(
                make_row(
                    {
                        "id": i,
                        "uuid": uuid.uuid4().hex,
                        "name": r["name"],
                        "kind": r["kind"],
                        "description": r["description"],
                        "address": r["address"],
                        "postcode": r["postcode"],
                        "lon": lon,
                        "lat": lat,
                        "lat_cell": lat_cell(lat),
                        "website": ("https://" + r["website"]) if r["website"] else "",
                        "phone": r["phone"],
                        "visibility": "private" if r["kind"] == "gifts" else "public",
                        "created_at": stamp,
                        "updated_at": stamp,
                        "search_text": search_text(
                            CATEGORIES[r["category"]][0],
                            labels[r["kind"]],
                            r["description"],
                            r["address"],
                            r["postcode"],
                        ),
                    }
                )
            )
    return rows


def floor(db: Path, rows: list[tuple[Any, ...]], *, bulk_index: bool) -> float:
    """Seconds to executemany the rows into assets_asset in one transaction (plain sqlite3)."""
    import sqlite3

    from livingmap.assets.search import place_key_sql

    from .build import asset_columns

    columns = asset_columns()
    conn = sqlite3.connect(db, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):
        conn.execute(f"PRAGMA {pragma}")
    sql = (
        f"INSERT INTO assets_asset ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    )
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    if bulk_index:
        trigger = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'assets_asset_fts_ai'"
        ).fetchone()[0]
        conn.execute("DROP TRIGGER assets_asset_fts_ai")
    conn.executemany(sql, rows)
    if bulk_index:
        conn.execute(
            "INSERT INTO assets_asset_fts(rowid, name, search_text) "
            f"SELECT {place_key_sql('assets_asset')} AS k, name, search_text FROM assets_asset "
            "ORDER BY k"
        )
        conn.execute(trigger)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def run_import(csv_path: Path, *, measure_reading: bool = True) -> dict[str, Any]:
    """Runs in a process whose Django database is a fresh copy of the template."""
    from django.db import connection

    from .importer import SyntheticCsvImporter

    started = time.perf_counter()
    report = SyntheticCsvImporter(csv_path).run(commit=True)
    elapsed = time.perf_counter() - started
    if report.error:
        raise RuntimeError(report.error)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM assets_assetarea")
        links = cur.fetchone()[0]
        if connection.vendor == "sqlite":
            cur.execute("SELECT count(*) FROM assets_asset_fts")
        else:
            cur.execute("SELECT count(*) FROM assets_asset WHERE search_vector IS NOT NULL")
        fts_rows = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM assets_asset")
        assets = cur.fetchone()[0]
    # The words of an imported row are found by the search, near its place.
    from livingmap.assets.selectors import AssetQuery, search_assets

    with connection.cursor() as cur:
        cur.execute(
            "SELECT name, lon, lat FROM assets_asset WHERE id = (SELECT max(id) FROM assets_asset)"
        )
        name, lon, lat = cur.fetchone()
    found = search_assets(AssetQuery(words=name, near=(lon, lat), within_m=100))
    result = {
        "import_s": elapsed,
        "read": report.read,
        "created": report.created,
        "updated": report.updated,
        "rejected": len(report.rejected),
        "warnings": len(report.warnings),
        "links": links,
        "fts_rows": fts_rows,
        "assets": assets,
        "search_finds_last_row": any(h.asset.name == name for h in found.hits),
    }
    if not measure_reading:
        return result
    # For the report: how much of that is reading the CSV and `transform` (no database).
    importer = SyntheticCsvImporter(csv_path)
    started = time.perf_counter()
    for label, row in importer.read_rows():
        importer.transform(row, label)
    read_s = time.perf_counter() - started
    result["phases"] = {
        "reading the CSV and `transform` (framework helpers), measured apart; in the import a "
        "second process does this while the rows read before are written": read_s,
    }
    return result


# -- the same on PostgreSQL (for information) ----------------------------------------------------

NEW_ROW_TABLES = (
    "assets_asset",
    "assets_assetsource",
    "assets_asset_categories",
    "assets_assetarea",
    "core_importevent",
)


def empty_postgres_tables(url: str) -> None:
    """Back to the template state: the polygons and taxonomy, no assets (vacuumed, so that each
    run starts from the same tables)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(NEW_ROW_TABLES)} RESTART IDENTITY CASCADE")
        conn.execute(f"VACUUM ANALYZE {', '.join(NEW_ROW_TABLES)}")


def copy_floor(url: str, rows: list[tuple[Any, ...]]) -> float:
    """Seconds to COPY the rows into assets_asset in one transaction (plain psycopg), the
    fastest way into PostgreSQL: the floor for the PostgreSQL import."""
    import psycopg

    from .build import asset_columns

    columns = ", ".join(asset_columns())
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        with cur.copy(f"COPY assets_asset ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started
