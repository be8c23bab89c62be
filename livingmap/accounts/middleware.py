"""Rate limit for the JSON API: too many requests from one address get a 429 with a message."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_ratelimit.core import is_ratelimited

from .guards import client_address


class ApiRateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and is_ratelimited(
            request,
            group="livingmap.api",
            key=client_address,
            rate=settings.LIVINGMAP_RATES["api"],
            increment=True,
        ):
            return JsonResponse(
                {"detail": "Too many requests from your address. Wait a minute and try again."},
                status=429,
            )
        return self.get_response(request)


class AdminTwoFactorMiddleware:
    """Django's admin is an administrator's page too: officers and administrators pass
    two-factor sign-in before it (its own login page stays reachable). On when
    LIVINGMAP_ADMIN_REQUIRE_2FA is set (see docs/security.md)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from urllib.parse import urlencode

        from django.shortcuts import redirect
        from django.urls import reverse

        from .roles import needs_two_factor

        user = getattr(request, "user", None)
        if (
            settings.LIVINGMAP_ADMIN_REQUIRE_2FA
            and request.path.startswith("/admin/")
            and user is not None
            and user.is_authenticated
            and needs_two_factor(user)
            and not user.is_verified()
        ):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('account_two_factor')}?{query}")
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuse any request body over LIVINGMAP_MAX_REQUEST_BYTES (uploads of GeoJSON or CSV
    included) with a 413 and a message, before Django reads it. Django's own
    DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.LIVINGMAP_MAX_REQUEST_BYTES
        if length > limit:
            message = f"That is too big to send: the limit is {limit // (1024 * 1024)} MB."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
