"""Fixtures for whole-site tests: a live server over the demo and headless Chromium.

Chromium and ChromeDriver come from Debian (`apt-get install chromium chromium-driver`);
axe-core from the npm registry (`make axe`, which `make test` runs). Without them the browser
tests skip with the reason; with LIVINGMAP_REQUIRE_BROWSER=1 (set by .ci/run) they fail.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
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


def browser_missing(reason: str) -> None:
    """Skip, or fail when LIVINGMAP_REQUIRE_BROWSER=1 (CI must run the browser tests)."""
    if os.environ.get("LIVINGMAP_REQUIRE_BROWSER", "") == "1":
        pytest.fail(f"{reason} (LIVINGMAP_REQUIRE_BROWSER=1, so this cannot be skipped)")
    pytest.skip(reason)


def axe_path() -> Path | None:
    """axe.min.js: $LIVINGMAP_AXE_JS, else the newest one `make axe` fetched into .cache/."""
    if os.environ.get("LIVINGMAP_AXE_JS"):
        path = Path(os.environ["LIVINGMAP_AXE_JS"])
        return path if path.is_file() else None
    found = sorted((REPO / ".cache" / "axe-core").glob("*/axe.min.js"))
    return found[-1] if found else None


@pytest.fixture(scope="session")
def axe_source() -> str:
    path = axe_path()
    if path is None:
        browser_missing("axe-core is not available: run `make axe` (needs npm)")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def _browser_binaries() -> None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            browser_missing(f"{path} is missing: apt-get install {package}")


def _chrome(*, javascript: bool) -> object:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="livingmap-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    # A Service with an explicit path means Selenium Manager is never run (it would download).
    service = Service(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    driver._livingmap_profile = profile  # removed when the browser closes
    return driver


def _quit(driver: object) -> None:
    import shutil

    profile = driver._livingmap_profile
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(_browser_binaries: None) -> Iterator[object]:
    """Headless Chromium with JavaScript, shared by the tests of a session."""
    driver = _chrome(javascript=True)
    yield driver
    _quit(driver)


@pytest.fixture(scope="session")
def browser_without_javascript(_browser_binaries: None) -> Iterator[object]:
    """Headless Chromium with JavaScript turned off, as some residents' browsers are."""
    driver = _chrome(javascript=False)
    yield driver
    _quit(driver)


@pytest.fixture(scope="session")
def _demo_server(django_db_setup, django_db_blocker) -> Iterator[object]:
    """A live server over the test database, started once.

    pytest-django's own `live_server` fixture makes every test that uses it transactional, and a
    transactional test empties the tables when it ends, so the demo would be reloaded each time.
    The demo is committed before any test runs, so a server thread sees it from an ordinary
    (rolled-back) test as well: on PostgreSQL through its own connection, on in-memory SQLite
    through the connection pytest-django's LiveServer shares with it.
    """
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        server = LiveServer("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture
def site(_demo_server, db, settings) -> str:
    """The live demo site's base URL (no trailing slash), for one test.

    Map tiles point at a closed port on this machine: the pages must work without them.
    """
    settings.LIVINGMAP_TILE_URL = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"
    # On in-memory SQLite the live server shares this thread's connection: build the insights
    # aggregates here, so that no page the browser opens writes while this thread reads. (On
    # PostgreSQL the server has its own connection and builds them itself, committed; doing it
    # here, in this test's open transaction, would hold the lock the server waits for.)
    from django.db import connection

    if connection.vendor == "sqlite":
        from livingmap.insights.services import refresh_aggregates

        refresh_aggregates(only_if_stale=True)
    return _demo_server.url
