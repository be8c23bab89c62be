"""Test settings shared by every app: where the demo data is, and database helpers."""

from __future__ import annotations

import pytest


@pytest.fixture
def data_dir(settings):
    return settings.LIVINGMAP_DATA_DIR
