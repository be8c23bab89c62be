"""Logging filters (settings.LOGGING).

Django logs every refused request on "django.request" (a warning for a 4xx) and, for a
PermissionDenied raised in a view, attaches the exception, so each 403 wrote a whole traceback.
A refusal is not a fault: it keeps its one line (status, reason, path); only a server error
(5xx) keeps its traceback."""

from __future__ import annotations

import logging


class RefusalsOnOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
