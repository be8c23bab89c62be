"""Where the benchmark databases live, and pointing Django at one of them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
RESULTS_JSON = BENCH_DIR / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"
DEMO_DB = ROOT / "var" / "livingmap.sqlite3"
#: PostgreSQL server for the information-only search figures (the one CI uses).
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def national_db(assets: int, polygons: int) -> Path:
    return BENCH_DIR / f"national-{assets}-{polygons}.sqlite3"


def import_db(polygons: int) -> Path:
    return BENCH_DIR / f"import-{polygons}.sqlite3"


def postgres_url(assets: int, polygons: int) -> str:
    return f"{POSTGRES_SERVER}/livingmap_bench_{assets}_{polygons}"


def postgres_import_url(polygons: int) -> str:
    return f"{POSTGRES_SERVER}/livingmap_bench_import_{polygons}"


def use_database(url: str) -> None:
    """Configure Django for one database. Call once per process, before anything imports models."""
    if "django" in sys.modules:
        from django.conf import settings

        if settings.configured:
            raise RuntimeError("Django is already set up in this process")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "livingmap.settings")
    import django

    django.setup()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"
