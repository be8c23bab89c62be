"""Settings read from the environment, as an operator sets them (docs/deploying.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
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


# -- PostgreSQL session timeouts -----------------------------------------------------------------

TIMEOUTS_PROBE = """
import json, django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    shown = {}
    for name in ("statement_timeout", "idle_in_transaction_session_timeout"):
        cursor.execute("SHOW " + name)
        shown[name] = cursor.fetchone()[0]
print(json.dumps(shown))
"""


def _timeouts_of(process: str | None, **env: str) -> dict[str, str]:
    """The timeouts a new process of that kind gets, read from PostgreSQL itself (SHOW)."""
    from django.db import connection

    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
    url += f":{db['PORT'] or 5432}/{db['NAME']}"
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LIVINGMAP_PG_", "LIVINGMAP_PROCESS"))
    }
    environment.update(DJANGO_SETTINGS_MODULE="livingmap.settings", DATABASE_URL=url, **env)
    if process:
        environment["LIVINGMAP_PROCESS"] = process
    out = subprocess.run(
        [sys.executable, "-c", TIMEOUTS_PROBE],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_sessions_of_the_web_server_have_timeouts():
    from django.db import connection

    # This very test runs as the web server does (no LIVINGMAP_PROCESS), so its own session:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"
        cursor.execute("SHOW idle_in_transaction_session_timeout")
        assert cursor.fetchone()[0] == "1min"
    assert _timeouts_of(None) == {
        "statement_timeout": "30s",
        "idle_in_transaction_session_timeout": "1min",
    }


@pytest.mark.postgres
@pytest.mark.django_db
def test_livingmap_commands_have_no_statement_timeout_but_end_idle_transactions():
    assert _timeouts_of("command") == {
        "statement_timeout": "0",
        "idle_in_transaction_session_timeout": "10min",
    }


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_timeouts_are_set_by_the_environment():
    shown = _timeouts_of(
        None,
        LIVINGMAP_PG_STATEMENT_TIMEOUT="5s",
        LIVINGMAP_PG_IDLE_IN_TRANSACTION_TIMEOUT="20s",
    )
    assert shown == {"statement_timeout": "5s", "idle_in_transaction_session_timeout": "20s"}
    shown = _timeouts_of("command", LIVINGMAP_PG_COMMAND_STATEMENT_TIMEOUT="2h")
    assert shown["statement_timeout"] == "2h"


IDLE_PROBE = """
import json, time, django
django.setup()
from django.db import connection, transaction
from django.db.utils import Error
try:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE core_dataset IN ACCESS EXCLUSIVE MODE")
            time.sleep(1.5)  # a process stopped mid-transaction
            cursor.execute("SELECT 1")
    print(json.dumps("kept"))
except Error as error:  # the server closed the session; atomic's rollback finds it gone
    cause = error.__context__ or error
    print(json.dumps("ended: " + " ".join(str(e).splitlines()[0] for e in (cause, error))))
"""


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_session_left_idle_in_a_transaction_is_ended_with_its_locks():
    """What the timeout is for: a process that stops mid-transaction does not keep its locks,
    so the next import of the same data set does not wait for ever."""
    from django.db import connection

    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
    url += f":{db['PORT'] or 5432}/{db['NAME']}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LIVINGMAP_PG_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="livingmap.settings",
        DATABASE_URL=url,
        LIVINGMAP_PROCESS="command",
        LIVINGMAP_PG_COMMAND_IDLE_IN_TRANSACTION_TIMEOUT="300ms",
    )
    out = subprocess.run(
        [sys.executable, "-c", IDLE_PROBE],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    outcome = json.loads(out.stdout.strip().splitlines()[-1])
    assert outcome.startswith("ended"), outcome
    assert "idle-in-transaction timeout" in outcome
    # and its lock went with it: this session can take the table straight away
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '2s'")
        cursor.execute("LOCK TABLE core_dataset IN ACCESS EXCLUSIVE MODE")
