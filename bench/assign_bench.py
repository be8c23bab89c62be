"""Benchmark 3: which LSOA-like polygon each of the national assets lies in.

livingmap's computation (core.geo.AreaIndex, as assets.services.assign_areas uses it) against
GeoPandas' sjoin, on the same points and polygons, in the same run; then storing the links.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import numpy as np


def run(repeats: int = 3, progress: Callable[[str], None] | None = None) -> dict:
    import geopandas as gpd
    from django.db import connection, transaction

    from livingmap.assets.services import _insert_rows, reassign_all
    from livingmap.core.geo import AreaIndex

    from .build import load_points, load_polygons

    say = progress or (lambda _msg: None)
    say("reading points and polygons")
    asset_ids, lons, lats = load_points()
    keys, polygons = load_polygons()

    def ours() -> tuple[np.ndarray, np.ndarray]:
        index = AreaIndex(keys, polygons)
        return index.points_in(lons, lats)

    def theirs() -> object:
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326")
        areas = gpd.GeoDataFrame({"area_id": keys}, geometry=list(polygons), crs="EPSG:4326")
        return gpd.sjoin(points, areas, predicate="intersects", how="inner")

    times_ours, times_theirs = [], []
    pairs_ours = pairs_theirs = 0
    for k in range(repeats):
        for fn in (ours, theirs) if k % 2 == 0 else (theirs, ours):
            say(f"run {k + 1} of {repeats}: {'livingmap' if fn is ours else 'GeoPandas'}")
            started = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - started
            if fn is ours:
                times_ours.append(elapsed)
                pairs_ours = len(result[0])
            else:
                times_theirs.append(elapsed)
                pairs_theirs = len(result)
            del result
    # For the record: livingmap on one thread (the figure above uses the machine's cores).
    from livingmap.core import geo

    threads, geo.MAX_THREADS = geo.MAX_THREADS, 1
    try:
        started = time.perf_counter()
        ours()
        one_thread = time.perf_counter() - started
    finally:
        geo.MAX_THREADS = threads
    # sjoin alone, with the frames built beforehand.
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326")
    areas = gpd.GeoDataFrame({"area_id": keys}, geometry=list(polygons), crs="EPSG:4326")
    started = time.perf_counter()
    gpd.sjoin(points, areas, predicate="intersects", how="inner")
    sjoin_only = time.perf_counter() - started
    del points, areas

    say("storing the links")
    point_pos, area_pos = ours()
    key_arr = np.asarray(keys, dtype=np.int64)
    links = list(zip(key_arr[area_pos].tolist(), asset_ids[point_pos].tolist(), strict=True))
    with transaction.atomic():
        started = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("DELETE FROM assets_assetarea")
        delete_s = time.perf_counter() - started
        started = time.perf_counter()
        _insert_rows("assets_assetarea", ("area_id", "asset_id"), links)
        store_s = time.perf_counter() - started
    say("reassign_all (every asset, end to end)")
    started = time.perf_counter()
    reassigned = reassign_all()
    reassign_s = time.perf_counter() - started
    import geopandas

    return {
        "points": len(lons),
        "polygons": len(keys),
        "repeats": repeats,
        "livingmap_s": statistics.median(times_ours),
        "geopandas_s": statistics.median(times_theirs),
        "livingmap_all_s": times_ours,
        "geopandas_all_s": times_theirs,
        "sjoin_only_s": sjoin_only,
        "livingmap_one_thread_s": one_thread,
        "threads": min(geo.MAX_THREADS, os.cpu_count() or 1),
        "livingmap_pairs": pairs_ours,
        "geopandas_pairs": pairs_theirs,
        "geopandas_version": geopandas.__version__,
        "links": len(links),
        "delete_s": delete_s,
        "store_s": store_s,
        "reassign_all_s": reassign_s,
        "reassigned_links": reassigned,
    }
