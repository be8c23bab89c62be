"""Time bank ledger throughput on PostgreSQL, beside pgbench's simple-update on the same server.

python -m bench.timebank_bench                  16 clients, 10 s per mode
python -m bench.timebank_bench --seconds 5      shorter

Method: a scratch database (livingmap_bench_timebank) is migrated by Django and given one bank
with 1,000 active members (no credit limits, so nothing is refused). 16 concurrent clients then
record exchanges through `timebank.services.record_exchange` — the real service, as a broker, so
each exchange is confirmed and posted at once: lock both accounts (SELECT … FOR UPDATE in key
order), insert the exchange and its two movements, move both cached balances — for a fixed
time, between random pairs of members. It is run twice: 16 threads in one Python process, and 16
single-client processes (Python's GIL makes the difference on a small machine); the better mode
is the headline figure and both are reported. The ledger's invariants are then checked over all
the exchanges written. In the same run pgbench initialises a scratch database at scale 10 and
runs its built-in simple-update script with 16 clients for the same time; its TPS is the floor
for what one small write transaction costs on this server.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "livingmap_bench_timebank"
PGBENCH_DB = "livingmap_bench_pgbench"
TARGET = 1000.0
DEFAULT_SCALE = {"clients": 16, "seconds": 10, "members": 1000}


def _url(db: str) -> str:
    return f"{SERVER}/{db}"


def _admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _recreate(db: str) -> None:
    _admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _admin_sql(f'CREATE DATABASE "{db}"')


def _child(*args: str) -> dict[str, Any]:
    """Run this module in a fresh process against the scratch database; return its JSON."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    env = dict(os.environ, DATABASE_URL=_url(DB_NAME), DJANGO_SETTINGS_MODULE="livingmap.settings")
    env.setdefault("LIVINGMAP_VAR_DIR", str(Path(tempfile.gettempdir()) / "livingmap-bench-var"))
    cmd = [sys.executable, "-m", "bench.timebank_bench", *args, "--out", str(out)]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    result = json.loads(out.read_text())
    out.unlink()
    return result


def _django() -> None:
    import django

    django.setup()


# --- steps run in child processes -----------------------------------------------------------


def _setup(members: int) -> dict[str, Any]:
    _django()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from livingmap.timebank import services
    from livingmap.timebank.models import Account, Member

    broker = get_user_model().objects.create_user(username="bench-broker")
    bank = services.create_bank(name="Bench Time Bank", slug="bench", brokers=[broker])
    rows = Member.objects.bulk_create(
        [Member(bank=bank, name=f"Member {i}", status=Member.Status.ACTIVE) for i in range(members)]
    )
    Account.objects.bulk_create([Account(bank=bank, member=m) for m in rows])
    return {"bank": bank.pk, "broker": broker.pk}


def _clients(n: int, seconds: float, go: Path, seed: int) -> dict[str, Any]:
    """n client threads in this process, each recording exchanges until the time is up. The
    process says it is ready (go.ready.<seed>), then waits for the parent's go file, which holds
    the moment every process starts."""
    _django()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from livingmap.timebank import services
    from livingmap.timebank.models import Account, TimeBank

    bank = TimeBank.objects.get(slug="bench")
    accounts = list(Account.objects.filter(bank=bank, member__isnull=False).select_related("bank"))
    get_user_model().objects.get(username="bench-broker")
    connection.close()
    Path(f"{go}.ready.{seed}").touch()
    while not go.exists():
        time.sleep(0.01)
    start_at = float(go.read_text() or 0)
    counts = [0] * n
    latencies: list[list[float]] = [[] for _ in range(n)]
    errors: list[str] = []

    def client(i: int) -> None:
        broker = get_user_model().objects.get(username="bench-broker")
        rng = random.Random(seed * 1000 + i)
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        try:
            while True:
                t0 = time.perf_counter()
                if time.time() >= end:
                    break
                payer, payee = rng.sample(accounts, 2)
                services.record_exchange(
                    by=broker, payer=payer, payee=payee, minutes=rng.randint(5, 180)
                )
                latencies[i].append(time.perf_counter() - t0)
                counts[i] += 1
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "seed": seed,
        "count": sum(counts),
        "latencies": [x for xs in latencies for x in xs],
        "errors": errors,
    }


def _check() -> dict[str, Any]:
    _django()
    from livingmap.timebank.models import Exchange
    from livingmap.timebank.selectors import check_ledger

    problems = check_ledger()
    return {"exchanges": Exchange.objects.count(), "problems": problems[:10]}


# --- the parent --------------------------------------------------------------------------------


def _run_mode(processes: int, per_process: int, seconds: float, seed: int) -> dict[str, Any]:
    go = Path(tempfile.mkdtemp()) / "go"
    env = dict(os.environ, DATABASE_URL=_url(DB_NAME), DJANGO_SETTINGS_MODULE="livingmap.settings")
    env.setdefault("LIVINGMAP_VAR_DIR", str(Path(tempfile.gettempdir()) / "livingmap-bench-var"))
    outs, procs = [], []
    for p in range(processes):
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            outs.append(Path(handle.name))
        cmd = [
            sys.executable, "-m", "bench.timebank_bench", "--clients-step", str(per_process),
            "--seconds", str(seconds), "--go", str(go), "--seed", str(seed + p),
            "--out", str(outs[-1]),
        ]  # fmt: skip
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env))
    while sum(1 for p in range(processes) if Path(f"{go}.ready.{seed + p}").exists()) < processes:
        if any(proc.poll() for proc in procs):
            raise SystemExit("a time bank bench client failed to start")
        time.sleep(0.05)
    tmp = go.with_suffix(".tmp")
    tmp.write_text(str(time.time() + 0.5))
    tmp.rename(go)
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit("a time bank bench client failed")
    count, lat, errors = 0, [], []
    for out in outs:
        r = json.loads(out.read_text())
        out.unlink()
        Path(f"{go}.ready.{r['seed']}").unlink(missing_ok=True)
        count += r["count"]
        lat += r["latencies"]
        errors += r["errors"]
    lat.sort()

    def pct(q: float) -> float:
        return round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 2) if lat else 0.0

    return {
        "processes": processes,
        "threads_per_process": per_process,
        "exchanges": count,
        "exchanges_per_s": round(count / seconds, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else 0.0,
        "errors": errors[:5],
    }


def _pgbench(clients: int, seconds: float) -> dict[str, Any]:
    if not shutil.which("pgbench"):
        return {"tps": None, "note": "pgbench is not installed"}
    _recreate(PGBENCH_DB)
    url = _url(PGBENCH_DB)
    subprocess.run(
        ["pgbench", "-i", "-s", "10", "-q", url], check=True, capture_output=True, text=True
    )
    done = subprocess.run(
        ["pgbench", "-n", "-b", "simple-update", "-c", str(clients), "-j", "2",
         "-T", str(int(seconds)), url],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    match = match or re.search(r"tps = ([\d.]+)", done.stdout)
    _admin_sql(f'DROP DATABASE IF EXISTS "{PGBENCH_DB}" WITH (FORCE)')
    return {
        "tps": float(match.group(1)) if match else None,
        "command": "pgbench -n -b simple-update",
    }


def run(scale: dict | None = None) -> dict[str, Any]:
    scale = {**DEFAULT_SCALE, **(scale or {})}
    clients, seconds, members = (
        int(scale["clients"]),
        float(scale["seconds"]),
        int(scale["members"]),
    )
    _recreate(DB_NAME)
    _child("--setup", "--members", str(members))
    modes = {
        "threads": _run_mode(1, clients, seconds, seed=1),
        "processes": _run_mode(clients, 1, seconds, seed=100),
    }
    check = _child("--check")
    pgbench = _pgbench(clients, seconds)
    best_name = max(modes, key=lambda k: modes[k]["exchanges_per_s"])
    best = modes[best_name]
    rate = best["exchanges_per_s"]
    ok = not check["problems"] and not any(m["errors"] for m in modes.values())
    _admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    return {
        "name": "timebank",
        "clients": clients,
        "seconds": seconds,
        "members": members,
        "modes": modes,
        "best_mode": best_name,
        "exchanges_per_s": rate,
        "p50_ms": best["p50_ms"],
        "p95_ms": best["p95_ms"],
        "p99_ms": best["p99_ms"],
        "pgbench_simple_update_tps": pgbench.get("tps"),
        "ratio_to_pgbench": round(rate / pgbench["tps"], 3) if pgbench.get("tps") else None,
        "target_per_s": TARGET,
        "passed": bool(ok and rate >= TARGET),
        "invariants_ok": not check["problems"],
        "invariant_problems": check["problems"],
        "exchanges_checked": check["exchanges"],
        "cpus": os.cpu_count(),
        "method": (__doc__ or "").split("Method:", 1)[1].strip().replace("\n", " "),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=DEFAULT_SCALE["seconds"])
    parser.add_argument("--clients", type=int, default=DEFAULT_SCALE["clients"])
    parser.add_argument("--members", type=int, default=DEFAULT_SCALE["members"])
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clients-step", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--go", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.setup or a.check or a.clients_step:
        if a.setup:
            result = _setup(a.members)
        elif a.check:
            result = _check()
        else:
            result = _clients(a.clients_step, a.seconds, a.go, a.seed)
        a.out.write_text(json.dumps(result))
        return
    result = run({"clients": a.clients, "seconds": a.seconds, "members": a.members})
    print(json.dumps({k: v for k, v in result.items() if k != "method"}, indent=2))
    print(
        f"time bank: {result['exchanges_per_s']:.0f} exchanges/s ({result['best_mode']}, "
        f"{result['clients']} clients) vs pgbench simple-update "
        f"{result['pgbench_simple_update_tps']} TPS; target {TARGET:.0f}/s: "
        f"{'PASS' if result['passed'] else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
