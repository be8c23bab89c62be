"""Fixtures for whole-site tests: a live server over the demo and headless Chromium.

Chromium and ChromeDriver come from Debian (`apt-get install chromium chromium-driver`);
axe-core from the npm registry (`make axe`, which `make test` runs). Without them the browser
tests skip with the reason; with LIVINGMAP_REQUIRE_BROWSER=1 (set by .ci/run) they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from livingmap.core.testing import (
    browser_missing,
    quit_chromium,
    require_chromium,
    start_chromium,
)

REPO = Path(__file__).resolve().parent.parent


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
    require_chromium()


@pytest.fixture(scope="session")
def browser(_browser_binaries: None) -> Iterator[object]:
    """Headless Chromium with JavaScript, shared by the tests of a session."""
    driver = start_chromium(javascript=True)
    yield driver
    quit_chromium(driver)


@pytest.fixture(scope="session")
def browser_without_javascript(_browser_binaries: None) -> Iterator[object]:
    """Headless Chromium with JavaScript turned off, as some residents' browsers are."""
    driver = start_chromium(javascript=False)
    yield driver
    quit_chromium(driver)


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
