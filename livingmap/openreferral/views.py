"""The Open Referral API (HSDS 3.0, UK profile) at /openreferral/, and the exports. Thin views:
reading is in selectors.py, mapping in mapping.py, exports in exporting.py.

Open to everyone, as ORUK compliance asks: no API key, and `Access-Control-Allow-Origin: *` on
every response (errors included). Errors are 4xx with {"detail": "message"}.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from . import exporting, mapping, schemas, selectors
from .selectors import BadRequest, NotFound

HSDS_VERSION = "HSDS-UK-3.0"
PROFILE_URL = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    return response


def api_view(func: Callable[..., Any]) -> Callable[..., HttpResponse]:
    """GET (and HEAD/OPTIONS) only; JSON out; 400/404 with a message; CORS open."""

    @csrf_exempt  # read-only and cookie-free: nothing for a forged request to do
    @wraps(func)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Allow-Headers"] = "*"
            return _cors(response)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"detail": "this API is read-only: use GET"}, status=405)
            response["Allow"] = "GET, HEAD, OPTIONS"
            return _cors(response)
        try:
            result = func(request, *args, **kwargs)
        except BadRequest as exc:
            return _cors(JsonResponse({"detail": str(exc)}, status=400))
        except NotFound as exc:
            return _cors(JsonResponse({"detail": str(exc)}, status=404))
        if not isinstance(result, HttpResponseBase):
            result = JsonResponse(result, safe=False, json_dumps_params={"ensure_ascii": False})
        return _cors(result)

    return view


def _params(request: HttpRequest) -> dict[str, str]:
    """The query's parameters, each once: one given twice with different values would be
    answered for its last value alone, so it is refused instead."""
    for name in request.GET:
        if len({v.strip() for v in request.GET.getlist(name)}) > 1:
            raise BadRequest(f"Give {name} once")
    return {k: v.strip() for k, v in request.GET.items()}


@api_view
def index(request: HttpRequest) -> dict[str, Any]:
    return {
        "version": HSDS_VERSION,
        "profile": PROFILE_URL,
        "openapi_url": request.build_absolute_uri(reverse("openreferral:openapi")),
    }


@api_view
def openapi(request: HttpRequest) -> dict[str, Any]:
    schema_base = request.build_absolute_uri(reverse("openreferral:schema", args=["x"]))[:-1]
    server = request.build_absolute_uri(reverse("openreferral:index")).rstrip("/")
    return schemas.served_openapi(schema_base, server)


@api_view
def schema(request: HttpRequest, name: str) -> HttpResponse:
    path = schemas.schema_file(name)
    if path is None:
        raise NotFound("no such schema")
    return FileResponse(path.open("rb"), content_type="application/json")


@api_view
def services(request: HttpRequest) -> dict[str, Any]:
    params = _params(request)
    page = selectors.service_page(params)
    if selectors.full_requested(params):
        contents = [mapping.service_full(a) for a in page.items]
    elif selectors.minimal_requested(params):
        keep = ("id", "name", "status", "last_modified")
        contents = [
            {k: v for k, v in mapping.service_list_item(a).items() if k in keep} for a in page.items
        ]
    else:
        contents = [mapping.service_list_item(a) for a in page.items]
    return page.envelope(contents)


@api_view
def service(request: HttpRequest, pk: str) -> dict[str, Any]:
    return mapping.service_full(selectors.get_service(pk))


def _sal(ref: selectors.SalRef, *, full: bool) -> dict[str, Any]:
    hsds = getattr(ref.asset, "_hsds", None)
    if hsds is not None:
        return mapping.imported_sal(hsds.data, ref.position, full=full)
    return mapping.sal_full(ref.asset) if full else mapping.sal_list_item(ref.asset)


@api_view
def service_at_locations(request: HttpRequest) -> dict[str, Any]:
    params = _params(request)
    page = selectors.sal_page(params)
    full = selectors.full_requested(params)
    return page.envelope([_sal(r, full=full) for r in page.items])


@api_view
def service_at_location(request: HttpRequest, pk: str) -> dict[str, Any]:
    return _sal(selectors.get_sal(pk), full=True)


def _organization(org: Any, *, full: bool, full_service: bool) -> dict[str, Any]:
    if isinstance(org, selectors.HsdsOrganization):
        data = dict(org.data) if full else mapping._scalars(org.data, mapping.ORG_SCALARS)
        if full:
            offered = selectors.services_of_organization(org)
            data["services"] = [
                mapping.service_full(a) if full_service else mapping.service_list_item(a)
                for a in offered
            ]
        return data
    if not full:
        return mapping.organization_for(org)
    data = mapping.organization_full(org)
    org._hsds = None
    data["services"] = [
        mapping.service_full(org) if full_service else mapping.service_list_item(org)
    ]
    return data


@api_view
def organizations(request: HttpRequest) -> dict[str, Any]:
    params = _params(request)
    page = selectors.organization_page(params)
    full = selectors.full_requested(params)
    full_service = selectors.flag(params, "full_service")
    return page.envelope(
        [_organization(o, full=full, full_service=full_service) for o in page.items]
    )


@api_view
def organization(request: HttpRequest, pk: str) -> dict[str, Any]:
    full_service = selectors.flag(_params(request), "full_service")
    org = selectors.get_organization(pk)
    return _organization(org, full=True, full_service=full_service)


@api_view
def taxonomies(request: HttpRequest) -> dict[str, Any]:
    page = selectors.taxonomy_page(_params(request))
    return page.envelope([t if isinstance(t, dict) else t.data for t in page.items])


@api_view
def taxonomy(request: HttpRequest, pk: str) -> dict[str, Any]:
    return selectors.get_taxonomy(pk)


@api_view
def taxonomy_terms(request: HttpRequest) -> dict[str, Any]:
    page = selectors.taxonomy_term_page(_params(request))
    return page.envelope([t if isinstance(t, dict) else t.data for t in page.items])


@api_view
def taxonomy_term(request: HttpRequest, pk: str) -> dict[str, Any]:
    return selectors.get_taxonomy_term(pk)


# -- exports -------------------------------------------------------------------------------------


@api_view
def export_json(request: HttpRequest) -> HttpResponse:
    """Every public service as a full HSDS 3.0 object (a JSON array), as a download."""
    body = json.dumps(exporting.all_services(), ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="hsds-services.json"'
    return response


@require_GET
def export_datapackage(request: HttpRequest) -> HttpResponse:
    """The HSDS 3.0 tabular data package (CSV files + datapackage.json) as a zip."""
    response = HttpResponse(exporting.datapackage_zip(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="hsds-datapackage.zip"'
    return _cors(response)
