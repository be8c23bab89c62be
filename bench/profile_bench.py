"""Benchmark: a neighbourhood profile page at national scale (1M assets, 35k LSOA-like polygons).

Set-up (not measured) works on a COPY of the cached national database (never the cached file
itself): it migrates the copy, gives every LSOA a synthetic population and IMD rank and decile,
makes neighbourhoods of adjacent LSOAs, and records which LSOA and neighbourhood each asset lies
in (vectorised point-in-polygon, bulk insert). The copy is kept in var/bench/ and reused.

Measured: the full profile page (/neighbourhoods/<slug>/profile/) rendered through Django's test
Client, many times over every neighbourhood, after the aggregates are built; and the time to
rebuild the aggregates (services.refresh_aggregates) after the data changed. Target: p95 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from . import env
from .report import percentiles

TARGET_MS = 100.0
VERSION = "2"  # 2: indicator values carry their period
NEIGHBOURHOODS = 24
LSOAS_PER_NEIGHBOURHOOD = 60
DEFAULT_SCALE = {"assets": 1_000_000, "polygons": 35_000, "requests": 300}


def copy_path(assets: int, polygons: int) -> Path:
    return env.BENCH_DIR / f"profile-{assets}-{polygons}.sqlite3"


def _ready(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        row = con.execute("SELECT value FROM profile_bench_meta WHERE key='version'").fetchone()
        con.close()
        return bool(row and row[0] == VERSION)
    except sqlite3.Error:
        return False


def prepare(assets: int, polygons: int) -> Path:
    """Copy the national database (once) for this benchmark; returns the copy's path."""
    source = env.national_db(assets, polygons)
    target = copy_path(assets, polygons)
    if _ready(target):
        return target
    if not source.exists():
        raise SystemExit(
            f"{source} is missing: run `python -m bench` (or bench.worker build_national) first"
        )
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    src.backup(dst)  # a consistent copy, even of a WAL database; the source is only read
    src.close()
    dst.close()
    return target


def populate() -> dict[str, Any]:
    """Synthetic need and neighbourhoods in the (migrated) copy. Django must be set up."""
    import shapely
    from django.db import connection, transaction

    from livingmap.areas.models import Area, AreaComponent, AreaLevel, Indicator, IndicatorValue
    from livingmap.areas.periods import reference_date
    from livingmap.areas.services import mark_latest_period, record_period
    from livingmap.core.models import Dataset

    started = time.perf_counter()
    rng = random.Random(7)
    with transaction.atomic():
        dataset, _ = Dataset.objects.get_or_create(
            slug="bench-need", defaults={"name": "Synthetic need", "licence": "CC0"}
        )
        ind = {}
        period = {}
        for order, (slug, rollup) in enumerate(
            [
                ("population", Indicator.Rollup.SUM),
                ("imd-rank", Indicator.Rollup.RANK),
                ("imd-decile", Indicator.Rollup.DECILE),
                ("income-rank", Indicator.Rollup.RANK),
                ("income-decile", Indicator.Rollup.DECILE),
            ]
        ):
            ind[slug], _ = Indicator.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": slug.replace("-", " ").title(),
                    "unit": "",
                    "source": dataset,
                    "release": "synthetic",
                    "rollup": rollup,
                    "order": order,
                },
            )
            period[slug] = record_period(
                indicator=ind[slug],
                span=reference_date(date(2024, 6, 30)),
                source=dataset,
                release="synthetic",
            )
            mark_latest_period(indicator=ind[slug])
        lsoas = list(
            Area.objects.filter(level=AreaLevel.LSOA).values_list(
                "id", "point_lon", "point_lat", "geometry"
            )
        )
        values = []
        for area_id, *_ in lsoas:
            rank = rng.randint(1, 32_844)
            income = max(1, min(32_844, rank + rng.randint(-3000, 3000)))
            values += [
                IndicatorValue(
                    indicator=ind["population"],
                    period=period["population"],
                    area_id=area_id,
                    value=rng.randint(1000, 3000),
                ),
                IndicatorValue(
                    indicator=ind["imd-rank"],
                    period=period["imd-rank"],
                    area_id=area_id,
                    value=rank,
                ),
                IndicatorValue(
                    indicator=ind["imd-decile"],
                    period=period["imd-decile"],
                    area_id=area_id,
                    value=min(10, 1 + (rank - 1) * 10 // 32_844),
                ),
                IndicatorValue(
                    indicator=ind["income-rank"],
                    period=period["income-rank"],
                    area_id=area_id,
                    value=income,
                ),
                IndicatorValue(
                    indicator=ind["income-decile"],
                    period=period["income-decile"],
                    area_id=area_id,
                    value=min(10, 1 + (income - 1) * 10 // 32_844),
                ),
            ]
        IndicatorValue.objects.bulk_create(values, batch_size=5000)
        # Neighbourhoods: the LSOAs nearest a random LSOA's point, with their outline as boundary.
        pts = np.array([[r[1], r[2]] for r in lsoas])
        geoms = shapely.from_geojson([json.dumps(r[3]) for r in lsoas], on_invalid="ignore")
        hood_members: dict[int, list[int]] = {}
        for n in range(NEIGHBOURHOODS):
            seed = rng.randrange(len(lsoas))
            d = (pts[:, 0] - pts[seed, 0]) ** 2 + (pts[:, 1] - pts[seed, 1]) ** 2
            members = np.argsort(d)[:LSOAS_PER_NEIGHBOURHOOD].tolist()
            outline = shapely.union_all(geoms[members]).envelope
            minx, miny, maxx, maxy = outline.bounds
            hood = Area.objects.create(
                level=AreaLevel.NEIGHBOURHOOD,
                vintage=2024,
                name=f"Bench neighbourhood {n + 1}",
                slug=f"bench-hood-{n + 1}",
                origin=Area.Origin.BUILT,
                geometry=shapely.geometry.mapping(outline),
                min_lon=minx,
                min_lat=miny,
                max_lon=maxx,
                max_lat=maxy,
                point_lon=(minx + maxx) / 2,
                point_lat=(miny + maxy) / 2,
            )
            hood_members[hood.id] = [lsoas[i][0] for i in members]
            AreaComponent.objects.bulk_create(
                [
                    AreaComponent(neighbourhood=hood, component_id=lsoas[i][0], share=1.0)
                    for i in members
                ]
            )
        # Which LSOA each asset lies in (vectorised), and so which neighbourhood.
        tree = shapely.STRtree(geoms)
        lsoa_ids = np.array([r[0] for r in lsoas])
        in_hood: dict[int, list[int]] = {}
        for hood_id, members in hood_members.items():
            for lsoa_id in members:
                in_hood.setdefault(lsoa_id, []).append(hood_id)
        with connection.cursor() as cur:
            cur.execute("SELECT id, lon, lat FROM assets_asset WHERE lat IS NOT NULL ORDER BY id")
            rows = np.array(cur.fetchall(), dtype=float)
            links = 0
            for start in range(0, len(rows), 100_000):
                part = rows[start : start + 100_000]
                p_idx, g_idx = tree.query(
                    shapely.points(part[:, 1], part[:, 2]), predicate="within"
                )
                batch = []
                for p, g in zip(p_idx.tolist(), g_idx.tolist(), strict=True):
                    asset_id, lsoa_id = int(part[p, 0]), int(lsoa_ids[g])
                    batch.append((asset_id, lsoa_id))
                    batch.extend((asset_id, h) for h in in_hood.get(lsoa_id, ()))
                cur.executemany(
                    "INSERT OR IGNORE INTO assets_assetarea (asset_id, area_id) VALUES (%s, %s)",
                    batch,
                )
                links += len(batch)
        cur = connection.cursor()
        cur.execute(
            "CREATE TABLE IF NOT EXISTS profile_bench_meta (key TEXT PRIMARY KEY, value TEXT)"
        )
        cur.execute("INSERT OR REPLACE INTO profile_bench_meta VALUES ('version', %s)", [VERSION])
    return {"links": links, "seconds": time.perf_counter() - started}


def run(scale: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build (or reuse) the copy, then measure. Must run in a fresh process (it sets up Django)."""
    scale = {**DEFAULT_SCALE, **(scale or {})}
    assets, polygons, requests = scale["assets"], scale["polygons"], scale["requests"]
    path = prepare(assets, polygons)
    fresh = not _ready(path)
    env.use_database(env.sqlite_url(path))
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    setup = populate() if fresh else {"links": None, "seconds": 0.0}

    from django.test import Client

    from livingmap.areas.models import Area
    from livingmap.insights import services

    services.mark_dirty()
    t = time.perf_counter()
    report = services.refresh_aggregates()
    refresh_s = time.perf_counter() - t
    slugs = list(Area.objects.neighbourhoods().values_list("slug", flat=True))
    client = Client()
    for slug in slugs:  # warm: templates compiled, caches of the process filled
        assert client.get(f"/neighbourhoods/{slug}/profile/").status_code == 200
    times = []
    for i in range(requests):
        slug = slugs[i % len(slugs)]
        t = time.perf_counter()
        response = client.get(f"/neighbourhoods/{slug}/profile/")
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200
    figures = percentiles(times)
    # A change in the data: the next page is served from the last build and the rebuild runs
    # after its response is sent (request_finished); measured apart.
    # (RequestFactory and the view, since the test Client would fire request_finished inside
    # the timed call.)
    from django.core.signals import request_finished
    from django.test import RequestFactory

    from livingmap.insights.views import profile

    services.mark_dirty()
    t = time.perf_counter()
    response = profile(RequestFactory().get(f"/neighbourhoods/{slugs[0]}/profile/"), slugs[0])
    stale_ms = (time.perf_counter() - t) * 1000
    assert response.status_code == 200
    t = time.perf_counter()
    request_finished.send(sender=None)
    deferred_s = time.perf_counter() - t
    deferred_ok = services.is_fresh()
    t = time.perf_counter()
    services.fingerprint()
    fingerprint_ms = (time.perf_counter() - t) * 1000
    return {
        "name": "Neighbourhood profile page",
        "assets": assets,
        "polygons": polygons,
        "neighbourhoods": len(slugs),
        "requests": requests,
        "p50_ms": round(figures["p50"], 2),
        "p95_ms": round(figures["p95"], 2),
        "p99_ms": round(figures["p99"], 2),
        "target": f"p95 ≤ {TARGET_MS:g} ms",
        "pass": figures["p95"] <= TARGET_MS,
        "refresh_s": round(refresh_s, 2),
        "refresh_counts": report.counts,
        "first_request_after_change_ms": round(stale_ms, 1),
        "rebuilt_after_that_response": deferred_ok,
        "deferred_rebuild_s": round(deferred_s, 2),
        "fingerprint_ms": round(fingerprint_ms, 3),
        "setup_s": round(setup["seconds"], 1),
        "method": (
            "A copy of the national benchmark database (1M synthetic assets, 35k LSOA-like "
            f"polygons) is given synthetic population and IMD ranks and {len(slugs)} "
            f"neighbourhoods of {LSOAS_PER_NEIGHBOURHOOD} LSOAs; each asset's LSOA and "
            "neighbourhood are stored. The aggregates (public assets per area and kind or "
            "category, a profile snapshot per neighbourhood and for the whole area, LSOA "
            "centres) are rebuilt once (refresh_s), then the full profile page is requested "
            f"{requests} times through Django's test Client, round-robin over the "
            "neighbourhoods; each request also checks the aggregates' freshness fingerprint."
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=DEFAULT_SCALE["assets"])
    parser.add_argument("--polygons", type=int, default=DEFAULT_SCALE["polygons"])
    parser.add_argument("--requests", type=int, default=DEFAULT_SCALE["requests"])
    a = parser.parse_args()
    result = run({"assets": a.assets, "polygons": a.polygons, "requests": a.requests})
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
