from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

DATA = Path(settings.LIVINGMAP_DATA_DIR) / "openreferral"


def load(rel: str):
    return json.loads((DATA / rel).read_text(encoding="utf-8"))


@pytest.fixture
def data_dir() -> Path:
    return DATA
