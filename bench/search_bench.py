"""Benchmark 2: "words + within 2 km of a point" at national scale.

The figure is livingmap.assets.selectors.search_assets, the one search path pages and the API
use (first page of 20, total, counts by kind). Its peer is the same search written by hand in
raw SQL through the database driver, in the same run, query for query: the same bounding box and
full-text match, the exact distance filter and the ordering (nearest first, stale assets as if
twice as far, ties by id) in SQL, then the page's fields and categories.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from .report import percentiles

RADIUS_M = 2000.0
PAGE_SIZE = 20
#: Words people search for, from the very common to the rare. Counts of assets with each word
#: are measured and reported with the results.
COMMON_WORDS = ["club", "church", "park", "centre", "school", "football club"]
RARER_WORDS = ["library", "food bank", "allotments", "choir", "repair", "pantry", "mosque"]
#: In 40 % of all assets (every community group's kind is "Community groups and associations").
VERY_COMMON_WORDS = ["community"]


def sample_points(n: int, seed: int) -> list[tuple[float, float]]:
    """Points in populated places: random assets' locations, moved up to about 300 m."""
    from django.db import connection

    rng = random.Random(seed)
    with connection.cursor() as cur:
        cur.execute("SELECT max(id) FROM assets_asset")
        top = cur.fetchone()[0]
        ids = rng.sample(range(1, top + 1), min(top, n * 2))
        placeholders = ", ".join(["%s"] * len(ids))
        cur.execute(
            f"SELECT lon, lat FROM assets_asset WHERE id IN ({placeholders}) AND lat IS NOT NULL",
            ids,
        )
        rows = cur.fetchall()
    rng.shuffle(rows)
    return [
        (lon + rng.uniform(-0.004, 0.004), lat + rng.uniform(-0.0027, 0.0027))
        for lon, lat in rows[:n]
    ]


def queries(points: list[tuple[float, float]], seed: int) -> list[tuple[str, float, float]]:
    """(words, lon, lat): every point with a common and a rarer word; a few very common ones."""
    rng = random.Random(seed)
    out = []
    for k, (lon, lat) in enumerate(points):
        out.append((rng.choice(COMMON_WORDS), lon, lat))
        out.append((rng.choice(RARER_WORDS), lon, lat))
        if k % 10 == 0:
            out.append((rng.choice(VERY_COMMON_WORDS), lon, lat))
    rng.shuffle(out)
    return out


def app_search(words: str, lon: float, lat: float) -> tuple[int, list[int]]:
    from livingmap.assets.selectors import AssetQuery, search_assets

    results = search_assets(
        AssetQuery(words=words, near=(lon, lat), within_m=RADIUS_M, page_size=PAGE_SIZE)
    )
    return results.total, [h.asset.id for h in results.hits]


# -- the peer: the same search in raw SQL ------------------------------------------------------

_HAVERSINE = (
    "2 * 6371008.8 * asin(min(1.0, sqrt("
    "power(sin(radians(a.lat - :lat) / 2), 2) + "
    "cos(radians(:lat)) * cos(radians(a.lat)) * power(sin(radians(a.lon - :lon) / 2), 2))))"
)


def raw_sqlite_search(
    conn: Any, *, bm25: bool = False
) -> Callable[[str, float, float], tuple[int, list[int]]]:
    """The search in SQL on a plain sqlite3 connection (same schema, same indexes).

    bm25=True also computes FTS5's relevance and breaks distance ties by it, as Living Map did
    before: for information only, to show what bm25 costs (for every match it reads statistics
    over every asset in the country with the word).
    """
    rank_sql = "bm25(assets_asset_fts, 10.0, 1.0)" if bm25 else "0.0"
    from livingmap.assets.search import _fts5_query, place_band, words_of
    from livingmap.assets.selectors import STALE_PENALTY, stale_cutoff
    from livingmap.core.geo import BBox

    cutoff = connection_ops().adapt_datetimefield_value(stale_cutoff())

    def run(words: str, lon: float, lat: float) -> tuple[int, list[int]]:
        box = BBox.around(lon, lat, RADIUS_M)
        first_band, first_lon = place_band(box.min_lon, box.min_lat)
        last_band, last_lon = place_band(box.max_lon, box.max_lat)
        cells = box.lat_cells()
        params = {
            "lo": first_band << 48,
            "hi": (last_band << 48) | 0xFFFF_FFFF_FFFF,
            "lon_lo": first_lon,
            "lon_hi": last_lon,
            "min_lon": box.min_lon,
            "max_lon": box.max_lon,
            "min_lat": box.min_lat,
            "max_lat": box.max_lat,
            "lon": lon,
            "lat": lat,
            "r": RADIUS_M,
            "cutoff": cutoff,
            "penalty": STALE_PENALTY,
        }
        cell_list = ", ".join(str(int(c)) for c in cells)
        # The last word whole; as the start of a word only if that finds nothing.
        for prefix in (False, True):
            params["q"] = _fts5_query(words_of(words), prefix)
            rows = conn.execute(
                f"""
                WITH m AS MATERIALIZED (
                    SELECT rowid & 4294967295 AS id, {rank_sql} AS rank
                    FROM assets_asset_fts
                    WHERE assets_asset_fts MATCH :q AND rowid BETWEEN :lo AND :hi
                      AND ((rowid >> 32) & 65535) BETWEEN :lon_lo AND :lon_hi),
                d AS (
                    SELECT a.id, a.kind, m.rank, {_HAVERSINE} AS dist,
                        CASE WHEN a.last_verified_at >= :cutoff THEN 1.0 ELSE :penalty END AS penalty
                    FROM m JOIN assets_asset a ON a.id = m.id
                    WHERE a.visibility = 'public' AND a.kind <> 'gifts'
                      AND a.lat_cell IN ({cell_list})
                      AND a.lon BETWEEN :min_lon AND :max_lon AND a.lat BETWEEN :min_lat AND :max_lat)
                SELECT id, kind FROM d WHERE dist <= :r ORDER BY dist * penalty, rank, id""",
                params,
            ).fetchall()
            if rows:
                break
        page = [r[0] for r in rows[:PAGE_SIZE]]
        kinds: dict[str, int] = {}
        for _, kind in rows:
            kinds[kind] = kinds.get(kind, 0) + 1
        if page:
            marks = ", ".join("?" * len(page))
            conn.execute(
                "SELECT id, uuid, name, kind, address, postcode, lon, lat, website, "
                f"last_verified_at, description FROM assets_asset WHERE id IN ({marks})",
                page,
            ).fetchall()
            conn.execute(
                "SELECT ac.asset_id, c.id, c.slug, c.name FROM assets_asset_categories ac "
                f"JOIN assets_category c ON c.id = ac.category_id WHERE ac.asset_id IN ({marks})",
                page,
            ).fetchall()
        return len(rows), page

    return run


def raw_postgres_search(conn: Any) -> Callable[[str, float, float], tuple[int, list[int]]]:
    """The search in SQL on a plain psycopg connection."""
    from livingmap.assets.search import _tsquery, words_of
    from livingmap.assets.selectors import STALE_PENALTY, stale_cutoff
    from livingmap.core.geo import BBox

    def run(words: str, lon: float, lat: float) -> tuple[int, list[int]]:
        box = BBox.around(lon, lat, RADIUS_M)
        with conn.cursor() as cur:
            # The last word whole; as the start of a word only if that finds nothing.
            for prefix in (False, True):
                cur.execute(
                    """
                    WITH d AS (
                        SELECT id, kind,
                            CASE WHEN last_verified_at >= %(cutoff)s THEN 1.0 ELSE %(penalty)s END
                                AS penalty,
                            2 * 6371008.8 * asin(least(1.0, sqrt(
                                power(sin(radians(lat - %(lat)s) / 2), 2) +
                                cos(radians(%(lat)s)) * cos(radians(lat)) *
                                power(sin(radians(lon - %(lon)s) / 2), 2)))) AS dist
                        FROM assets_asset
                        WHERE search_vector @@ to_tsquery('livingmap_english', %(q)s)
                          AND visibility = 'public' AND kind <> 'gifts'
                          AND lat_cell = ANY(%(cells)s)
                          AND lon BETWEEN %(min_lon)s AND %(max_lon)s
                          AND lat BETWEEN %(min_lat)s AND %(max_lat)s)
                    SELECT id, kind FROM d WHERE dist <= %(r)s ORDER BY dist * penalty, id""",
                    {
                        "q": _tsquery(words_of(words), prefix),
                        "lat": lat,
                        "lon": lon,
                        "cells": box.lat_cells(),
                        "min_lon": box.min_lon,
                        "max_lon": box.max_lon,
                        "min_lat": box.min_lat,
                        "max_lat": box.max_lat,
                        "r": RADIUS_M,
                        "cutoff": stale_cutoff(),
                        "penalty": STALE_PENALTY,
                    },
                )
                rows = cur.fetchall()
                if rows:
                    break
            page = [r[0] for r in rows[:PAGE_SIZE]]
            if page:
                cur.execute(
                    "SELECT id, uuid, name, kind, address, postcode, lon, lat, website, "
                    "last_verified_at, description FROM assets_asset WHERE id = ANY(%s)",
                    [page],
                )
                cur.fetchall()
                cur.execute(
                    "SELECT ac.asset_id, c.id, c.slug, c.name FROM assets_asset_categories ac "
                    "JOIN assets_category c ON c.id = ac.category_id WHERE ac.asset_id = ANY(%s)",
                    [page],
                )
                cur.fetchall()
        return len(rows), page

    return run


def connection_ops() -> Any:
    from django.db import connection

    return connection.ops


def raw_connection() -> Any:
    """A plain driver connection to the database Django is using, set up the same way."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        import sqlite3

        conn = sqlite3.connect(settings["NAME"])
        init = settings.get("OPTIONS", {}).get("init_command", "")
        for pragma in init.split(";"):
            if pragma.strip():
                conn.execute(pragma)
        return conn
    import psycopg

    conn = psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    )
    return conn


def word_counts(words: list[str]) -> dict[str, int]:
    """How many assets have each searched word (to show which are common)."""
    from livingmap.assets.selectors import AssetQuery, search_assets

    return {w: search_assets(AssetQuery(words=w, page_size=1)).total for w in words}


def run(n_points: int, seed: int, progress: Callable[[int, int], None] | None = None) -> dict:
    from django.db import connection

    points = sample_points(n_points, seed)
    qs = queries(points, seed)
    raw_conn = raw_connection()
    raw = (raw_sqlite_search if connection.vendor == "sqlite" else raw_postgres_search)(raw_conn)
    # Warm both paths (page cache, statement caches) on queries that are not measured.
    for words, lon, lat in queries(points[: min(20, len(points))], seed + 1):
        app_search(words, lon, lat)
        raw(words, lon, lat)
    plain = raw_sqlite_search(raw_conn, bm25=True) if connection.vendor == "sqlite" else None
    app_ms: list[float] = []
    raw_ms: list[float] = []
    plain_ms: list[float] = []
    by_word: dict[str, list[tuple[float, float]]] = {}
    mismatches = 0
    totals = []
    for k, (words, lon, lat) in enumerate(qs):
        order = (app_search, raw) if k % 2 == 0 else (raw, app_search)
        timings = {}
        answers = {}
        for fn in order:
            started = time.perf_counter()
            answers[fn] = fn(words, lon, lat)
            timings[fn] = (time.perf_counter() - started) * 1000
        if plain is not None:
            started = time.perf_counter()
            plain(words, lon, lat)
            plain_ms.append((time.perf_counter() - started) * 1000)
        app_ms.append(timings[app_search])
        raw_ms.append(timings[raw])
        by_word.setdefault(words, []).append((timings[app_search], timings[raw]))
        totals.append(answers[app_search][0])
        if answers[app_search] != answers[raw]:
            mismatches += 1
        if progress:
            progress(k + 1, len(qs))
    raw_conn.close()
    app_p = percentiles(app_ms)
    raw_p = percentiles(raw_ms)
    words = {
        w: {
            "queries": len(v),
            "app_p50": statistics.median(a for a, _ in v),
            "app_p95": percentiles([a for a, _ in v])["p95"],
            "raw_p50": statistics.median(r for _, r in v),
            "raw_p95": percentiles([r for _, r in v])["p95"],
        }
        for w, v in sorted(by_word.items())
    }
    counts = word_counts(sorted(by_word))
    for w in words:
        words[w]["assets_with_word"] = counts[w]
    typical = [a for (w, _, _), a in zip(qs, app_ms, strict=True) if w not in VERY_COMMON_WORDS]
    typical_raw = [r for (w, _, _), r in zip(qs, raw_ms, strict=True) if w not in VERY_COMMON_WORDS]
    return {
        "vendor": connection.vendor,
        "queries": len(qs),
        "points": len(points),
        "radius_m": RADIUS_M,
        "app": app_p,
        "raw": raw_p,
        "ratio_p95": app_p["p95"] / raw_p["p95"] if raw_p["p95"] else math.nan,
        "raw_with_bm25": percentiles(plain_ms) if plain_ms else None,
        "typical_app": percentiles(typical),
        "typical_raw": percentiles(typical_raw),
        "mismatches": mismatches,
        "mean_hits": statistics.mean(totals) if totals else 0,
        "words": words,
    }
