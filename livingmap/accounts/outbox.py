"""Email sent after the response, so that how long a page takes says nothing about what was sent.

Sign-up, "send the link again" and password reset answer the same whatever the address, but
what they email differs (a link, "you already have an account", or nothing), and talking to an
SMTP server takes time anyone could measure. `send_after_response` keeps such an email until
Django has finished the request — the `request_finished` signal, sent when the server closes the
response, after its last byte has gone — and sends it then. Outside a request (a command, a
test calling a service) it sends at once.

`AccountsConfig.ready` connects `start` and `finish` to `request_started` and
`request_finished`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.core.mail import EmailMessage

logger = logging.getLogger(__name__)

#: The emails waiting for the current request to finish (None outside a request).
_waiting: ContextVar[list[Callable[[], Any]] | None] = ContextVar(
    "livingmap_accounts_outbox", default=None
)


def send_after_response(message: EmailMessage) -> None:
    """Send `message` once the response has gone (at once outside a request)."""
    waiting = _waiting.get()
    if waiting is None:
        message.send()
    else:
        waiting.append(message.send)


def start(**kwargs: Any) -> None:
    _waiting.set([])


def finish(**kwargs: Any) -> None:
    waiting = _waiting.get()
    _waiting.set(None)
    for send in waiting or []:
        try:
            send()
        except Exception:  # the response has gone: log it, as a background job would
            logger.exception("An email could not be sent after the response")
