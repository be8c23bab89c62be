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


class TwoFactorMiddleware:
    """Says why a staff member signed in with a password only was refused.

    It grants and refuses nothing itself: the permission registry withholds every staff power
    from such a session (accounts/roles.py). A page that refused them (PermissionDenied, from
    `require`, a service or a view) sends them to two-factor sign-in instead of a bare 403; an
    API operation's 403 says plainly that two-factor sign-in is needed. Django's admin asks for
    the second factor itself (accounts/admin_site.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403 and request.path.startswith("/api/") and _withheld(request):
            from .permissions import SECOND_FACTOR_MESSAGE

            return JsonResponse({"detail": SECOND_FACTOR_MESSAGE}, status=403)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.core.exceptions import PermissionDenied

        if (
            isinstance(exception, PermissionDenied)
            and not request.path.startswith("/api/")
            and _withheld(request)
        ):
            from .guards import to_two_factor

            return to_two_factor(request)
        return None


def _withheld(request: HttpRequest) -> bool:
    from .roles import staff_powers_withheld

    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated and staff_powers_withheld(user)


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
