"""Site-wide pages that belong to no domain: about the data, and the error pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404, resolve

from .models import Dataset

#: Paths whose clients read JSON, so their errors are {"detail": "message"} as the APIs say.
JSON_PREFIXES = ("/api/", "/openreferral/")


def about_data(request: HttpRequest) -> HttpResponse:
    datasets = Dataset.objects.order_by("publisher", "name")
    return render(request, "core/about_data.html", {"datasets": datasets})


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 (settings' handler404): a page in the site's frame with a way on; under the APIs,
    their {"detail": "message"}, with the path meant when only a trailing slash differs."""
    if request.path.startswith(JSON_PREFIXES):
        detail = f"There is nothing at {request.path}."
        if request.path.endswith("/") and _resolves(request.path.rstrip("/")):
            detail += f" Did you mean {request.path.rstrip('/')} (without the final slash)?"
        elif request.path.startswith("/api/"):
            detail += " The endpoints are listed at /api/docs."
        return JsonResponse({"detail": detail}, status=404)
    return render(request, "404.html", {"path": request.path}, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 (settings' handler400, for requests Django itself cannot read: too many fields, a
    malformed upload): the same page or JSON as a refused character (core.middleware)."""
    from .middleware import bad_input_response

    return bad_input_response(
        request, "The request could not be read: it may be malformed, or too large."
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """500 (settings' handler500): rendered without the request's context, which may be what
    failed; JSON under the APIs."""
    if request.path.startswith(JSON_PREFIXES):
        return JsonResponse(
            {"detail": "Something went wrong on our side. Please try again later."}, status=500
        )
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True
