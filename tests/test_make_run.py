"""`make run`, the README's first command, serves the Trafford demo from a fresh database.

The server runs in its own process group with LIVINGMAP_VAR_DIR pointing at an empty directory,
so `make run` migrates a new SQLite file and loads the demo into it, as on a fresh clone. It uses
the virtual environment the tests run in (already installed, so nothing is reinstalled).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 180


def _venv() -> Path:
    """The virtual environment these tests run in (`make test VENV=…` passes it on)."""
    return Path(os.environ.get("LIVINGMAP_VENV") or sys.prefix)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # A fresh SQLite demo, whatever database the test run itself uses; no make state.
        if k
        not in {
            "DATABASE_URL",
            "LIVINGMAP_TEST_SQLITE",
            "LIVINGMAP_TASKS_BACKEND",
            "MAKEFLAGS",
            "MFLAGS",
            "MAKELEVEL",
        }
        and not k.startswith("PYTEST_")
    }
    env["LIVINGMAP_VAR_DIR"] = str(var_dir)
    return env


@dataclass
class Served:
    base: str
    log: Path
    var_dir: Path

    def get(self, path: str) -> tuple[int, str, str]:
        """Status, content type and body of a GET."""
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as response:
                return (
                    response.status,
                    response.headers.get("Content-Type", ""),
                    response.read().decode("utf-8"),
                )
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read().decode()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if shutil.which("make") is None:
        pytest.skip("GNU make is not installed")
    venv = _venv()
    stamp = venv / ".installed"
    if not stamp.exists() or stamp.stat().st_mtime < (REPO / "pyproject.toml").stat().st_mtime:
        # `make run` would (re)install into this environment first; do not do that behind the
        # back of whoever made it. `make test` always installs first, so CI never gets here.
        reason = f"{venv} was not installed by `make install` (no up-to-date {stamp.name} stamp)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("make-run")
    var_dir = tmp / "var"
    log = tmp / "make-run.log"
    port = _free_port()
    command = ["make", "--no-print-directory", "run", f"PORT={port}", f"VENV={venv}"]
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=_environment(var_dir),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: make, gunicorn and its workers
        )
    served = Served(base=f"http://127.0.0.1:{port}", log=log, var_dir=var_dir)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"`make run` exited with {process.returncode}:\n{served.output()}")
            try:
                with urllib.request.urlopen(served.base + "/", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`make run` did not answer in {STARTUP_TIMEOUT_S} s:\n{served.output()}"
                )
            time.sleep(0.5)
        yield served
    finally:
        _stop(process)
        _no_process_left(served)


class _Links(HTMLParser):
    """The stylesheets a page links to."""

    def __init__(self) -> None:
        super().__init__()
        self.stylesheets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "stylesheet" and a.get("href"):
            self.stylesheets.append(a["href"])


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _no_process_left(served: Served) -> None:
    """Stopping `make run` stops the web server, the worker and the scheduler too (each runs in
    a process group of its own under `livingmap serve`, so the signal to make's group reaches
    them only through it)."""
    import re

    pids = [int(p) for p in re.findall(r"Started the .+? \(process (\d+)\)", served.output())]
    deadline = time.monotonic() + 30
    left = pids
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = [pid for pid in pids if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"`make run` left processes {left} running after it was stopped"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in {"Z", "X"}


def test_make_run_loads_the_demo_into_a_fresh_database(make_run: Served) -> None:
    output = make_run.output()
    assert "migrate" in output
    assert "load_demo --if-empty" in output
    # The demo was loaded by this run (a report line per import), not found already there.
    assert "already has areas" not in output
    assert "trafford-council-libraries" in output
    assert (make_run.var_dir / "livingmap.sqlite3").stat().st_size > 1_000_000


def test_make_run_does_not_reinstall(make_run: Served) -> None:
    """The virtual environment is installed once (a stamp file), not on every `make run`."""
    assert "pip install" not in make_run.output()


def test_home_page(make_run: Served) -> None:
    status, content_type, body = make_run.get("/")
    assert status == 200
    assert content_type.startswith("text/html")
    assert "Trafford" in body
    assert "/neighbourhoods/south/" in body


def test_search_page(make_run: Served) -> None:
    status, _, body = make_run.get("/assets/?q=library")
    assert status == 200
    assert body.count(" Library") >= 5
    status, _, body = make_run.get("/assets/?q=library&postcode=WA14+1AH")
    assert status == 200
    assert "Altrincham Library" in body


def test_search_api(make_run: Served) -> None:
    status, content_type, body = make_run.get("/api/assets?q=library")
    assert status == 200
    assert content_type.startswith("application/json")
    page = json.loads(body)
    names = [asset["name"] for asset in page["results"]]
    # Trafford has a dozen public libraries, and a search for the word ranks them first.
    assert page["total"] >= 12
    assert "Library" in names[0]
    assert sum("Library" in name for name in names) >= 5


def test_the_workers_count_rate_limits_in_one_shared_cache(make_run: Served) -> None:
    """Two gunicorn workers serve the demo; rate limits must count across both (a cache in
    each worker's memory would let every client twice as many tries)."""
    status, _, _ = make_run.get("/api/assets?q=park")
    assert status == 200
    assert any((make_run.var_dir / "cache").glob("*.djcache"))


def test_neighbourhood_page(make_run: Served) -> None:
    status, _, body = make_run.get("/neighbourhoods/south/")
    assert status == 200
    assert "South" in body
    assert "Altrincham" in body


def test_static_files_are_served(make_run: Served) -> None:
    """The stylesheet the pages link to is served (by WhiteNoise under gunicorn)."""
    _, _, body = make_run.get("/")
    links = _Links()
    links.feed(body)
    stylesheets = links.stylesheets
    assert stylesheets, "the home page links no stylesheet"
    for href in stylesheets:
        status, content_type, _ = make_run.get(href)
        assert status == 200, href
        assert content_type.startswith("text/css"), href


def test_a_missing_page_does_not_list_the_url_patterns(make_run: Served) -> None:
    """`make run` serves without debug pages: a 404 is the site's own page, not Django's list
    of every URL pattern, and a key made once is kept in var/ for the next run."""
    status, content_type, body = make_run.get("/no-such-page-here/")
    assert status == 404
    assert content_type.startswith("text/html")
    assert "Page not found" in body
    for debug_sign in ("URLconf", "DEBUG = True", "timebank/<slug:slug>", "api/openapi.json"):
        assert debug_sign not in body, debug_sign
    key = make_run.var_dir / "secret_key"
    assert len(key.read_text().strip()) >= 50
    assert key.stat().st_mode & 0o077 == 0, "the secret key file is readable by others"
    assert "insecure" not in key.read_text()


def test_the_worker_and_the_scheduler_run_under_make_run(make_run: Served) -> None:
    """`make run` starts the scheduler and the database worker beside gunicorn: the scheduled
    heartbeat job (core/tasks.py, due as soon as the scheduler first sees it) is queued and run,
    and its run is recorded as succeeded."""
    import sqlite3

    output = make_run.output()
    assert "Started the worker" in output and "Started the scheduler" in output
    database = make_run.var_dir / "livingmap.sqlite3"
    deadline = time.monotonic() + 120
    rows: list[tuple[str, str]] = []
    while time.monotonic() < deadline:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as db:
            rows = db.execute(
                "SELECT status, task_id FROM core_jobrun WHERE job_name = 'core.heartbeat'"
            ).fetchall()
        if any(status == "succeeded" for status, _ in rows):
            break
        time.sleep(1)
    assert any(status == "succeeded" for status, _ in rows), (rows, make_run.output()[-3000:])
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as db:
        (task_status,) = db.execute(
            "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = ?",
            (next(t for s, t in rows if s == "succeeded").replace("-", ""),),
        ).fetchone()
    assert task_status == "SUCCESSFUL"  # run by the worker, from the database queue
