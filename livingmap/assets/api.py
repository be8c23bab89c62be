"""The assets API: search (as a list and as a map layer), one asset's record, kinds, categories.

Read-only and public. Everything comes through the selectors, which only ever read
`Asset.objects.public()`: individuals' gifts and skills are never returned.
Errors are {"detail": "message"}: see livingmap/api.py for the handlers.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from collections.abc import Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.errors import HttpError

from livingmap.areas.api import Links
from livingmap.areas.models import STATUTORY_LEVELS, AreaLevel
from livingmap.areas.selectors import point_for_postcode
from livingmap.core.schemas import GEOJSON, errors, geojson_response

from .models import Asset, Category
from .schemas import (
    AssetDetail,
    AssetFeatureCollection,
    AssetFilters,
    AssetPage,
    AssetSearchParams,
    CategoryOut,
    KindOut,
)
from .selectors import (
    MAP_FEATURE_LIMIT,
    AssetQuery,
    check_search_filters,
    get_public_asset_record,
    map_assets,
    public_categories,
    public_kind_counts,
    search_assets,
)

router = Router(tags=["Assets"])

#: Every operation declares each status it can answer with (livingmap/core/schemas.py): a
#: search's 404 is for a postcode we do not hold.
ERRORS = errors(404, 422)


def asset_query(
    filters: AssetFilters, *, page: int = 1, page_size: int | None = None
) -> AssetQuery:
    """The search the parameters ask for, checked: SearchError, PostcodeError or
    PostcodeNotFound (turned into 400 / 404 with their message) if it cannot be run."""
    has_point = filters.lon is not None or filters.lat is not None
    postcode = filters.postcode.strip()
    near: tuple[float, float] | None = None
    if has_point and postcode:
        raise HttpError(400, "Give a postcode or lon and lat to search near, not both")
    if has_point:
        if filters.lon is None or filters.lat is None:
            raise HttpError(400, "Give both lon and lat to search near a point")
        near = (filters.lon, filters.lat)
    elif postcode:
        near = point_for_postcode(postcode)
    elif filters.within is not None:
        raise HttpError(400, "'within' needs a postcode, or lon and lat, to measure from")
    query = AssetQuery(
        words=filters.q,
        kind=filters.kind.strip(),
        category=filters.category.strip(),
        neighbourhood=filters.neighbourhood.strip(),
        near=near,
        page=page,
    )
    if filters.within is not None:
        query.within_m = filters.within
    if page_size is not None:
        query.page_size = page_size
    query.check()
    check_search_filters(query)
    return query


def _summary(
    links: Links,
    asset: Asset,
    distance_m: float | None = None,
    categories: Iterable[Category] | None = None,
) -> dict:
    if categories is None:
        categories = asset.categories.all()
    return {
        "id": asset.uuid,
        "name": asset.name,
        "kind": asset.kind,
        "kind_label": asset.get_kind_display(),
        "categories": [{"slug": c.slug, "name": c.name} for c in categories],
        "address": asset.address,
        "postcode": asset.postcode,
        "lon": asset.lon,
        "lat": asset.lat,
        "distance_m": None if distance_m is None else round(distance_m, 1),
        "url": links.uuid("asset", asset.uuid),
        "last_verified_at": asset.last_verified_at,
    }


@router.get(
    "/assets",
    response={200: AssetPage, **ERRORS},
    summary="Search assets",
    url_name="api_assets",
)
def list_assets(request: HttpRequest, filters: Query[AssetSearchParams]) -> dict:
    """Public assets matching words, kind, category, neighbourhood and distance from a postcode
    or point. Near a place the nearest come first (with `distance_m`); with words, the most
    relevant; otherwise by name. Listings nobody has verified for 18 months
    (LIVINGMAP_STALE_AFTER_DAYS) rank lower: near a place as if twice as far, by words at half
    their relevance, by name after the rest."""
    query = asset_query(filters, page=filters.page, page_size=filters.page_size)
    results = search_assets(query)
    links = Links(request)
    return {
        "total": results.total,
        "page": query.page,
        "pages": results.pages,
        "page_size": query.page_size,
        "results": [
            _summary(links, hit.asset, hit.distance_m, hit.categories) for hit in results.hits
        ],
    }


@router.get(
    "/assets.geojson",
    response={200: None, **ERRORS},
    openapi_extra=geojson_response(AssetFeatureCollection),
    summary="Assets as a map layer (GeoJSON)",
    description=(
        "The located assets matching the same filters as /api/assets, as a GeoJSON "
        "FeatureCollection (coordinates are [longitude, latitude]); unlocated assets are left "
        f"out. At most {MAP_FEATURE_LIMIT} features: when more matched, `truncated` is true and "
        "`total` says how many."
    ),
    url_name="api_assets_geojson",
)
def assets_geojson(request: HttpRequest, filters: Query[AssetFilters]) -> HttpResponse:
    results = map_assets(asset_query(filters))
    links = Links(request)
    features = [
        {
            "type": "Feature",
            "id": p.uuid,
            "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
            "properties": {
                "id": p.uuid,
                "name": p.name,
                "kind": p.kind,
                "kind_label": p.kind_label,
                "categories": p.categories,
                "url": links.uuid("asset", p.uuid),
                **({"distance_m": round(p.distance_m, 1)} if p.distance_m is not None else {}),
            },
        }
        for p in results.points
    ]
    body = {
        "type": "FeatureCollection",
        "total": results.total,
        "limit": results.limit,
        "truncated": results.truncated,
        "features": features,
    }
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), content_type=GEOJSON)


@router.get(
    "/assets/{asset_id}",
    response={200: AssetDetail, **errors(404)},
    summary="One asset's full record",
    url_name="api_asset",
)
def asset_detail(request: HttpRequest, asset_id: str) -> dict:
    """An asset's public record: where it is, how to reach it, the data sets it came from (with
    their licences) and the areas and neighbourhoods it lies in."""
    try:
        asset = get_public_asset_record(uuid_module.UUID(asset_id))
    except (ValueError, Asset.DoesNotExist) as exc:
        raise HttpError(404, f"There is no public asset with id {asset_id}") from exc
    levels = [str(level) for level in STATUTORY_LEVELS]
    areas = sorted(
        (link.area for link in asset.area_links.all()),
        key=lambda a: (levels.index(a.level) if a.level in levels else 99, -a.vintage, a.name),
    )
    links = Links(request)
    return {
        **_summary(links, asset),
        "legal_form": asset.legal_form,
        "legal_form_label": asset.get_legal_form_display() if asset.legal_form else "",
        "description": asset.description,
        "website": asset.website,
        "email": asset.email,
        "phone": asset.phone,
        "opening_hours": asset.opening_hours,
        "accessibility": asset.accessibility,
        "tenure": asset.tenure,
        "tenure_label": asset.get_tenure_display() if asset.tenure else "",
        "tenure_detail": asset.tenure_detail,
        "uprn": asset.uprn,
        "charity_number": asset.charity_number,
        "footprint": asset.footprint,
        "service_area": asset.service_area,
        "extra": asset.extra or {},
        "updated_at": asset.updated_at,
        "sources": [
            {
                "dataset": s.dataset.slug,
                "dataset_name": s.dataset.name,
                "publisher": s.dataset.publisher,
                "licence": s.dataset.licence,
                "licence_url": s.dataset.licence_url,
                "attribution": s.dataset.attribution,
                "source_url": s.dataset.source_url,
                "source_id": s.source_id,
                "imported_at": s.imported_at,
            }
            for s in sorted(asset.sources.all(), key=lambda s: s.dataset.name)
        ],
        "areas": [
            {
                "level": a.level,
                "level_label": a.get_level_display(),
                "gss_code": a.gss_code,
                "name": a.name,
                "slug": a.slug,
                "vintage": a.vintage,
                "is_current": a.is_current,
            }
            for a in areas
            if a.level != AreaLevel.NEIGHBOURHOOD
        ],
        "neighbourhoods": [
            {"name": a.name, "slug": a.slug, "url": links.page(a)}
            for a in areas
            if a.level == AreaLevel.NEIGHBOURHOOD
        ],
    }


@router.get(
    "/kinds",
    response={200: list[KindOut], **errors()},
    summary="Kinds of asset",
    url_name="api_kinds",
)
def list_kinds(request: HttpRequest) -> list[dict]:
    """The kinds of asset (the families of asset-based community development, and money), with
    how many public assets each has. Individuals' gifts and skills are private and not listed."""
    return [
        {"kind": kind, "label": label, "asset_count": n} for kind, label, n in public_kind_counts()
    ]


@router.get(
    "/categories",
    response={200: list[CategoryOut], **errors()},
    summary="Categories",
    url_name="api_categories",
)
def list_categories(request: HttpRequest) -> list[dict]:
    """Every category in the taxonomy with how many public assets are in it."""
    return [
        {
            "slug": c.slug,
            "name": c.name,
            "kind": c.kind,
            "kind_label": c.get_kind_display(),
            "description": c.description,
            "parent": c.parent.slug if c.parent else None,
            "asset_count": c.asset_count,
        }
        for c in public_categories()
    ]
