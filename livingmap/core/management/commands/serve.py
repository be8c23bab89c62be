"""livingmap serve -- gunicorn livingmap.wsgi …: the web server, the background worker and the
scheduler together, started and stopped as one (what `make run` uses).

Each runs as a child process in a process group of its own, so Ctrl-C reaches this supervisor
only, which then asks each child to stop (SIGTERM) and, after --grace seconds, kills whichever
has not. SIGTERM and SIGHUP do the same. If any child stops by itself, the others are stopped
too and this exits with a failure, so nothing is left half-running. On Linux each child is also
told to stop if this process dies without a word (PR_SET_PDEATHSIG), so no orphan is left."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def livingmap_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "livingmap.cli", *args]


def worker_command() -> list[str]:
    """The worker for the configured task backend."""
    if settings.LIVINGMAP_TASKS_BACKEND == "redis":
        # --with-scheduler: RQ's own scheduler moves retries that wait to the queue when due.
        return livingmap_command(
            "rqworker", "default", "--job-class", "django_tasks_rq.Job", "--with-scheduler"
        )
    return livingmap_command("db_worker", "--no-reload", "--queue-name", "*")


class Command(BaseCommand):
    help = "Run the web server (the command after --), the background worker and the scheduler."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-worker", action="store_true", help="Do not start the worker.")
        parser.add_argument(
            "--no-scheduler", action="store_true", help="Do not start the scheduler."
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=15.0,
            help="Seconds each process has to stop before it is killed (default 15).",
        )
        parser.add_argument(
            "web", nargs=argparse.REMAINDER, help="The web server's command, after --."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        web = list(options["web"])
        if web[:1] == ["--"]:
            web = web[1:]
        commands: dict[str, list[str]] = {}
        if web:
            commands["web server"] = web
        if not options["no_worker"]:
            if settings.LIVINGMAP_TASKS_BACKEND == "immediate":
                self.stderr.write("LIVINGMAP_TASKS_BACKEND=immediate: no worker is needed.")
            else:
                commands["worker"] = worker_command()
        if not options["no_scheduler"]:
            commands["scheduler"] = livingmap_command("run_scheduler")
        if not commands:
            raise CommandError("Nothing to run: give the web server's command after --.")
        raise SystemExit(self.supervise(commands, grace=options["grace"]))

    def supervise(self, commands: dict[str, list[str]], *, grace: float) -> int:
        stop: list[int] = []

        def on_signal(signum: int, frame: Any) -> None:
            stop.append(signum)

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, on_signal)
        children: dict[str, subprocess.Popen[bytes]] = {}
        code = 0
        try:
            for name, command in commands.items():
                # The web server serves requests: it keeps the web server's database timeouts
                # (settings.py), not the ones `livingmap` gave this command.
                env = {
                    **os.environ,
                    "LIVINGMAP_PROCESS": "web" if name == "web server" else "command",
                }
                children[name] = subprocess.Popen(  # noqa: S603 - our own commands
                    command, process_group=0, preexec_fn=_die_with_parent, env=env
                )
                self.stdout.write(f"Started the {name} (process {children[name].pid}).")
            self.stdout.flush()
            while not stop:
                ended = [(n, c.returncode) for n, c in children.items() if c.poll() is not None]
                if ended:
                    name, returncode = ended[0]
                    self.stderr.write(
                        f"The {name} stopped (exit code {returncode}): stopping the others."
                    )
                    code = returncode if returncode > 0 else 1
                    break
                time.sleep(0.2)
        finally:
            _stop_all(children, grace)
        return code


def _stop_all(children: dict[str, subprocess.Popen[bytes]], grace: float) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children.values():
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
