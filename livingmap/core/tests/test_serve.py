"""`livingmap serve` (what `make run` uses): the web server, the worker and the scheduler start
together and stop together — on SIGTERM, when one of them dies, and when the supervisor itself is
killed — leaving no process behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

STARTUP_TIMEOUT_S = 180


def _environment(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "LIVINGMAP_TEST_SQLITE", "LIVINGMAP_TASKS_BACKEND"}
        and not k.startswith("PYTEST_")
    }
    env["LIVINGMAP_VAR_DIR"] = str(var_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _livingmap(*args: str) -> list[str]:
    return [sys.executable, "-m", "livingmap.cli", *args]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in {"Z", "X"}


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc to see which processes are left")
    var = tmp_path_factory.mktemp("serve") / "var"
    subprocess.run(
        _livingmap("migrate", "--no-input", "-v0"), env=_environment(var), check=True, timeout=600
    )
    return var


@dataclass
class Serving:
    process: subprocess.Popen[bytes]
    log: Path
    pids: dict[str, int]

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def serving(var_dir: Path, tmp_path: Path) -> Iterator[Serving]:
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            _livingmap("serve", "--grace", "20", "--", "sleep", "600"),
            env=_environment(var_dir),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Serving(process=process, log=log, pids={})
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not ("Starting worker" in served.output() and "Scheduler started" in served.output()):
            assert process.poll() is None, served.output()
            assert time.monotonic() < deadline, served.output()
            time.sleep(0.5)
        served.pids = {
            name: int(pid)
            for name, pid in re.findall(r"Started the (.+?) \(process (\d+)\)", served.output())
        }
        assert set(served.pids) == {"web server", "worker", "scheduler"}
        assert all(_alive(pid) for pid in served.pids.values())
        yield served
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        for pid in served.pids.values():
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _all_gone(pids: dict[str, int], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids.values()):
            return True
        time.sleep(0.2)
    return False


def test_sigterm_stops_every_process_cleanly(serving: Serving) -> None:
    serving.process.send_signal(signal.SIGTERM)
    assert serving.process.wait(timeout=60) == 0
    assert _all_gone(serving.pids), serving.output()
    assert "Scheduler stopped." in serving.output()


def test_when_one_process_dies_the_others_are_stopped(serving: Serving) -> None:
    os.kill(serving.pids["web server"], signal.SIGKILL)
    assert serving.process.wait(timeout=60) == 1
    assert _all_gone(serving.pids), serving.output()
    assert "The web server stopped" in serving.output()


def test_killing_the_supervisor_leaves_no_orphan(serving: Serving) -> None:
    serving.process.kill()  # no chance to clean up: the children are told by the kernel
    serving.process.wait(timeout=10)
    assert _all_gone(serving.pids), serving.output()


def test_serve_needs_something_to_run() -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="Nothing to run"):
        call_command("serve", "--no-worker", "--no-scheduler")
