"""Signing in by email address, whatever its case, on every sign-in form (ours and the admin's)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .selectors import account_for_email


class EmailBackend(ModelBackend):
    """Django's model backend, finding the account with `account_for_email` (its username or
    email, matched case-insensitively) instead of an exact username."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = account_for_email(username)
        if user is None:
            # As ModelBackend does: hash anyway, so a missing account takes as long to refuse.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
