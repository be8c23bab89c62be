"""Settings read from the environment, as an operator sets them (docs/deploying.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import json, django
django.setup()
from django.core.mail import get_connection
c = get_connection()
print(json.dumps([type(c).__module__.rsplit(".", 1)[-1]] + [
    getattr(c, name, None) for name in ("host", "port", "use_tls", "use_ssl")
]))
"""


def _mail_connection(**env: str) -> list:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DEFAULT_FROM"))
    }
    environment.update(DJANGO_SETTINGS_MODULE="livingmap.settings", **env)
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_without_a_mail_server_emails_go_to_the_log():
    assert _mail_connection()[0] == "console"


def test_a_mail_server_gets_starttls_by_default():
    assert _mail_connection(EMAIL_HOST="smtp.example.org") == [
        "smtp",
        "smtp.example.org",
        587,
        True,
        False,
    ]


def test_a_mail_server_that_takes_tls_from_the_start_can_be_used():
    assert _mail_connection(EMAIL_HOST="smtp.example.org", EMAIL_PORT="465", EMAIL_USE_SSL="1") == [
        "smtp",
        "smtp.example.org",
        465,
        False,
        True,
    ]


SQLITE_PROBE = """
import json, django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS probe (x integer)")
    cursor.execute("INSERT INTO probe VALUES (1)")
    cursor.execute("SELECT count(*) FROM probe")
    rows = cursor.fetchone()[0]
    cursor.execute("PRAGMA page_size")
    page_size = cursor.fetchone()[0]
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
print(json.dumps([page_size, journal, rows]))
"""


def _sqlite_probe(path) -> list:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "livingmap.settings"}
    environment["DATABASE_URL"] = f"sqlite:///{path}"
    out = subprocess.run(
        [sys.executable, "-c", SQLITE_PROBE],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_new_sqlite_database_gets_16_kib_pages_in_wal_mode(tmp_path):
    assert _sqlite_probe(tmp_path / "new.sqlite3") == [16384, "wal", 1]


def test_an_older_sqlite_database_keeps_its_pages_and_works(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute("PRAGMA page_size=4096")
        old.execute("CREATE TABLE probe (x integer)")
        old.execute("INSERT INTO probe VALUES (1)")
    old.close()
    assert _sqlite_probe(path) == [4096, "wal", 2]
