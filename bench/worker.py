"""One benchmark step in its own process, with Django pointed at that step's database.

`python -m bench` runs these; each prints its progress and writes its figures as JSON to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import env

console = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("  {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@contextmanager
def _timed(message: str) -> Iterator[None]:
    """Say what is being timed, once: no live spinner during a timed import, whose refresh
    thread would take Python's lock from the import between rows (executemany hands it back at
    every row) and be counted in the import's time."""
    console.print(message, style="dim")
    yield


def _reporter(bar: Progress) -> Any:
    tasks: dict[str, Any] = {}

    def report(what: str, done: int, total: int) -> None:
        if what not in tasks:
            tasks[what] = bar.add_task(what, total=total)
        bar.update(tasks[what], completed=done, total=total)

    return report


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# -- steps ---------------------------------------------------------------------------------------


def build_national(a: argparse.Namespace) -> dict[str, Any]:
    path = env.national_db(a.assets, a.polygons)
    path.parent.mkdir(parents=True, exist_ok=True)
    if a.rebuild:
        _remove_sqlite(path)
    env.use_database(env.sqlite_url(path))
    from . import build

    if path.exists() and build.national_is_ready(a.assets, a.polygons):
        console.print(f"  reusing {path.relative_to(env.ROOT)}")
        return {"built": False}
    from django.db import connection

    connection.close()
    _remove_sqlite(path)
    return _build(a, build)


def _postgres_database(url: str, *, rebuild: bool) -> None:
    """Make the PostgreSQL database of `url` if it is not there (afresh with `rebuild`)."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            admin.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')


def build_postgres(a: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    url = env.postgres_url(a.assets, a.polygons)
    server, name = url.rsplit("/", 1)
    _postgres_database(url, rebuild=a.rebuild)
    env.use_database(url)
    from . import build

    if build.national_is_ready(a.assets, a.polygons):
        console.print(f"  reusing PostgreSQL database {name}")
        return {"built": False}
    from django.db import connection

    connection.close()
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return _build(a, build)


def _build(a: argparse.Namespace, build: Any) -> dict[str, Any]:
    from . import synth

    started = time.perf_counter()
    with console.status("  generating the synthetic assets and polygons"):
        data = synth.make_assets(a.assets)
        areas = synth.make_areas(a.polygons)
    with _progress() as bar:
        build.build_national(data, areas, _reporter(bar))
    return {"built": True, "build_s": time.perf_counter() - started}


def search(a: argparse.Namespace) -> dict[str, Any]:
    env.use_database(env.sqlite_url(env.national_db(a.assets, a.polygons)))
    return _search(a)


def search_postgres(a: argparse.Namespace) -> dict[str, Any]:
    env.use_database(env.postgres_url(a.assets, a.polygons))
    return _search(a)


def _search(a: argparse.Namespace) -> dict[str, Any]:
    from . import search_bench

    with _progress() as bar:
        report = _reporter(bar)
        return search_bench.run(a.points, a.seed, lambda d, t: report("searches", d, t))


def assign(a: argparse.Namespace) -> dict[str, Any]:
    env.use_database(env.sqlite_url(env.national_db(a.assets, a.polygons)))
    from . import assign_bench

    with console.status("  assignment") as status:
        return assign_bench.run(a.repeats, lambda msg: status.update(f"  assignment: {msg}"))


def import_template(a: argparse.Namespace) -> dict[str, Any]:
    from . import import_bench

    path = import_bench.template_path(a.polygons)
    ready = path.exists()
    env.use_database(env.sqlite_url(path))
    from . import build

    if ready and build.meta_get("complete") == json.dumps([build.BUILD_VERSION, a.polygons]):
        return {"built": False}
    from django.db import connection

    connection.close()
    _remove_sqlite(path)
    _polygons_only(a)
    connection.close()
    with connection.cursor() as cur:
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"built": True}


def _polygons_only(a: argparse.Namespace) -> None:
    """Set the database Django is pointed at up as the import benchmark's template: the schema,
    the taxonomy and the synthetic polygons, and no assets."""
    from . import build, synth

    dataset = build.prepare_schema()
    with console.status("  generating the polygons"):
        areas = synth.make_areas(a.polygons)
    with _progress() as bar:
        build.insert_areas(areas, dataset.id, _reporter(bar))
    build.meta_set("complete", json.dumps([build.BUILD_VERSION, a.polygons]))


def import_csv(a: argparse.Namespace) -> dict[str, Any]:
    """The import, `--repeats` times, each into a fresh copy of the template; the run of median
    time is reported, with every run's time."""
    import statistics

    from django.db import connection

    from . import import_bench

    runs = []
    for k in range(a.repeats):
        db = import_bench.fresh_copy(import_bench.template_path(a.polygons), "import-run.sqlite3")
        if k == 0:
            env.use_database(env.sqlite_url(db))
        with _timed(f"  importing {a.rows:,} rows through Importer.run(commit=True), run {k + 1}"):
            runs.append(import_bench.run_import(Path(a.csv), measure_reading=k == 0))
        connection.close()
        _remove_sqlite(db)
    times = [r["import_s"] for r in runs]
    result = dict(runs[times.index(statistics.median_low(times))])
    result["phases"] = runs[0].get("phases")
    result["import_runs_s"] = times
    return result


def import_national(a: argparse.Namespace) -> dict[str, Any]:
    """The same CSV into a copy of the national database: every row is checked against the
    million assets already there (the de-duplication of a second data set at national scale)."""
    from . import import_bench

    db = import_bench.fresh_copy(env.national_db(a.assets, a.polygons), "import-national.sqlite3")
    env.use_database(env.sqlite_url(db))
    with _timed(f"  importing {a.rows:,} rows into {a.assets:,} assets"):
        result = import_bench.run_import(Path(a.csv), measure_reading=False)
    from django.db import connection

    connection.close()
    _remove_sqlite(db)
    return result


def import_floor(a: argparse.Namespace) -> dict[str, Any]:
    import statistics

    from . import import_bench

    template = import_bench.template_path(a.polygons)
    env.use_database(env.sqlite_url(template))
    rows = import_bench.csv_rows_as_asset_rows(Path(a.csv))
    out: dict[str, Any] = {}
    for key, bulk in (("floor_s", False), ("floor_bulk_s", True)):
        times = []
        for k in range(a.repeats):  # the median of as many runs as the import has
            db = import_bench.fresh_copy(template, "import-floor.sqlite3")
            with _timed(f"  raw executemany of {len(rows):,} rows ({key}), run {k + 1}"):
                times.append(import_bench.floor(db, rows, bulk_index=bulk))
            _remove_sqlite(db)
        out[key] = statistics.median(times)
        out[f"{key}_runs"] = times
    return out


def import_postgres(a: argparse.Namespace) -> dict[str, Any]:
    """The same import into PostgreSQL (a database of the polygons, emptied of assets before
    each run), then the floor: the same rows COPYed into assets_asset."""
    from . import import_bench

    url = env.postgres_import_url(a.polygons)
    _postgres_database(url, rebuild=a.rebuild)
    env.use_database(url)
    from django.db import connection

    from . import build

    if build.meta_get("complete") != json.dumps([build.BUILD_VERSION, a.polygons]):
        _polygons_only(a)
    connection.close()
    import_bench.empty_postgres_tables(url)
    with _timed(f"  importing {a.rows:,} rows into PostgreSQL"):
        result = import_bench.run_import(Path(a.csv))
    connection.close()
    import_bench.empty_postgres_tables(url)
    rows = import_bench.csv_rows_as_asset_rows(Path(a.csv))
    with _timed(f"  COPY of {len(rows):,} rows into PostgreSQL"):
        result["floor_s"] = import_bench.copy_floor(url, rows)
    import_bench.empty_postgres_tables(url)
    return result


def make_csv(a: argparse.Namespace) -> dict[str, Any]:
    path = Path(a.csv)
    if path.exists() and not a.rebuild:
        return {"built": False}
    env.use_database("sqlite://:memory:")
    from . import importer, synth

    with console.status(f"  writing a {a.rows:,}-row CSV"):
        importer.write_csv(synth.make_assets(a.rows, seed=synth.SEED + 7), path)
    return {"built": True}


def weight(a: argparse.Namespace) -> dict[str, Any]:
    env.use_database(env.sqlite_url(env.DEMO_DB))
    from django.core.management import call_command

    from livingmap.assets.models import Asset

    with console.status("  preparing the demo database (migrate; load the demo if empty)"):
        call_command("migrate", verbosity=0, interactive=False)
        if not Asset.objects.exists():
            from livingmap.assets.demo import load_demo

            load_demo(commit=True)
    from . import weight_bench

    return weight_bench.run()


STEPS = {
    "build-national": build_national,
    "build-postgres": build_postgres,
    "search": search,
    "search-postgres": search_postgres,
    "assign": assign,
    "import-template": import_template,
    "make-csv": make_csv,
    "import": import_csv,
    "import-floor": import_floor,
    "import-national": import_national,
    "import-postgres": import_postgres,
    "weight": weight,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--out", required=True)
    parser.add_argument("--assets", type=int, default=1_000_000)
    parser.add_argument("--polygons", type=int, default=35_000)
    parser.add_argument("--points", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--csv", default="")
    parser.add_argument("--rebuild", action="store_true")
    a = parser.parse_args(argv)
    os.environ.setdefault("DEBUG", "1")
    result = STEPS[a.step](a)
    Path(a.out).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
