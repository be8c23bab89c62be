"""Helpers the test suites share (imported only by tests): threads started together, and a
private headless Chromium from Debian's packages."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("LIVINGMAP_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("LIVINGMAP_CHROMEDRIVER", "/usr/bin/chromedriver"))

#: Flags for a quiet, private headless Chromium that talks to nothing but this machine.
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--window-size=1280,1000",
    # Any host but this machine fails to resolve: map tiles and anything else on the internet
    # are unreachable, as they are in CI, and no test can quietly depend on them.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]


def run_together(n: int, work: Callable[[int], Any], *, timeout: float = 120) -> list[Any]:
    """work(i) in n threads started at the same moment; their results, or the exceptions they
    raised. Each thread closes its own database connection when done."""
    from django.db import connection

    results: list[Any] = [None] * n
    start = threading.Barrier(n)

    def target(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


def browser_missing(reason: str) -> None:
    """Skip, or fail when LIVINGMAP_REQUIRE_BROWSER=1 (CI must run the browser tests)."""
    if os.environ.get("LIVINGMAP_REQUIRE_BROWSER", "") == "1":
        pytest.fail(f"{reason} (LIVINGMAP_REQUIRE_BROWSER=1, so this cannot be skipped)")
    pytest.skip(reason)


def require_chromium() -> None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            browser_missing(f"{path} is missing: apt-get install {package}")


def start_chromium(*, javascript: bool = True, extra_flags: Sequence[str] = ()) -> Any:
    """Headless Chromium driven by Debian's ChromeDriver, with a profile of its own."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, *extra_flags]:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="livingmap-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    # A Service with an explicit path means Selenium Manager is never run (it would download).
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    driver._livingmap_profile = profile  # removed when the browser closes
    return driver


def quit_chromium(driver: Any) -> None:
    profile = driver._livingmap_profile
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def run_queued_task(task_id: str) -> None:
    """Run one task from the database queue as the worker (`livingmap db_worker`) does."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    worker.run_task(DBTaskResult.objects.get(pk=task_id))
