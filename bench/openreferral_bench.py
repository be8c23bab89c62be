"""Benchmark: the Open Referral API's `/openreferral/services` pages of 50 at national scale.

Target: p95 <= 50 ms on SQLite at 1,000,000 assets. Run alone with
`python -m bench.openreferral_bench [--assets N --polygons N --requests N]`.

Method: the national synthetic database (bench/build.py, var/bench/national-*.sqlite3) is copied
to var/bench/openreferral-*.sqlite3 (so the shared database is never written) and the
openreferral tables are migrated into the copy. Requests go through the whole Django stack
(URL routing, middleware, the view, JSON encoding) with the test client, for pages spread
uniformly over the whole listing (page 1 to the last) plus first pages, after one warm-up
request whose time (the one scan that counts the public assets and remembers every 1000th id)
is reported separately. The peer/floor figure is the same page read by hand in raw SQL through
the driver (keyset on the remembered id), with no Django, mapping or JSON; the naive OFFSET
read is measured too, to show why the remembered ids are there.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from . import env
from .report import percentiles

TARGET_P95_MS = 50.0
PER_PAGE = 50


def bench_db(assets: int, polygons: int) -> Path:
    return env.BENCH_DIR / f"openreferral-{assets}-{polygons}.sqlite3"


def prepare(assets: int, polygons: int) -> Path:
    """A private copy of the national database with the openreferral tables."""
    source = env.national_db(assets, polygons)
    if not source.exists():
        raise SystemExit(
            f"{source} is missing: build it first (python -m bench search, or "
            f"python -m bench.worker build-national --assets {assets} --polygons {polygons})"
        )
    target = bench_db(assets, polygons)
    if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
        target.unlink(missing_ok=True)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
    return target


def run(scale: dict[str, Any] | None = None) -> dict[str, Any]:
    scale = scale or {}
    assets = int(scale.get("assets", 1_000_000))
    polygons = int(scale.get("polygons", 35_000))
    n_requests = int(scale.get("requests", 400))
    seed = int(scale.get("seed", 7))
    path = prepare(assets, polygons)
    env.use_database(env.sqlite_url(path))

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from livingmap.openreferral import schemas, selectors

    call_command("migrate", "openreferral", verbosity=0)
    client = Client()

    def get(url: str) -> tuple[float, Any]:
        started = time.perf_counter()
        response = client.get(url, HTTP_ACCEPT_ENCODING="identity")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content[:300]
        return elapsed, response

    selectors.forget_snapshot()
    cold_ms, first = get(f"/openreferral/services?per_page={PER_PAGE}")
    body = first.json()
    total, pages = body["total_items"], body["total_pages"]
    invalid = sum(len(schemas.errors("service_list", item)) for item in body["contents"])

    rng = random.Random(seed)
    wanted = [rng.randint(1, pages) for _ in range(n_requests)]
    wanted[: n_requests // 10] = [1] * (n_requests // 10)
    rng.shuffle(wanted)
    times = []
    for page in wanted:
        ms, response = get(f"/openreferral/services?per_page={PER_PAGE}&page={page}")
        times.append(ms)
        if page == pages // 2:
            data = response.json()
            invalid += sum(len(schemas.errors("service_list", i)) for i in data["contents"])
    last_ms, last = get(f"/openreferral/services?per_page={PER_PAGE}&page={pages}")
    assert last.json()["last_page"] is True

    # Peer / floor: the same page by keyset in raw SQL through the driver.
    snap = selectors._public_snapshot()
    cur = connection.cursor()
    peer = []
    for page in wanted:
        start = (page - 1) * PER_PAGE
        block = start // selectors.STRIDE
        t0 = time.perf_counter()
        cur.execute(
            "SELECT * FROM assets_asset WHERE visibility = 'public' AND kind <> 'gifts' "
            "AND id >= %s ORDER BY id LIMIT %s OFFSET %s",
            [snap.bounds[block], PER_PAGE, start - block * selectors.STRIDE],
        )
        cur.fetchall()
        peer.append((time.perf_counter() - t0) * 1000)
    naive = []
    for page in wanted[:20]:
        t0 = time.perf_counter()
        cur.execute(
            "SELECT * FROM assets_asset WHERE visibility = 'public' AND kind <> 'gifts' "
            "ORDER BY id LIMIT %s OFFSET %s",
            [PER_PAGE, (page - 1) * PER_PAGE],
        )
        cur.fetchall()
        naive.append((time.perf_counter() - t0) * 1000)
    figures = percentiles(times)
    return {
        "assets": assets,
        "public_services": total,
        "pages": pages,
        "requests": len(times),
        **{k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()},
        "mean": round(statistics.fmean(times), 2),
        "last_page_ms": round(last_ms, 2),
        "cold_first_request_ms": round(cold_ms, 1),
        "peer_raw_sql": {k: round(v, 2) for k, v in percentiles(peer).items()},
        "naive_offset_sql": {k: round(v, 2) for k, v in percentiles(naive).items()},
        "schema_errors_in_sampled_pages": invalid,
        "target_p95_ms": TARGET_P95_MS,
        "pass": figures["p95"] <= TARGET_P95_MS and invalid == 0,
        "method": __doc__.split("Method: ", 1)[1].strip().replace("\n", " "),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=1_000_000)
    parser.add_argument("--polygons", type=int, default=35_000)
    parser.add_argument("--requests", type=int, default=400)
    a = parser.parse_args()
    result = run({"assets": a.assets, "polygons": a.polygons, "requests": a.requests})
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
