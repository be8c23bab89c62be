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
