"""Slowing down password guessing without letting a stranger lock anyone out.

The design is OWASP's "device cookies" (Slow Down Online Guessing Attacks with Device Cookies),
with per-address limits beside it; docs/security.md says why and what it does not stop.

Failed sign-ins are counted (settings.LIVINGMAP_RATES, fixed windows in the shared cache):
- per client address ("login_ip"): one address guessing many accounts is stopped;
- per account and address ("login_pair"): one address guessing one account is stopped sooner;
- per account, from every address together ("login_username"): a spray from many addresses
  at one account is stopped too, but only for browsers the account has not signed in from;
- per device cookie ("login_device"): a browser the account signed in from before.

A successful sign-in (or a password reset through the emailed link, which only the person can
open) gives the browser a signed device cookie for that account. A browser holding one is not
held back by the other three counts, so nobody can keep the real person out of their account by
getting its password wrong on purpose; it has a count of its own, so a stolen laptop does not
give endless guesses either. When a count is over, the password is not checked at all, so the
answer says nothing about whether it was right.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

from .guards import client_address

DEVICE_COOKIE = "livingmap_device"
DEVICE_COOKIE_AGE = 60 * 60 * 24 * 365
_SALT = "livingmap.accounts.throttle.device"


def _normalised(username: str) -> str:
    return (username or "").strip().lower()[:254]


def _account_key(username: str) -> str:
    """One count per account whichever of its names is typed (a missing account counts under
    what was typed, so the answers are the same whether or not it exists)."""
    from .selectors import account_for_email

    name = _normalised(username)
    # Looked up before the form has checked the name: one with a NUL (which PostgreSQL refuses
    # in a query) or other control character names no account, and is counted as typed.
    usable = name and name.isprintable()
    user = account_for_email(name) if usable else None
    return f"user:{user.pk}" if user is not None else f"name:{name}"


def _device_for(request: HttpRequest, account_key: str) -> str | None:
    """The nonce of this browser's device cookie if it was given for this account, else None."""
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    if not value:
        return None
    try:
        data = signing.loads(value, salt=_SALT, max_age=DEVICE_COOKIE_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("a") != account_key:
        return None
    nonce = data.get("n")
    return nonce if isinstance(nonce, str) else None


def remember_device(response: HttpResponse, user: Any) -> None:
    """Give this browser a device cookie for `user` (after a sign-in only they could make)."""
    value = signing.dumps({"a": f"user:{user.pk}", "n": secrets.token_urlsafe(12)}, salt=_SALT)
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


@dataclass
class SignInAttempt:
    """One sign-in attempt: `refusal()` before the password is checked, then `failed()`."""

    request: HttpRequest
    username: str
    account: str = field(init=False)
    device: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.account = _account_key(self.username)
        self.device = _device_for(self.request, self.account)

    def _counts(self) -> dict[str, str]:
        if self.device is not None:
            return {"login_device": f"{self.account}|{self.device}"}
        address = client_address("", self.request)
        return {
            "login_ip": address,
            "login_pair": f"{self.account}|{address}",
            "login_username": self.account,
        }

    def _usage(self, rate: str, value: str, *, increment: bool) -> bool:
        """Is the count at its limit (after adding one, if `increment`)?"""
        usage = get_usage(
            self.request,
            group=f"livingmap.{rate}",
            key=lambda group, request: value,
            rate=settings.LIVINGMAP_RATES[rate],
            increment=increment,
        )
        return usage is not None and usage["count"] >= usage["limit"]

    def refusal(self) -> str | None:
        """None to go on and check the password; else why not (the count that is over)."""
        for rate, value in self._counts().items():
            if self._usage(rate, value, increment=False):
                return rate
        return None

    def failed(self) -> None:
        for rate, value in self._counts().items():
            self._usage(rate, value, increment=True)


def refusal_message(rate: str) -> str:
    if rate == "login_username":
        return (
            "There have been too many wrong passwords for this account. To keep it safe, it "
            "can only be signed in to for now from a device that has signed in to it before. "
            "You can also reset your password by email: the device you reset it on can then "
            "sign in."
        )
    return (
        "There have been too many sign-in attempts from your connection or this device. Wait "
        "10 minutes and try again, or reset your password."
    )
