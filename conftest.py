"""Shared test set-up: every test database holds the real Trafford demo, loaded once.

Tests run inside a transaction that is rolled back, so a test may delete or change demo rows
(for instance to import a layer into an empty table) without affecting other tests.
Browser and PostgreSQL-only tests skip with a reason when what they need is missing; in CI
(`CI=true`) such a skip is turned into a failure by .ci/run.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from livingmap.assets.demo import load_demo

    with django_db_blocker.unblock():
        reports = load_demo(commit=True)
    failed = [r for r in reports if r.error]
    assert not failed, [(r.importer, r.error) for r in failed]


@pytest.fixture
def data_dir(settings):
    return settings.LIVINGMAP_DATA_DIR
