"""Keeping one area's postcodes from the national ONS Postcode Directory: time and peak memory.

python -m bench.postcodes_bench                 2,700,000 rows (the national file's size)
python -m bench.postcodes_bench --rows 200000   a smaller file

Makes (once) a national-shaped file in ONSPD's own 52 columns, var/bench/onspd-national-N.csv:
the demo area's real postcodes (data/trafford-geography/postcodes.csv, with their local
authority, ward, LSOA and point) among synthetic postcodes of about 360 other authorities placed
outside the area boundary's box, shuffled (about 180 bytes a row). Then, each in a fresh
process (so that its peak resident memory is its own), with Django on a scratch SQLite database
holding the area's boundary:

- floor: the same file read with Python's csv module, doing nothing else with the rows;
  each measured twice, in turn, and the faster run kept;
- local_authority: `PostcodeImporter(keep="local_authority")`, committed;
- boundary: `PostcodeImporter(keep="boundary")` (point in the loaded boundary), committed.

Prints the figures and writes them to var/bench/postcodes.json; docs/benchmarks.md has the run
written up.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from . import env

AREA = "E08000009"
HEADER = [
    "pcd",
    "pcd2",
    "pcds",
    "dointr",
    "doterm",
    "oscty",
    "ced",
    "oslaua",
    "osward",
    "parish",
    "usertype",
    "oseast1m",
    "osnrth1m",
    "osgrdind",
    "oshlthau",
    "nhser",
    "ctry",
    "rgn",
    "streg",
    "pcon",
    "eer",
    "teclec",
    "ttwa",
    "pct",
    "itl",
    "statsward",
    "oa01",
    "casward",
    "npark",
    "lsoa01",
    "msoa01",
    "ur01ind",
    "oac01",
    "oa11",
    "lsoa11",
    "msoa11",
    "wz11",
    "sicbl",
    "bua22",
    "ru11ind",
    "oac11",
    "lat",
    "long",
    "lep1",
    "lep2",
    "pfa",
    "imd",
    "calncv",
    "icb",
    "oa21",
    "lsoa21",
    "msoa21",
]
BOUNDARY = env.ROOT / "data/trafford-geography/local_authority_2023.geojson"
AT = {name: i for i, name in enumerate(HEADER)}


def national_file(rows: int) -> Path:
    path = env.BENCH_DIR / f"onspd-national-{rows}.csv"
    if path.exists():
        return path
    env.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    source = env.ROOT / "data/trafford-geography/postcodes.csv"
    with source.open(newline="") as handle:
        ours = list(csv.DictReader(handle))
    # Other authorities' postcodes are placed outside the area boundary's box.
    from shapely.geometry import shape

    boundary = json.loads(BOUNDARY.read_text())["features"][0]["geometry"]
    min_lon, min_lat, max_lon, max_lat = shape(boundary).bounds
    rng = random.Random(2700)
    template = ["" for _ in HEADER]
    template[AT["dointr"]] = "198001"
    template[AT["usertype"]] = "0"
    template[AT["osgrdind"]] = "1"
    template[AT["ctry"]] = "E92000001"
    template[AT["rgn"]] = "E12000002"
    template[AT["streg"]] = "0"
    template[AT["ru11ind"]] = "A1"
    template[AT["oac11"]] = "1A1"
    template[AT["imd"]] = "12345"
    others = rows - len(ours)
    order = list(range(rows))
    rng.shuffle(order)
    ours_at = set(order[: len(ours)])
    ours_iter = iter(ours)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as out:
        out.write(",".join(HEADER) + "\n")
        other = 0
        for i in range(rows):
            row = list(template)
            if i in ours_at:
                r = next(ours_iter)
                pcds = r["postcode"]
                lad, ward, lsoa, msoa = r["la_code"], r["ward_code"], r["lsoa_code"], r["msoa_code"]
                lon, lat = float(r["lon"]), float(r["lat"])
            else:
                # QA1 0AA … XZ99 9ZZ: letters no real postcode starts with, so no clash.
                n = other
                other += 1
                outward = f"{'QX'[n // 2_600_000]}{chr(65 + n // 100_000 % 26)}{n // 1000 % 100}"
                inward = f"{n // 100 % 10}{chr(65 + n // 10 % 10)}{chr(65 + n % 10)}"
                pcds = f"{outward} {inward}"
                la = n // 7500  # about 360 authorities
                lad, ward = f"E0{6 + la % 4}{la:06d}", f"E05{n // 500:06d}"
                lsoa, msoa = f"E01{n // 700:06d}", f"E02{n // 3000:06d}"
                lon, lat = rng.uniform(-5.5, 1.7), rng.uniform(50.1, 55.7)
                if min_lon <= lon <= max_lon and min_lat <= lat <= max_lat:
                    lat += 1.0  # never inside the area's box
            row[AT["pcd"]] = pcds.replace(" ", "")
            row[AT["pcd2"]] = pcds
            row[AT["pcds"]] = pcds
            row[AT["oslaua"]] = lad
            row[AT["osward"]] = ward
            row[AT["lsoa21"]] = lsoa
            row[AT["msoa21"]] = msoa
            row[AT["lat"]] = f"{lat:.6f}"
            row[AT["long"]] = f"{lon:.6f}"
            row[AT["oseast1m"]] = str(380_000 + i % 10_000)
            row[AT["osnrth1m"]] = str(390_000 + i % 10_000)
            out.write(",".join(row) + "\n")
        assert other == others
    tmp.rename(path)
    return path


def _peak_mib() -> float:
    """This process's peak resident memory since it started (VmHWM: unlike getrusage's
    ru_maxrss, it does not carry over the parent's peak from before the exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def run_floor(path: Path) -> dict[str, float]:
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        count = sum(1 for _ in csv.reader(handle)) - 1
    return {"seconds": time.perf_counter() - started, "rows": count, "peak_mib": _peak_mib()}


def _database() -> Path:
    db = env.BENCH_DIR / "postcodes.sqlite3"
    return db


def prepare() -> None:
    """A scratch database with the area's boundary (no postcodes)."""
    db = _database()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env.use_database(env.sqlite_url(db))
    from django.core.management import call_command

    from livingmap.areas.importers.boundaries import BoundaryImporter

    call_command("migrate", verbosity=0)
    report = BoundaryImporter(BOUNDARY, level="lad", vintage=2023).run(commit=True)
    assert not report.error, report.error


def run_import(path: Path, keep: str) -> dict[str, float]:
    env.use_database(env.sqlite_url(_database()))
    from livingmap.areas.importers.postcodes import PostcodeImporter
    from livingmap.areas.models import Postcode

    Postcode.objects.all().delete()
    started = time.perf_counter()
    report = PostcodeImporter(path, keep=keep, area_code=AREA).run(commit=True)
    seconds = time.perf_counter() - started
    assert not report.error, report.error
    return {
        "seconds": seconds,
        "rows": report.read,
        "kept": report.created,
        "left_out": report.skipped,
        "peak_mib": _peak_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_700_000)
    parser.add_argument("--step", default="", help=argparse.SUPPRESS)
    parser.add_argument("--file", default="", help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.step:
        path = Path(a.file)
        if a.step == "prepare":
            prepare()
            print("{}")
        elif a.step == "floor":
            print(json.dumps(run_floor(path)))
        else:
            print(json.dumps(run_import(path, a.step)))
        return
    started = time.perf_counter()
    path = national_file(a.rows)
    print(
        f"file: {path} ({path.stat().st_size / 2**20:,.0f} MiB, {time.perf_counter() - started:.0f} s)"
    )

    def step(name: str) -> dict[str, float]:
        done = subprocess.run(
            [sys.executable, "-m", "bench.postcodes_bench", "--step", name, "--file", str(path)],
            cwd=env.ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    step("prepare")
    # Each twice, in turn, the faster kept: the first read of the file may find it out of the
    # page cache, and the machine may be busy.
    runs: dict[str, list[dict[str, float]]] = {}
    for _ in range(2):
        for name in ("floor", "local_authority", "boundary"):
            runs.setdefault(name, []).append(step(name))
    results = {name: min(r, key=lambda x: x["seconds"]) for name, r in runs.items()}
    for name, r in runs.items():
        times = ", ".join(f"{x['seconds']:.1f} s" for x in r)
        print(f"{name}: runs {times}")
    floor = results["floor"]["seconds"]
    for name, r in results.items():
        extra = f", kept {r['kept']:,}, left out {r['left_out']:,}" if "kept" in r else ""
        print(
            f"{name:<16} {r['seconds']:6.1f} s  {r['rows'] / r['seconds']:>10,.0f} rows/s  "
            f"peak {r['peak_mib']:,.0f} MiB  ({r['seconds'] / floor:.2f}× the floor){extra}"
        )
    (env.BENCH_DIR / "postcodes.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
