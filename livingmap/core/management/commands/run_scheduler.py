"""livingmap run_scheduler: queue each app's scheduled jobs when they are due (core/scheduler.py).

Runs until stopped (SIGTERM or Ctrl-C), checking every --interval seconds; --once checks once
and exits (for a systemd timer or cron instead of a service). Safe to run twice: each due run
is queued exactly once."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from livingmap.core.scheduler import run_due_jobs


class Command(BaseCommand):
    help = "Queue the scheduled background jobs when they are due (runs until stopped)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=15.0, help="Seconds between checks (default 15)."
        )
        parser.add_argument("--once", action="store_true", help="Check once, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.running = True
        if options["once"]:
            self._tick(options["verbosity"])
            return

        def stop(signum: int, frame: Any) -> None:
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if options["verbosity"]:
            self.stdout.write(f"Scheduler started: checking every {options['interval']:g} s.")
        while self.running:
            close_old_connections()
            try:
                self._tick(options["verbosity"])
            except Exception as exc:  # a database hiccup must not stop the scheduler
                self.stderr.write(f"Scheduler check failed, trying again: {exc!r}")
            close_old_connections()
            deadline = time.monotonic() + options["interval"]
            while self.running and time.monotonic() < deadline:
                time.sleep(min(0.5, options["interval"]))
        if options["verbosity"]:
            self.stdout.write("Scheduler stopped.")

    def _tick(self, verbosity: int) -> None:
        for run in run_due_jobs():
            if verbosity:
                self.stdout.write(f"Queued {run.job_name} (due {run.due_at:%Y-%m-%d %H:%M:%S %Z}).")
