"""System checks of the accounts app (run by `manage.py check`, and so by `make lint`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def two_factor_middleware(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Staff powers are withheld from a web session until it passes the second factor, which
    roles.passed_two_factor learns from django-otp's OTPMiddleware: without it, every request's
    user would look like a trusted command's, and pass."""
    needed = "django_otp.middleware.OTPMiddleware"
    if needed in settings.MIDDLEWARE:
        return []
    return [
        checks.Error(
            f"{needed} must be in MIDDLEWARE: two-factor sign-in depends on it.",
            id="livingmap.accounts.E001",
        )
    ]
