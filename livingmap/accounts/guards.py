"""Checks views make before acting: permission (through `can`), where to send a person refused
for want of the second factor, and rate limits. Views call these; they never look at roles themselves."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_ratelimit.core import is_ratelimited

from .permissions import RULES, can, needs_second_factor


def guard(request: HttpRequest, action: str, obj: Any = None) -> HttpResponse | None:
    """None if the user may go on; else the response to send (sign in, two-factor) or
    PermissionDenied with the reason. The second factor itself is enforced by the registry
    (see permissions.py); this only chooses where a refused person is sent."""
    user = request.user
    if not can(user, action, obj):
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if needs_second_factor(user, action, obj):
            return to_two_factor(request)
        raise PermissionDenied(
            f"You do not have permission to {RULES[action].description or action}."
        )
    return None


def to_two_factor(request: HttpRequest) -> HttpResponse:
    """Send the person to two-factor sign-in, and back to this page after (a GET), or to the
    page they came from (after a refused POST, whose address may only take POSTs)."""
    target = request.get_full_path() if request.method in ("GET", "HEAD") else ""
    if not target:
        referer = request.META.get("HTTP_REFERER", "")
        if url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
            target = referer
    query = urlencode({"next": target}) if target else ""
    return redirect(f"{reverse('account_two_factor')}{'?' + query if query else ''}")


def client_address(group: str, request: HttpRequest) -> str:
    """The client's address, which rate limits count by.

    Directly served, it is REMOTE_ADDR. Behind one trusted proxy (LIVINGMAP_BEHIND_PROXY),
    REMOTE_ADDR is the proxy's own for every visitor (gunicorn does not rewrite it), so it is
    the last entry of X-Forwarded-For: the address that proxy saw and appended. Entries before
    it came from the client and could be anything, so they are never used. Never fails when
    there is no usable address (a unix socket, a test harness): such requests share one count.
    """
    if settings.LIVINGMAP_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR") or "unknown"


def _username_key(group: str, request: HttpRequest) -> str:
    return (request.POST.get("username") or "").strip().lower()[:254]


def _user_key(group: str, request: HttpRequest) -> str:
    return str(request.user.pk)


def rate_limited(
    request: HttpRequest, rate: str, *, by_username: bool = False, by_user: bool = False
) -> bool:
    """Count this request against the named rate (settings.LIVINGMAP_RATES); True if over.
    Counted per client address, or per username posted, or per signed-in user."""
    key = _username_key if by_username else _user_key if by_user else client_address
    return is_ratelimited(
        request,
        group=f"livingmap.{rate}",
        key=key,
        rate=settings.LIVINGMAP_RATES[rate],
        increment=True,
    )


def too_many(request: HttpRequest, what: str, message: str = "") -> HttpResponse:
    return render(request, "accounts/too_many.html", {"what": what, "message": message}, status=429)


def requires(action: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorator for views whose permission needs no object: `@requires("insights.trends")`.
    Same as calling `guard` first: sign-in, permission, then two-factor for officers."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            stop = guard(request, action)
            return stop if stop is not None else view(request, *args, **kwargs)

        return wrapped

    return decorate
