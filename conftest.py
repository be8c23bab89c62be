"""Shared test set-up: every test database holds the real Trafford demo, loaded once (the real
open data only: the illustrative extras other apps add to `make run`'s demo are left out).

Tests run inside a transaction that is rolled back, so a test may delete or change demo rows
(for instance to import a layer into an empty table) without affecting other tests.

Tests that need something the machine may lack skip with a reason: `@pytest.mark.postgres` tests
skip on SQLite, browser tests skip without Chromium or axe-core. CI must not pass by skipping,
so `.ci/run` sets LIVINGMAP_REQUIRE_POSTGRES=1 on its PostgreSQL run and
LIVINGMAP_REQUIRE_BROWSER=1 on every run, and then such a skip is a failure instead.
"""

from __future__ import annotations

import os

import pytest


def require(env_var: str) -> bool:
    """True when CI has asked for a skip of this kind to count as a failure."""
    return os.environ.get(env_var, "") == "1"


def missing(reason: str, *, env_var: str) -> None:
    """Skip the test with `reason`, or fail it when `env_var`=1 says CI needs it to run."""
    if require(env_var):
        pytest.fail(f"{reason} ({env_var}=1, so this cannot be skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connection

    from livingmap.assets.demo import load_demo

    if require("LIVINGMAP_REQUIRE_POSTGRES") and connection.vendor != "postgresql":
        pytest.fail(
            "LIVINGMAP_REQUIRE_POSTGRES=1 but the tests are running on "
            f"{connection.vendor}: set DATABASE_URL=postgres://…",
            pytrace=False,
        )
    with django_db_blocker.unblock():
        reports = load_demo(commit=True, extras=False)
    failed = [r for r in reports if r.error]
    assert not failed, [(r.importer, r.error) for r in failed]


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _demo_in_transactional_tests(request: pytest.FixtureRequest) -> None:
    """A transactional test (`transaction=True`, `transactional_db`, pytest-django's
    `live_server`) empties every table when it ends, so the next one would find no demo:
    load it again for any such test that finds the database empty. pytest-django runs these
    tests after all the others, so ordinary tests never pay for this."""
    if not _is_transactional(request) or request.node.get_closest_marker("no_demo"):
        return
    request.getfixturevalue("transactional_db")
    from livingmap.areas.models import Area
    from livingmap.assets.demo import load_demo

    if not Area.objects.exists():
        reports = load_demo(commit=True, extras=False)
        assert not [r for r in reports if r.error]


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings) -> None:
    """Background jobs run in the test's own process as they are queued (the immediate task
    backend); a test of the worker itself sets the database backend (core/tests/test_jobs.py)."""
    import django

    module = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
    settings.TASKS = {"default": {"BACKEND": f"{module}.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    """`@pytest.mark.postgres` tests run only on PostgreSQL."""
    if request.node.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        missing(
            "runs only on PostgreSQL: set DATABASE_URL=postgres://…",
            env_var="LIVINGMAP_REQUIRE_POSTGRES",
        )


@pytest.fixture
def data_dir(settings):
    return settings.LIVINGMAP_DATA_DIR


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, signed in as administrators are: with a second factor
    (Django's admin asks for one, settings.LIVINGMAP_ADMIN_REQUIRE_2FA)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(admin_user)
    device = TOTPDevice.objects.create(user=admin_user, name="test", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client
