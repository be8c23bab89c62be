"""The JSON API (django-ninja): OpenAPI at /api/openapi.json, docs at /api/docs.

Each app adds its routes in its own api.py; this module only puts them together, and turns the
errors the selectors raise into {"detail": "message"} responses (400, 404 or 422, never 500).
See docs/api.md.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError

from livingmap.accounts.api import router as accounts_router
from livingmap.areas.api import count_assets_with
from livingmap.areas.api import router as areas_router
from livingmap.areas.selectors import PostcodeError, PostcodeNotFound
from livingmap.assets.api import router as assets_router
from livingmap.assets.selectors import SearchError, asset_counts_for_areas
from livingmap.insights.api import router as insights_router
from livingmap.timebank.api import router as timebank_router

api = NinjaAPI(
    title="Living Map API",
    version="1",
    description=(
        "Assets, areas, neighbourhoods and postcode lookups for the living map, GeoJSON "
        "layers for maps, and neighbourhood insights: read-only and open, with no key or "
        "sign-in. The time bank's endpoints (/api/timebank/) are for its members and brokers: "
        "they need sign-in, and some record exchanges. Every error is "
        '{"detail": "message"}. Individuals\' gifts and skills are never returned.'
    ),
    urls_namespace="api",
)
api.add_router("/", assets_router)
api.add_router("/", areas_router)
api.add_router("/accounts/", accounts_router)
api.add_router("/insights/", insights_router)
api.add_router("/timebank/", timebank_router)
# The areas app knows nothing of assets; the assets app's selector counts them for it.
count_assets_with(asset_counts_for_areas)


@api.exception_handler(PostcodeError)
def _malformed_postcode(request: HttpRequest, exc: PostcodeError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(SearchError)
def _bad_search(request: HttpRequest, exc: SearchError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(PostcodeNotFound)
def _unknown_postcode(request: HttpRequest, exc: PostcodeNotFound) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=404)


@api.exception_handler(ValidationError)
def _bad_parameters(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Parameters of the wrong type or out of range: one readable sentence, and each problem."""
    errors = [
        {
            "parameter": ".".join(str(part) for part in e.get("loc", ())[1:]) or "request",
            "message": str(e.get("msg", "is not valid")),
        }
        for e in exc.errors
    ]
    detail = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)
