"""The JSON API (django-ninja): OpenAPI at /api/openapi.json, docs at /api/docs.

Each app adds its routes in its own api.py and declares in its AppConfig where they go
(`api_prefix`) and which of its errors are answered how (`api_errors`); this module only puts
them together, and answers bad parameters with 422 and the errors the apps name with 400 or 404,
{"detail": "message"}, never 500.
See docs/api.md.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError

from livingmap.core.contract import api_errors, api_routers
from livingmap.core.schemas import declare_text_rule

DESCRIPTION = (
    "Assets, areas, neighbourhoods and postcode lookups for the living map, GeoJSON "
    "layers for maps, and neighbourhood insights: read-only and open, with no key or "
    "sign-in. The time bank's endpoints (/api/timebank/) are for its members and brokers: "
    "they need sign-in, and some record exchanges. Every error is "
    '{"detail": "message"}. Individuals\' gifts and skills are never returned.'
)


class LivingMapAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document also says what the shared input layer refuses in every
    text parameter (core.schemas.declare_text_rule)."""

    def get_openapi_schema(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return declare_text_rule(super().get_openapi_schema(*args, **kwargs))


def build_api() -> NinjaAPI:
    """The API from the installed apps: each app's router at its `api_prefix`, in `api_order`,
    and the errors each declares (`api_errors`) answered as {"detail": message}."""
    built = LivingMapAPI(
        title="Living Map API", version="1", description=DESCRIPTION, urls_namespace="api"
    )
    for prefix, router in api_routers():
        built.add_router(prefix, router)
    for error, status in api_errors():
        built.add_exception_handler(error, _detail(built, status))
    built.add_exception_handler(ValidationError, _bad_parameters_of(built))
    return built


def _detail(built: NinjaAPI, status: int) -> Callable[[HttpRequest, Exception], HttpResponse]:
    def handler(request: HttpRequest, exc: Exception) -> HttpResponse:
        return built.create_response(request, {"detail": str(exc)}, status=status)

    return handler


def _bad_parameters_of(built: NinjaAPI) -> Callable[[HttpRequest, ValidationError], HttpResponse]:
    def handler(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return _bad_parameters(built, request, exc)

    return handler


def _bad_parameters(built: NinjaAPI, request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Parameters of the wrong type or out of range: one readable sentence, and each problem."""
    errors = [
        {
            "parameter": ".".join(str(part) for part in e.get("loc", ())[1:]) or "request",
            "message": str(e.get("msg", "is not valid")),
        }
        for e in exc.errors
    ]
    detail = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
    return built.create_response(request, {"detail": detail, "errors": errors}, status=422)


#: The site's API (mounted at /api/ by livingmap/urls.py).
api = build_api()
