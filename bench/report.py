"""Figures, machine facts, and docs/benchmarks.md."""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .env import DOC, RESULTS_JSON

RESULTS_MARK = "<!-- results: written by `python -m bench`; everything below is replaced -->"


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": math.nan, "p95": math.nan, "p99": math.nan, "n": 0}
    ordered = sorted(values)

    def at(p: float) -> float:
        # Nearest rank: the smallest value with at least p of the values at or below it.
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "n": len(ordered)}


def machine_facts(postgres_version: str = "") -> dict[str, Any]:
    import django
    import numpy
    import shapely

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    try:
        import geopandas

        gpd_version = geopandas.__version__
    except ImportError:
        gpd_version = "not installed"
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_gb, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version,
        "django": django.get_version(),
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "numpy": numpy.__version__,
        "geopandas": gpd_version,
        "load_average": os.getloadavg(),
    }


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def load_results() -> dict[str, Any]:
    if RESULTS_JSON.exists():
        return json.loads(RESULTS_JSON.read_text())
    return {}


def save_results(results: dict[str, Any]) -> None:
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(results, indent=2, default=str))


def _ms(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1f} ms"


def _s(x: float) -> str:
    return f"{x:.2f} s"


def _verdict(ok: bool) -> str:
    return "**pass**" if ok else "**FAIL**"


def _run_line(r: dict[str, Any]) -> str:
    load = r.get("load_before", [0, 0, 0])
    load_after = r.get("load_after", [0, 0, 0])
    return (
        f"Run {r['date']}, scale {r.get('scale', '')}; load average (1 min) "
        f"{load[0]:.1f} before, {load_after[0]:.1f} after."
    )


def render(results: dict[str, Any]) -> str:
    lines: list[str] = [RESULTS_MARK, "", "## Results", ""]
    machine = results.get("machine")
    if machine:
        lines += [
            f"Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory_gb']} GiB; "
            f"Python {machine['python']}, SQLite {machine['sqlite']}, "
            f"PostgreSQL {machine['postgresql'] or 'not measured'}, Django {machine['django']}, "
            f"shapely {machine['shapely']} (GEOS {machine['geos']}), "
            f"GeoPandas {machine['geopandas']}. Written {results.get('written', '')}.",
            "",
        ]
    lines += ["| Benchmark | Figure | Peer or floor (same run) | Ratio | Target | Result |"]
    lines += ["| --- | --- | --- | --- | --- | --- |"]
    summary = results.get("summary", {})
    for key in (
        "search",
        "search_postgres",
        "assign",
        "import",
        "import_national",
        "import_postgres",
        "weight",
        "profile",
        "openreferral",
        "timebank",
    ):
        if key in summary:
            lines.append(summary[key])
    lines.append("")
    for key, title in (
        ("search", "2. Words + within 2 km of a point (SQLite)"),
        ("search_postgres", "2b. The same search on PostgreSQL (for information)"),
        ("assign", "3. Assigning assets to LSOA-like polygons"),
        ("import", "4. CSV import"),
        ("import_national", "4b. The same import into the national database (for information)"),
        ("import_postgres", "4c. The same import into PostgreSQL (for information)"),
        ("weight", "5. Search page weight"),
        ("profile", "6. Neighbourhood profile page (issue 5)"),
        ("openreferral", "7. Open Referral services feed (issue 3)"),
        ("timebank", "8. Time bank exchanges under concurrency (issue 6)"),
    ):
        if key in results.get("details", {}):
            lines += [f"### {title}", "", *results["details"][key], ""]
    return "\n".join(lines).rstrip() + "\n"


def write_doc(results: dict[str, Any]) -> None:
    text = DOC.read_text() if DOC.exists() else ""
    head = text.split(RESULTS_MARK)[0].rstrip() if RESULTS_MARK in text else text.rstrip()
    if not head:
        head = METHOD
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(head + "\n\n" + render(results))


# -- the sections, from each benchmark's raw figures -------------------------------------------


def search_section(r: dict[str, Any], key: str) -> tuple[str, list[str]]:
    app, raw = r["app"], r["raw"]
    ratio = r["ratio_p95"]
    sqlite = r["vendor"] == "sqlite"
    target = "p95 ≤ 25 ms and ≤ 2× raw SQL" if sqlite else "none (information)"
    ok = app["p95"] <= 25.0 and ratio <= 2.0
    summary = (
        f"| Search, words + 2 km, {r['vendor']}, {r['scale']} | p95 {_ms(app['p95'])} "
        f"(p50 {_ms(app['p50'])}) | raw SQL p95 {_ms(raw['p95'])} | {ratio:.2f}× | {target} | "
        f"{_verdict(ok) if sqlite else 'information'} |"
    )
    detail = [
        _run_line(r),
        "",
        f"{r['queries']} searches at {r['points']} points in populated places, radius "
        f"{r['radius_m']:.0f} m, first page of 20 with total and counts by kind; each search run "
        "through `search_assets` and through raw SQL, alternately first. On average "
        f"{r['mean_hits']:.0f} assets matched a search. Answers that differed between the two: "
        f"{r['mismatches']}.",
        "",
        "| | p50 | p95 | p99 |",
        "| --- | --- | --- | --- |",
        f"| search_assets | {_ms(app['p50'])} | {_ms(app['p95'])} | {_ms(app['p99'])} |",
        f"| raw SQL | {_ms(raw['p50'])} | {_ms(raw['p95'])} | {_ms(raw['p99'])} |",
        f"| search_assets, without the very common word | {_ms(r['typical_app']['p50'])} | "
        f"{_ms(r['typical_app']['p95'])} | {_ms(r['typical_app']['p99'])} |",
        f"| raw SQL, without the very common word | {_ms(r['typical_raw']['p50'])} | "
        f"{_ms(r['typical_raw']['p95'])} | {_ms(r['typical_raw']['p99'])} |",
    ]
    plain = r.get("raw_with_bm25")
    if plain:
        detail.append(
            f"| for information: raw SQL also ranking by bm25 (the ordering before) | {_ms(plain['p50'])} | "
            f"{_ms(plain['p95'])} | {_ms(plain['p99'])} |"
        )
    detail += [
        "",
        "By word (assets with the word, in the whole country):",
        "",
        "| Words | Assets with them | Searches | search_assets p50 / p95 | raw SQL p50 / p95 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for w, v in sorted(r["words"].items(), key=lambda kv: -kv[1]["assets_with_word"]):
        detail.append(
            f"| {w} | {v['assets_with_word']:,} | {v['queries']} | {_ms(v['app_p50'])} / "
            f"{_ms(v['app_p95'])} | {_ms(v['raw_p50'])} / {_ms(v['raw_p95'])} |"
        )
    if r.get("notes"):
        detail += ["", *r["notes"]]
    return summary, detail


def assign_section(r: dict[str, Any]) -> tuple[str, list[str]]:
    ours, theirs = r["livingmap_s"], r["geopandas_s"]
    ratio = ours / theirs
    summary = (
        f"| Assign {r['points']:,} assets to {r['polygons']:,} polygons | {_s(ours)} "
        f"(AreaIndex) | GeoPandas sjoin {_s(theirs)} | {ratio:.2f}× | ≤ 1× sjoin | "
        f"{_verdict(ratio <= 1.0)} |"
    )
    detail = [
        _run_line(r),
        "",
        "Both start from the same arrays of longitudes and latitudes and the same shapely "
        "polygons (parsed from the stored GeoJSON before timing) and produce every (asset, "
        "polygon) pair where the point intersects the polygon. Median of "
        f"{r['repeats']} runs each, alternating.",
        "",
        "| | time | pairs |",
        "| --- | --- | --- |",
        f"| livingmap: `AreaIndex(keys, polygons).points_in(lons, lats)` | {_s(ours)} | "
        f"{r['livingmap_pairs']:,} |",
        f"| GeoPandas {r['geopandas_version']}: frames + `sjoin(predicate='intersects')` | "
        f"{_s(theirs)} | {r['geopandas_pairs']:,} |",
        f"| GeoPandas, `sjoin` alone (frames built beforehand) | {_s(r['sjoin_only_s'])} | |",
        f"| livingmap on one thread (the figure above splits the points between "
        f"{r.get('threads', 1)} threads: shapely releases the GIL while it queries) | "
        f"{_s(r.get('livingmap_one_thread_s', float('nan')))} | |",
        "",
        "Storing the links in the database (SQLite, one transaction):",
        "",
        "| | time |",
        "| --- | --- |",
        f"| delete the old links | {_s(r['delete_s'])} |",
        f"| insert {r['links']:,} links (`assets_assetarea`, as assign_areas writes them) | "
        f"{_s(r['store_s'])} |",
        f"| `reassign_all()` end to end: read {r['points']:,} assets, assign, replace links "
        f"(`livingmap reassign_areas`) | {_s(r['reassign_all_s'])} |",
    ]
    return summary, detail


def import_section(r: dict[str, Any]) -> tuple[str, list[str]]:
    rate, floor = r["rate"], r["floor_rate"]
    ratio = rate / floor
    summary = (
        f"| CSV import, {r['rows']:,} rows | {rate:,.0f} rows/s | raw executemany "
        f"{floor:,.0f} rows/s | {ratio:.2f}× | ≥ 20,000 rows/s | {_verdict(rate >= 20_000)} |"
    )
    detail = [
        _run_line(r),
        "",
        f"A {r['rows']:,}-row synthetic CSV ({r['csv_mb']:.1f} MB) imported by "
        "`bench.importer.SyntheticCsvImporter` (an AssetImporter) through "
        "`Importer.run(commit=True)` → `import_asset_records`: reading, per-row `transform`, "
        "de-duplication, categories, sources, full-text index, area assignment against "
        f"{r['polygons']:,} LSOA-like polygons, the import event — into a fresh SQLite database "
        "holding only the polygons.",
        "",
        f"Each figure is the median of {len(r.get('import_runs_s') or [1])} runs, each into a "
        "fresh copy of the database"
        + (
            f" (the import's runs: {', '.join(_s(t) for t in r['import_runs_s'])})."
            if r.get("import_runs_s")
            else "."
        ),
        "",
        "| | time | rows/s |",
        "| --- | --- | --- |",
        f"| import (Importer.run, commit) | {_s(r['import_s'])} | {rate:,.0f} |",
        f"| floor: raw `executemany` of the same rows into `assets_asset` (as the schema stands, "
        f"FTS trigger firing per row) | {_s(r['floor_s'])} | {floor:,.0f} |",
        f"| for comparison: the same `executemany` with the FTS trigger set aside and the words "
        f"indexed in one pass | {_s(r['floor_bulk_s'])} | {r['rows'] / r['floor_bulk_s']:,.0f} |",
        "",
        f"Report: created {r['created']:,}, rejected {r['rejected']}, warnings {r['warnings']}; "
        f"area links stored {r['links']:,}; full-text entries {r['fts_rows']:,}.",
    ]
    if r.get("phases"):
        detail += ["", "Where the import's time went:", "", "| phase | time |", "| --- | --- |"]
        detail += [f"| {k} | {_s(v)} |" for k, v in r["phases"].items()]
    return summary, detail


def import_national_section(r: dict[str, Any]) -> tuple[str, list[str]]:
    rate = r["rate"]
    summary = (
        f"| CSV import, {r['rows']:,} rows, into {r['scale']} | {rate:,.0f} rows/s | – | – | "
        "none (information) | information |"
    )
    detail = [
        _run_line(r),
        "",
        "The same CSV through the same importer into a copy of the national benchmark database, "
        "as a second data set arriving where a million assets already are: every row is checked "
        "for an existing asset it is the same as (a matching name within 150 m or at the same "
        "postcode), so the import reads the places of the assets around the rows, pairs them in "
        "one vectorised query (`core.geo.points_within`) and compares names only for the pairs.",
        "",
        "| | time | rows/s |",
        "| --- | --- | --- |",
        f"| import (Importer.run, commit) | {_s(r['import_s'])} | {rate:,.0f} |",
        "",
        f"Report: created {r['created']:,}, joined to an existing asset {r['updated']:,}, "
        f"rejected {r['rejected']}, warnings {r['warnings']}; assets afterwards "
        f"{r['assets']:,}.",
    ]
    return summary, detail


def import_postgres_section(r: dict[str, Any]) -> tuple[str, list[str]]:
    rate, floor = r["rate"], r["floor_rate"]
    summary = (
        f"| CSV import, {r['rows']:,} rows, PostgreSQL | {rate:,.0f} rows/s | raw COPY "
        f"{floor:,.0f} rows/s | {rate / floor:.2f}× | none (information) | information |"
    )
    detail = [
        _run_line(r),
        "",
        "The same CSV through the same importer into PostgreSQL (a database holding the same "
        "polygons, emptied of assets and vacuumed before each run); bulk writes go through COPY. "
        "The floor is a plain COPY of the same rows into `assets_asset` alone (its indexes and "
        "the generated, GIN-indexed search column as the schema stands), the fastest way "
        "into PostgreSQL.",
        "",
        "| | time | rows/s |",
        "| --- | --- | --- |",
        f"| import (Importer.run, commit) | {_s(r['import_s'])} | {rate:,.0f} |",
        f"| floor: COPY of the same rows into `assets_asset` | {_s(r['floor_s'])} | {floor:,.0f} |",
        "",
        f"Report: created {r['created']:,}, rejected {r['rejected']}, warnings {r['warnings']}; "
        f"area links stored {r['links']:,}.",
    ]
    return summary, detail


def weight_section(r: dict[str, Any]) -> tuple[str, list[str]]:
    total = r["total_gzip"]
    ok = total <= 150 * 1024
    summary = (
        f"| Search page weight | {total / 1024:.1f} KB gzipped | – | – | ≤ 150 KB | "
        f"{_verdict(ok)} |"
    )
    detail = [
        _run_line(r),
        "",
        f"`GET {r['url']}` on the Trafford demo database (Django test client, status "
        f"{r['status']}), and every stylesheet and script it references, each gzipped "
        "(level 6); map tiles aside.",
        "",
        "| resource | bytes | gzipped |",
        "| --- | --- | --- |",
    ]
    for item in r["items"]:
        detail.append(f"| {item['url']} | {item['bytes']:,} | {item['gzip']:,} |")
    detail.append(f"| **total** | {r['total_bytes']:,} | **{total:,}** |")
    if r.get("other"):
        detail += ["", "Also referenced (not counted: images, fonts, other hosts):", ""]
        detail += [f"- {o}" for o in r["other"]]
    return summary, detail


METHOD = """# Benchmarks

`make bench` (or `python -m bench`) measures the performance claims of issue 2 at national scale,
each beside a peer or floor measured in the same run, and rewrites the results at the end of this
file. Run one benchmark with `python -m bench search` (or `assign`, `import`, `weight`), choose
the scale with `--assets 1000000 --polygons 35000`, skip PostgreSQL with `--no-postgres`;
`python -m bench --help` lists the options. A full run takes about 8 minutes on the 2-core
machine; the first one about 4 minutes more, to build the SQLite and PostgreSQL databases.

## Method

- **Data.** `bench/synth.py` generates, from a fixed seed, 1,000,000 assets over England
  (longitude -5.7 to 1.8, latitude 50.0 to 55.8): about sixty real towns and cities at their
  rough positions and three thousand made-up villages, each with assets scattered around it in
  proportion to its population (5 % in open country); names made as real ones are ("Hale
  Community Library", "St Mary's Church", "Broadheath Allotments"), descriptions from a
  vocabulary of 140 activities (three records in ten have none), addresses, postcode-like codes,
  and a category from Living Map's taxonomy. 35,000 LSOA-like polygons are a Voronoi
  tessellation of population-weighted seed points, clipped to the extent (small in towns, large
  in the country), stored as current 2021 LSOAs. The SQLite database
  (`var/bench/national-1000000-35000.sqlite3`) is built once with fast bulk inserts (set-up,
  not measured) through the project's migrations, and reused while it is of the right scale
  (`--rebuild` forces a new one); the PostgreSQL copy likewise.
- **Search.** `livingmap.assets.selectors.search_assets`, the one search path of the pages and
  the API (first page of 20, the total, counts by kind), against the same search written by
  hand in raw SQL on a plain driver connection — the same place-keyed full-text match, bounding
  box, exact distance filter, ordering (nearest first, a stale asset as if twice as far, ties by
  id) and the page's
  fields and categories — query for query, alternately first, in the same run. 300 random points
  in populated places (assets' own places, moved up to 300 m), each searched with a common word
  and a rarer one; one point in ten also with "community", which 40 % of assets carry (every
  community group's kind is "Community groups and associations"). Percentiles are nearest-rank.
- **Assignment.** `core.geo.AreaIndex` (the STRtree computation `assets.services.assign_areas`
  runs) against GeoPandas' `sjoin`, both from the same arrays of points and the same shapely
  polygons, median of three alternating runs; storing the links, and `reassign_all` (what
  `livingmap reassign_areas` runs) end to end, are timed separately.
- **Import.** A 200,000-row synthetic CSV through an `AssetImporter` subclass
  (`bench/importer.py`) and `Importer.run(commit=True)` → `import_asset_records` — reading,
  `transform`, de-duplication, categories, sources, the full-text index, area assignment against
  the 35,000 polygons, the import event — into a fresh database holding only the polygons,
  against the floor: a raw `executemany` of the same rows into the same `assets_asset` table.
- **Page weight.** `/assets/?q=library&postcode=WA14+1AH` on the Trafford demo database through
  Django's test client, and every stylesheet and script the page references, each gzipped.

Wall-clock times on a shared machine move with its load: each run gives the load average, and
every ratio compares figures taken in the same run.

## What the figures show, and what limits them

- **Search.** Migration `assets/0003` keys SQLite's FTS5 index by place (latitude band, longitude
  band, asset id), so a search near a point reads only the index entries of the few bands around
  it instead of every entry in the country for its words, or probing the index once per nearby
  asset (each probe costs 50–150 µs; a prefix word like "community*" costs a full merge per
  probe). What remains is FTS5's bm25: to rank even one row it first counts every asset in the
  country having each searched word, about 0.2 µs an asset, so a search for a word that 100,000
  assets carry spends about 20 ms before it reads a single nearby row. The raw SQL peer pays the
  same. Near a point the ranking is nearest first and bm25 only breaks ties of equal distance,
  so the line "raw SQL without bm25" shows what the search would cost if those ties were broken
  another way (by name, say) — a change of behaviour left to the project to decide.
- **Assignment.** The same STRtree query GeoPandas runs, without building data frames, and with
  the points split between threads (shapely releases the GIL while it queries); on one thread
  it is level with `sjoin` (both figures are given).
- **Import.** As the schema stands, a row-by-row insert into `assets_asset` fires the FTS5
  trigger per row, and SQLite's FTS5 (3.40) writes its pending index at every statement
  savepoint, so the trigger costs far more than the insert. `import_asset_records` inserts new
  assets with a plain `executemany`, sets the insert trigger aside inside its transaction and
  indexes the new rows' words in one ordered pass (`assets.search.bulk_text_index`); sources,
  categories and area links go in the same way, without a model instance per row. What is left
  is the cost of the rows themselves: six indexes on `assets_asset`, four on each of
  `assets_assetsource` and `assets_assetarea`, three on `assets_asset_categories` (several of
  them duplicates of a unique constraint's index), plus reading and `transform` in Python.
"""


def profile_section(r: dict[str, Any]) -> tuple[str, list[str]]:
    summary = (
        f"| Neighbourhood profile page, {r['scale']} | p95 {_ms(r['p95_ms'])} "
        f"(p50 {_ms(r['p50_ms'])}) | — (a page; aggregates rebuilt in {_s(r['refresh_s'])}) | — | "
        f"{r['target']} | {_verdict(r['pass'])} |"
    )
    detail = [
        _run_line(r),
        "",
        _sentence(r["method"]),
        "",
        "| | p50 | p95 | p99 |",
        "| --- | --- | --- | --- |",
        f"| profile page ({r['requests']} requests, {r['neighbourhoods']} neighbourhoods) | "
        f"{_ms(r['p50_ms'])} | {_ms(r['p95_ms'])} | {_ms(r['p99_ms'])} |",
        "",
        f"Rebuilding every aggregate: {_s(r['refresh_s'])}. After a change to the data the next "
        f"request is served from the last build in {_ms(r['first_request_after_change_ms'])}, "
        f"and the rebuild runs after that response ({_s(r['deferred_rebuild_s'])}; fresh "
        f"afterwards: {'yes' if r['rebuilt_after_that_response'] else 'no'}). The freshness "
        f"check each request makes costs {r['fingerprint_ms']:.2f} ms.",
    ]
    return summary, detail


def openreferral_section(r: dict[str, Any]) -> tuple[str, list[str]]:
    peer = r["peer_raw_sql"]
    summary = (
        f"| Open Referral `/services`, pages of 50, {r['scale']} | p95 {_ms(r['p95'])} "
        f"(p50 {_ms(r['p50'])}) | hand-written SQL for the page p95 {_ms(peer['p95'])} | "
        f"{r['p95'] / peer['p95']:.1f}× | p95 ≤ {r['target_p95_ms']:g} ms | {_verdict(r['pass'])} |"
    )
    naive = r["naive_offset_sql"]
    detail = [
        _run_line(r),
        "",
        _sentence(r["method"]),
        "",
        "| | p50 | p95 | p99 |",
        "| --- | --- | --- | --- |",
        f"| `/openreferral/services?per_page=50` ({r['requests']} requests over {r['pages']:,} "
        f"pages) | {_ms(r['p50'])} | {_ms(r['p95'])} | {_ms(r['p99'])} |",
        f"| hand-written SQL for the same page (the floor) | {_ms(peer['p50'])} | "
        f"{_ms(peer['p95'])} | {_ms(peer['p99'])} |",
        f"| for information: plain OFFSET paging in SQL | {_ms(naive['p50'])} | "
        f"{_ms(naive['p95'])} | {_ms(naive.get('p99'))} |",
        "",
        f"{r['public_services']:,} public services. The last page: {_ms(r['last_page_ms'])}. "
        f"The first request after start-up (counting and keying the pages): "
        f"{_ms(r['cold_first_request_ms'])}. Sampled pages that failed the ORUK schema: "
        f"{r['schema_errors_in_sampled_pages']}.",
    ]
    return summary, detail


def timebank_rate(r: dict[str, Any]) -> float:
    return float(r["exchanges_per_s"])


def timebank_section(r: dict[str, Any]) -> tuple[str, list[str]]:
    tps = r.get("pgbench_simple_update_tps")
    ratio = r.get("ratio_to_pgbench")
    summary = (
        f"| Time bank exchanges, {r['clients']} clients, PostgreSQL | "
        f"{r['exchanges_per_s']:,.0f} exchanges/s ({r['best_mode']}) | pgbench simple-update "
        f"{f'{tps:,.0f} TPS' if tps else 'not measured'} | "
        f"{f'{ratio:.2f}×' if ratio else '–'} | ≥ {r['target_per_s']:,.0f} exchanges/s, "
        f"ledger invariants hold | {_verdict(r['passed'])} |"
    )
    detail = [
        _run_line(r),
        "",
        _sentence(r["method"]),
        "",
        "| Clients as | exchanges/s | p50 | p95 | p99 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, m in r["modes"].items():
        detail.append(
            f"| {name} ({m['processes']} × {m['threads_per_process']}) | "
            f"{m['exchanges_per_s']:,.0f} | {_ms(m['p50_ms'])} | {_ms(m['p95_ms'])} | "
            f"{_ms(m['p99_ms'])} |"
        )
    detail += [
        f"| pgbench simple-update, {r['clients']} clients, same server, same run | "
        f"{f'{tps:,.0f} TPS' if tps else 'not measured'} | | | |",
        "",
        f"After the run the ledger check (`check_ledger`: every exchange sums to zero, cached "
        f"balances equal their movements, each bank sums to zero, …) over "
        f"{r['exchanges_checked']:,} exchanges found "
        f"{'no problem' if r['invariants_ok'] else r['invariant_problems']}.",
    ]
    return summary, detail


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
