"""`python -m bench`: run the national-scale benchmarks and write docs/benchmarks.md.

python -m bench                       everything, at full scale (1,000,000 assets, 35,000 polygons)
python -m bench search assign         only these benchmarks
python -m bench --assets 100000 --polygons 5000   a smaller scale (a separate database)
python -m bench --rebuild             build the benchmark databases again
python -m bench --no-postgres         skip the PostgreSQL search figures
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from . import env, report

console = Console()
BENCHMARKS = ("search", "assign", "import", "weight", "profile", "openreferral", "timebank")


def step(name: str, a: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    """Run one worker step in a fresh process and return its JSON result."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    args = [
        sys.executable,
        "-m",
        "bench.worker",
        name,
        "--out",
        str(out),
        "--assets",
        str(a.assets),
        "--polygons",
        str(a.polygons),
        "--points",
        str(a.points),
        "--rows",
        str(a.rows),
        "--repeats",
        str(a.repeats),
    ]
    if a.rebuild and name.startswith(("build", "import-template", "make-csv")):
        args.append("--rebuild")
    for key, value in extra.items():
        args += [f"--{key}", str(value)]
    started = time.perf_counter()
    completed = subprocess.run(args, cwd=env.ROOT, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"benchmark step {name} failed (exit {completed.returncode})")
    result = json.loads(out.read_text())
    out.unlink(missing_ok=True)
    console.print(f"  [dim]{name}: {time.perf_counter() - started:.0f} s[/dim]")
    return result


def _scale(a: argparse.Namespace) -> str:
    return f"{a.assets:,} assets, {a.polygons:,} polygons"


def _stamp(a: argparse.Namespace, result: dict[str, Any], load_before: Any) -> dict[str, Any]:
    result.update(
        date=report.now(),
        scale=_scale(a),
        load_before=load_before,
        load_after=os.getloadavg(),
    )
    return result


def run_search(a: argparse.Namespace, results: dict[str, Any]) -> None:
    console.rule("Search: words + within 2 km (SQLite)")
    step("build-national", a)
    load = os.getloadavg()
    r = _stamp(a, step("search", a), load)
    results["raw"]["search"] = r
    results["summary"]["search"], results["details"]["search"] = report.search_section(r, "search")
    console.print(
        f"  search_assets p50 {r['app']['p50']:.1f} ms, p95 {r['app']['p95']:.1f} ms, "
        f"p99 {r['app']['p99']:.1f} ms; raw SQL p95 {r['raw']['p95']:.1f} ms; "
        f"ratio {r['ratio_p95']:.2f}"
    )
    if not a.postgres:
        return
    console.rule("Search: the same on PostgreSQL (information)")
    try:
        step("build-postgres", a)
    except SystemExit as exc:
        console.print(f"  [yellow]PostgreSQL skipped: {exc}[/yellow]")
        return
    load = os.getloadavg()
    r = _stamp(a, step("search-postgres", a), load)
    results["raw"]["search_postgres"] = r
    summary, detail = report.search_section(r, "search_postgres")
    results["summary"]["search_postgres"], results["details"]["search_postgres"] = summary, detail
    console.print(
        f"  PostgreSQL: search_assets p95 {r['app']['p95']:.1f} ms, raw {r['raw']['p95']:.1f} ms"
    )


def run_assign(a: argparse.Namespace, results: dict[str, Any]) -> None:
    console.rule("Assignment: assets to polygons")
    step("build-national", a)
    load = os.getloadavg()
    r = _stamp(a, step("assign", a), load)
    results["raw"]["assign"] = r
    results["summary"]["assign"], results["details"]["assign"] = report.assign_section(r)
    console.print(
        f"  livingmap {r['livingmap_s']:.2f} s, GeoPandas sjoin {r['geopandas_s']:.2f} s; "
        f"storing {r['links']:,} links {r['store_s']:.2f} s"
    )


def run_import(a: argparse.Namespace, results: dict[str, Any]) -> None:
    console.rule(f"CSV import: {a.rows:,} rows")
    csv_path = env.BENCH_DIR / f"import-{a.rows}.csv"
    step("import-template", a)
    step("make-csv", a, csv=csv_path)
    load = os.getloadavg()
    imported = step("import", a, csv=csv_path)
    floors = step("import-floor", a, csv=csv_path)
    r = _stamp(a, {**imported, **floors}, load)
    r.update(
        rows=imported["read"],
        polygons=a.polygons,
        csv_mb=csv_path.stat().st_size / 1e6,
        rate=imported["read"] / imported["import_s"],
        floor_rate=imported["read"] / floors["floor_s"],
    )
    results["raw"]["import"] = r
    results["summary"]["import"], results["details"]["import"] = report.import_section(r)
    console.print(
        f"  import {r['rate']:,.0f} rows/s; floor {r['floor_rate']:,.0f} rows/s "
        f"(ratio {r['rate'] / r['floor_rate']:.2f})"
    )
    console.rule(f"CSV import into the national database: {a.rows:,} rows (information)")
    step("build-national", a)
    load = os.getloadavg()
    national = _stamp(a, step("import-national", a, csv=csv_path), load)
    national.update(rows=national["read"], rate=national["read"] / national["import_s"])
    results["raw"]["import_national"] = national
    summary, detail = report.import_national_section(national)
    results["summary"]["import_national"], results["details"]["import_national"] = summary, detail
    console.print(f"  into {a.assets:,} assets: {national['rate']:,.0f} rows/s")
    if not a.postgres:
        return
    console.rule(f"CSV import into PostgreSQL: {a.rows:,} rows (information)")
    load = os.getloadavg()
    try:
        pg = _stamp(a, step("import-postgres", a, csv=csv_path), load)
    except SystemExit as exc:
        console.print(f"  [yellow]PostgreSQL skipped: {exc}[/yellow]")
        return
    pg.update(
        rows=pg["read"],
        polygons=a.polygons,
        rate=pg["read"] / pg["import_s"],
        floor_rate=pg["read"] / pg["floor_s"],
    )
    results["raw"]["import_postgres"] = pg
    summary, detail = report.import_postgres_section(pg)
    results["summary"]["import_postgres"], results["details"]["import_postgres"] = summary, detail
    console.print(
        f"  PostgreSQL: import {pg['rate']:,.0f} rows/s; COPY {pg['floor_rate']:,.0f} rows/s"
    )


def run_weight(a: argparse.Namespace, results: dict[str, Any]) -> None:
    console.rule("Search page weight")
    load = os.getloadavg()
    r = _stamp(a, step("weight", a), load)
    r["scale"] = "Trafford demo"
    results["raw"]["weight"] = r
    results["summary"]["weight"], results["details"]["weight"] = report.weight_section(r)
    console.print(f"  {r['total_gzip'] / 1024:.1f} KB gzipped over {len(r['items'])} files")


def module_step(module: str, scale: dict[str, Any]) -> dict[str, Any]:
    """Run bench.<module>.run(scale) in a fresh process (each sets up Django for its own
    database) and return its figures."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    code = (
        "import json, sys; from bench import " + module + " as m; "
        "json.dump(m.run(json.loads(sys.argv[1])), open(sys.argv[2], 'w'), default=str)"
    )
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", code, json.dumps(scale), str(out)], cwd=env.ROOT, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"benchmark {module} failed (exit {completed.returncode})")
    result = json.loads(out.read_text())
    out.unlink(missing_ok=True)
    console.print(f"  [dim]{module}: {time.perf_counter() - started:.0f} s[/dim]")
    return result


def run_profile(a: argparse.Namespace, results: dict[str, Any]) -> None:
    console.rule("Neighbourhood profile page")
    load = os.getloadavg()
    r = _stamp(a, module_step("profile_bench", {"assets": a.assets, "polygons": a.polygons}), load)
    results["raw"]["profile"] = r
    results["summary"]["profile"], results["details"]["profile"] = report.profile_section(r)
    console.print(f"  p95 {r['p95_ms']:.1f} ms (target ≤ 100 ms)")


def run_openreferral(a: argparse.Namespace, results: dict[str, Any]) -> None:
    console.rule("Open Referral /services, pages of 50")
    load = os.getloadavg()
    scale = {"assets": a.assets, "polygons": a.polygons}
    r = _stamp(a, module_step("openreferral_bench", scale), load)
    results["raw"]["openreferral"] = r
    summary, detail = report.openreferral_section(r)
    results["summary"]["openreferral"], results["details"]["openreferral"] = summary, detail
    console.print(f"  p95 {r['p95']:.1f} ms (target ≤ 50 ms)")


def run_timebank(a: argparse.Namespace, results: dict[str, Any]) -> None:
    console.rule("Time bank exchanges, 16 clients (PostgreSQL)")
    if not a.postgres:
        console.print("  [yellow]skipped: --no-postgres[/yellow]")
        return
    load = os.getloadavg()
    r = _stamp(a, module_step("timebank_bench", {}), load)
    r["scale"] = "16 clients"
    results["raw"]["timebank"] = r
    results["summary"]["timebank"], results["details"]["timebank"] = report.timebank_section(r)
    console.print(f"  {report.timebank_rate(r):,.0f} exchanges/s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="National-scale benchmarks for Living Map; results go to docs/benchmarks.md.",
    )
    parser.add_argument(
        "benchmarks",
        nargs="*",
        metavar="BENCHMARK",
        help=f"which to run: {', '.join(BENCHMARKS)} (default: all)",
    )
    parser.add_argument("--assets", type=int, default=1_000_000, help="synthetic assets")
    parser.add_argument("--polygons", type=int, default=35_000, help="LSOA-like polygons")
    parser.add_argument("--points", type=int, default=300, help="search points")
    parser.add_argument("--rows", type=int, default=200_000, help="CSV rows to import")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each assignment")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    parser.add_argument(
        "--no-postgres", dest="postgres", action="store_false", help="skip PostgreSQL"
    )
    a = parser.parse_args(argv)
    unknown = sorted(set(a.benchmarks) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(BENCHMARKS)}")
    chosen = a.benchmarks or list(BENCHMARKS)
    env.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results = report.load_results()
    for key in ("raw", "summary", "details"):
        results.setdefault(key, {})
    console.print(f"[bold]Living Map benchmarks[/bold] — {', '.join(chosen)}; {_scale(a)}")
    runners = {
        "search": run_search,
        "assign": run_assign,
        "import": run_import,
        "weight": run_weight,
        "profile": run_profile,
        "openreferral": run_openreferral,
        "timebank": run_timebank,
    }
    for name in BENCHMARKS:
        if name in chosen:
            _settle(a)
            runners[name](a, results)
            results["written"] = report.now()
            # Machine facts once per run; PostgreSQL's version from the server.
            results["machine"] = _machine()
            report.save_results(results)
            report.write_doc(results)
    console.rule()
    console.print(
        f"Done in {(time.perf_counter() - started) / 60:.1f} min; results in "
        f"{env.DOC.relative_to(env.ROOT)}"
    )
    return 0


def _settle(a: argparse.Namespace) -> None:
    """Let what the benchmark before wrote reach the disk now, so that it is not written in the
    background during the next one: the files' dirty pages (sync), and PostgreSQL's dirty
    buffers (CHECKPOINT; after a database is built the server otherwise writes them out over
    the next minutes, on the core the import reads its file on)."""
    os.sync()
    if not a.postgres:
        return
    try:
        import psycopg

        with psycopg.connect(f"{env.POSTGRES_SERVER}/postgres", autocommit=True) as conn:
            conn.execute("CHECKPOINT")
    except Exception as exc:  # a server we cannot reach is reported by its own benchmark
        console.print(f"  [dim]PostgreSQL CHECKPOINT not run: {exc}[/dim]")


def _machine() -> dict[str, Any]:
    return report.machine_facts(_postgres_version())


_PG_VERSION: list[str] = []


def _postgres_version() -> str:
    if not _PG_VERSION:
        try:
            import psycopg

            with psycopg.connect(f"{env.POSTGRES_SERVER}/postgres", connect_timeout=3) as conn:
                _PG_VERSION.append(conn.execute("SHOW server_version").fetchone()[0])
        except Exception:  # no server, or not reachable: the figures say "not measured"
            _PG_VERSION.append("")
    return _PG_VERSION[0]


if __name__ == "__main__":
    sys.exit(main())
