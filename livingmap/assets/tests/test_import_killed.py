"""An import killed part-way leaves nothing behind on the server (issue 17, item 4).

A large file is read in a second, forked process (`Importer._parts_read_apart`). That process
once kept its copy of the parent's database socket: when the parent was killed, the server
never saw the connection close, the session stayed "idle in transaction" with its locks, and
the next import of the same data set waited for them for ever. Here a real import runs in a
subprocess on PostgreSQL, is killed with SIGKILL while its reader is working, and is then run
again, to the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ROWS = 60_000

SCRIPT = """
import multiprocessing, os, sys
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "livingmap.settings"
django.setup()
from django.db import connection
from livingmap.assets.importers.mapping import MappedCSVImporter

source, mapping, mode = sys.argv[1:4]

def progress(done, total):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    readers = " ".join(str(p.pid) for p in multiprocessing.active_children())
    print(f"progress {done} backend {backend} readers {readers}", flush=True)

report = MappedCSVImporter(source, mapping=mapping, read_apart_from_bytes=0).run(
    commit=mode == "commit", progress=progress
)
print(f"report {report.read} {report.created} {report.error or 'ok'}", flush=True)
"""

MAPPING = """
[dataset]
slug = "killed-import-test"
name = "A register for the killed-import test"
licence = "CC0"

[columns]
source_id = "ref"
name = "name"
postcode = "postcode"
lon = "lon"
lat = "lat"

[fixed]
kind = "physical"
"""


def _register(path: Path) -> Path:
    lines = ["ref,name,postcode,lon,lat"]
    for i in range(ROWS):
        lon = -2.40 + (i % 300) * 0.0005
        lat = 53.38 + (i // 300) * 0.0003
        lines.append(f"K{i:06d},Community room number {i},M33 7ZF,{lon:.6f},{lat:.6f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _environment() -> dict[str, str]:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}


def _session(pid: int) -> str | None:
    with connection.cursor() as cursor:
        # The test runs in a transaction, which would see pg_stat_activity as it first read it.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row[0] if row else None


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_an_import_killed_mid_way_leaves_no_session_and_runs_again(tmp_path):
    source = _register(tmp_path / "register.csv")
    mapping = tmp_path / "register.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    script = tmp_path / "run_import.py"
    script.write_text(SCRIPT, encoding="utf-8")
    command = [sys.executable, str(script), str(source), str(mapping)]
    env = _environment()

    first = subprocess.Popen(
        [*command, "commit"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
    )
    try:
        assert first.stdout is not None and first.stderr is not None
        for _ in range(2):  # two parts of three in: the reader has the last yet to send
            line = first.stdout.readline()
            assert line.startswith("progress "), (line, first.stderr.read())
        words = line.split()
        backend = int(words[3])
        readers = [int(p) for p in words[5:]]
        assert readers, "the large register is read in a second process"
        assert all(_alive(p) for p in readers)
        assert _session(backend) is not None  # the import's session, in its transaction
        first.send_signal(signal.SIGKILL)  # mid-way
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()

    # The server sees the connection close: the session (and its locks) goes, and so does
    # the reading process, with its parent.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (
        _session(backend) is not None or any(_alive(p) for p in readers)
    ):
        time.sleep(0.2)
    assert _session(backend) is None, f"session {backend} is left {_session(backend)!r}"
    assert not any(_alive(p) for p in readers), "the reading process outlived its parent"

    # The same data set again, to the end (a dry run: it takes the same locks, and leaves
    # the shared test database as it was).
    again = subprocess.run(
        [*command, "dry-run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"report {ROWS} {ROWS} ok" in again.stdout, again.stdout[-2000:]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] == 0
