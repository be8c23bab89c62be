"""The areas API: statutory areas, neighbourhoods (with need rolled up), postcode lookups, and
boundaries as GeoJSON map layers.

Read-only and public. The areas app knows nothing of assets (dependencies point one way), so the
numbers of assets in areas come from a counter that livingmap/api.py plugs in with
`count_assets_with`. Errors are {"detail": "message"}: see livingmap/api.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Path, Query, Router
from ninja.errors import HttpError

from livingmap.core.models import Dataset
from livingmap.core.schemas import GEOJSON, errors, geojson_response

from .models import STATUTORY_LEVELS, Area, AreaComponent, AreaLevel, IndicatorPeriod
from .periods import PeriodError, Span, parse_period
from .schemas import (
    AreaDetail,
    AreaFeatureCollection,
    AreaPage,
    AreaParams,
    NeighbourhoodDetail,
    NeighbourhoodSummary,
    PeriodParams,
    PostcodeOut,
    PostcodePath,
)
from .selectors import area_indicator_values, lookup_postcode, neighbourhood_indicators

router = Router(tags=["Areas and neighbourhoods"])

#: Every operation declares each status it can answer with (livingmap/core/schemas.py).
ERRORS = errors(404)
#: Columns of an area other than its boundary, which can be large: read only when drawn.
LIGHT = ("geometry",)

#: {area id: [(kind, kind label, number of public assets)]} for the given area ids.
AssetCounter = Callable[[list[int]], dict[int, list[tuple[str, str, int]]]]
_counters: list[AssetCounter] = []


def count_assets_with(counter: AssetCounter) -> None:
    """Tell the areas API how to count the public assets in areas (the assets app does, when
    it is ready)."""
    _counters[:] = [counter]


def _asset_counts(area_ids: list[int]) -> dict[int, list[tuple[str, str, int]]]:
    return _counters[0](area_ids) if _counters else {}


class Links:
    """Absolute links for many rows: each URL pattern is reversed once, then filled in."""

    UUID = "00000000-0000-0000-0000-000000000000"
    SLUG = "slug-to-fill-in"

    def __init__(self, request: HttpRequest) -> None:
        self.root = request.build_absolute_uri("/").rstrip("/")
        self.templates: dict[str, str] = {}

    def uuid(self, name: str, value: object) -> str:
        return self._fill(name, "uuid", self.UUID, str(value))

    def slug(self, name: str, value: str) -> str:
        return self._fill(name, "slug", self.SLUG, value)

    def page(self, area: Area) -> str:
        """An area's or neighbourhood's public page."""
        return self.slug("neighbourhood" if area.is_neighbourhood else "area", area.slug)

    def _fill(self, name: str, key: str, marker: str, value: str) -> str:
        template = self.templates.get(name)
        if template is None:
            template = self.root + reverse(name, kwargs={key: marker})
            self.templates[name] = template
        return template.replace(marker, value)


def _counts(rows: list[tuple[str, str, int]]) -> dict[str, Any]:
    return {
        "asset_count": sum(n for *_, n in rows),
        "asset_counts": [{"kind": k, "label": label, "count": n} for k, label, n in rows],
    }


def _ref(area: Area) -> dict[str, Any]:
    return {
        "level": area.level,
        "level_label": area.get_level_display(),
        "gss_code": area.gss_code,
        "name": area.name,
        "slug": area.slug,
        "vintage": area.vintage,
        "is_current": area.is_current,
    }


def _summary(links: Links, area: Area) -> dict[str, Any]:
    return {
        **_ref(area),
        "url": links.page(area),
        "api_url": links.slug("api:api_area", area.slug),
    }


def _provenance(dataset: Dataset, release: str) -> dict[str, str]:
    return {
        "dataset": dataset.slug,
        "dataset_name": dataset.name,
        "publisher": dataset.publisher,
        "licence": dataset.licence,
        "licence_url": dataset.licence_url,
        "attribution": dataset.attribution,
        "source_url": dataset.source_url,
        "release": release or dataset.release,
    }


def _period_choice(text: str) -> str | Span:
    """`latest`, `all`, or the period `?period=` names; a 400 that says what to give if none."""
    value = (text or "").strip()
    if value.lower() in {"", "latest", "all"}:
        return value.lower() or "latest"
    try:
        return parse_period(value)
    except PeriodError as exc:
        raise HttpError(400, f"period: {exc}; or `latest` or `all`") from exc


def _in_period(period: IndicatorPeriod | None, choice: str | Span) -> bool:
    if period is None or choice == "all":
        return True
    if choice == "latest":
        return period.is_latest
    assert isinstance(choice, Span)
    return (period.start, period.end) == (choice.start, choice.end)


def _held(choice: str | Span, found: list[Any]) -> None:
    """A 404 that names the periods held when `?period=` asks for one with no figures here."""
    if found or not isinstance(choice, Span):
        return
    keys = IndicatorPeriod.objects.order_by("-end").values_list("end", "start", "granularity")
    held = sorted({Span(start, end, kind, "").key for end, start, kind in keys}, reverse=True)
    raise HttpError(
        404,
        f"There are no figures here for the period {choice.key}. Periods held: "
        f"{', '.join(held) or 'none'}",
    )


def _period(period: IndicatorPeriod) -> dict[str, Any]:
    return {
        "key": period.key,
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "granularity": period.granularity,
        "is_latest": period.is_latest,
    }


def _place(area: Area) -> dict[str, Any]:
    return {
        "land_area_m2": area.land_area_m2,
        "point": {"lon": area.point_lon, "lat": area.point_lat},
        "bbox": [area.min_lon, area.min_lat, area.max_lon, area.max_lat],
    }


def _level_order(area: Area) -> tuple[int, str]:
    """Largest first: local authority, ward, MSOA, LSOA, output area."""
    levels = [str(level) for level in STATUTORY_LEVELS]
    return (levels.index(area.level) if area.level in levels else len(levels), area.name)


def _statutory_area(slug: str, *, with_boundary: bool = False) -> Area:
    qs = Area.objects.all() if with_boundary else Area.objects.defer(*LIGHT)
    area = qs.select_related("parent").filter(slug=slug).first()
    if area is None:
        raise HttpError(404, f"There is no area '{slug}'. See /api/areas for the list")
    if area.is_neighbourhood:
        raise HttpError(404, f"'{slug}' is a neighbourhood: see /api/neighbourhoods/{slug}")
    return area


def _neighbourhood(slug: str, *, with_boundary: bool = False) -> Area:
    qs = Area.objects.neighbourhoods()
    area = (qs if with_boundary else qs.defer(*LIGHT)).filter(slug=slug).first()
    if area is None:
        raise HttpError(
            404, f"There is no neighbourhood '{slug}'. See /api/neighbourhoods for the list"
        )
    return area


def _feature(area: Area, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": area.slug,
        "geometry": area.geometry,
        "properties": {
            "name": area.name,
            "slug": area.slug,
            "level": area.level,
            "gss_code": area.gss_code,
            "vintage": area.vintage,
            **properties,
        },
    }


def _geojson(features: list[dict[str, Any]]) -> HttpResponse:
    body = {"type": "FeatureCollection", "features": features}
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), content_type=GEOJSON)


# -- statutory areas ---------------------------------------------------------------------------


def _areas(params: AreaParams) -> QuerySet[Area]:
    qs = Area.objects.statutory().defer(*LIGHT).order_by("level", "name", "-vintage", "id")
    level = params.level.strip()
    if level == AreaLevel.NEIGHBOURHOOD:
        raise HttpError(400, "Neighbourhoods are listed at /api/neighbourhoods")
    if level:
        if level not in STATUTORY_LEVELS:
            names = ", ".join(str(v) for v in STATUTORY_LEVELS)
            raise HttpError(400, f"'{level}' is not a level of area. Use one of: {names}")
        qs = qs.filter(level=level)
    if params.vintage is not None:
        qs = qs.filter(vintage=params.vintage)
    if params.current is not None:
        qs = qs.filter(is_current=params.current)
    return qs


@router.get(
    "/areas",
    response={200: AreaPage, **errors(422)},
    summary="Statutory areas",
    url_name="api_areas",
)
def list_areas(request: HttpRequest, params: Query[AreaParams]) -> dict[str, Any]:
    """Statutory areas (local authority, wards, MSOAs, LSOAs, output areas), each keyed by its
    ONS GSS code and boundary vintage, by level then name. Boundaries are at
    /api/areas/{slug}/boundary.geojson."""
    qs = _areas(params)
    links = Links(request)
    total = qs.count()
    start = (params.page - 1) * params.page_size
    return {
        "total": total,
        "page": params.page,
        "pages": max(1, -(-total // params.page_size)),
        "page_size": params.page_size,
        "results": [_summary(links, a) for a in qs[start : start + params.page_size]],
    }


@router.get(
    "/areas/{slug}",
    response={200: AreaDetail, **errors(404, 422)},
    summary="One statutory area",
    url_name="api_area",
)
def area_detail(request: HttpRequest, slug: str, params: Query[PeriodParams]) -> dict[str, Any]:
    """A statutory area with its indicators of need (each with its period, source and licence:
    the latest period unless `period` asks for another or for `all`), the neighbourhoods it is
    part of, and how many public assets of each kind lie in it."""
    area = _statutory_area(slug)
    choice = _period_choice(params.period)
    values = [
        v
        for v in area_indicator_values(area, history=choice != "latest")
        if _in_period(v.period, choice)
    ]
    _held(choice, values)
    hoods = (
        AreaComponent.objects.filter(component=area)
        .select_related("neighbourhood")
        .only("share", "neighbourhood", "neighbourhood__name", "neighbourhood__slug")
        .order_by("neighbourhood__name")
    )
    links = Links(request)
    return {
        **_summary(links, area),
        **_place(area),
        "description": area.description,
        "origin": area.origin,
        "boundary_url": links.slug("api:api_area_boundary", area.slug),
        "parent": _ref(area.parent) if area.parent else None,
        "neighbourhoods": [
            {
                "name": c.neighbourhood.name,
                "slug": c.neighbourhood.slug,
                "share": round(c.share, 4),
            }
            for c in hoods
        ],
        "indicators": [
            {
                "slug": v.indicator.slug,
                "name": v.indicator.name,
                "unit": v.indicator.unit,
                "value": v.value,
                "note": v.note,
                "lower_is_more_deprived": v.indicator.lower_is_more_deprived,
                "period": _period(v.period),
                "source": _provenance(v.period.source or v.indicator.source, v.period.label),
            }
            for v in values
        ],
        **_counts(_asset_counts([area.id]).get(area.id, [])),
    }


@router.get(
    "/areas/{slug}/boundary.geojson",
    response={200: None, **ERRORS},
    openapi_extra=geojson_response(AreaFeatureCollection),
    summary="A statutory area's boundary (GeoJSON)",
    url_name="api_area_boundary",
)
def area_boundary(request: HttpRequest, slug: str) -> HttpResponse:
    """The area's boundary as a GeoJSON FeatureCollection of one feature (WGS84)."""
    return _geojson([_feature(_statutory_area(slug, with_boundary=True))])


# -- neighbourhoods ----------------------------------------------------------------------------


def _hood_summary(links: Links, hood: Area, counts: list[tuple[str, str, int]]) -> dict:
    return {
        "name": hood.name,
        "slug": hood.slug,
        "description": hood.description,
        "origin": hood.origin,
        "origin_label": hood.get_origin_display(),
        "url": links.page(hood),
        "api_url": links.slug("api:api_neighbourhood", hood.slug),
        "boundary_url": links.slug("api:api_neighbourhood_boundary", hood.slug),
        **_counts(counts),
    }


@router.get(
    "/neighbourhoods",
    response={200: list[NeighbourhoodSummary], **errors()},
    summary="Neighbourhoods",
    url_name="api_neighbourhoods",
)
def list_neighbourhoods(request: HttpRequest) -> list[dict[str, Any]]:
    """The neighbourhoods residents recognise, by name, with how many public assets each has."""
    hoods = list(Area.objects.neighbourhoods().defer(*LIGHT).order_by("name"))
    counts = _asset_counts([h.id for h in hoods])
    links = Links(request)
    return [_hood_summary(links, h, counts.get(h.id, [])) for h in hoods]


@router.get(
    "/neighbourhoods.geojson",
    response={200: None, **errors()},
    openapi_extra=geojson_response(AreaFeatureCollection),
    summary="Neighbourhood boundaries (GeoJSON)",
    url_name="api_neighbourhoods_geojson",
)
def neighbourhoods_geojson(request: HttpRequest) -> HttpResponse:
    """Every neighbourhood's boundary as a GeoJSON FeatureCollection, with its name, slug, page
    and number of public assets, for a map layer."""
    hoods = list(Area.objects.neighbourhoods().order_by("name"))
    counts = _asset_counts([h.id for h in hoods])
    links = Links(request)
    return _geojson(
        [
            _feature(
                h,
                asset_count=sum(n for *_, n in counts.get(h.id, [])),
                url=links.page(h),
            )
            for h in hoods
        ]
    )


@router.get(
    "/neighbourhoods/{slug}",
    response={200: NeighbourhoodDetail, **errors(404, 422)},
    summary="One neighbourhood's profile",
    url_name="api_neighbourhood",
)
def neighbourhood_detail(
    request: HttpRequest, slug: str, params: Query[PeriodParams]
) -> dict[str, Any]:
    """A neighbourhood: its description, population, need (each indicator rolled up from the
    statutory areas in it, saying how, for which period, with its source and licence: the
    latest period unless `period` asks for another or for `all`) and its public assets by
    kind. `population` is always the latest."""
    hood = _neighbourhood(slug)
    choice = _period_choice(params.period)
    summaries = [
        s
        for s in neighbourhood_indicators(hood, history=choice != "latest")
        if _in_period(s.period, choice)
    ]
    _held(choice, summaries)
    population = next(
        (
            s.value
            for s in summaries
            if s.indicator.slug == "population" and s.period and s.period.is_latest
        ),
        None,
    )
    indicators = [
        {
            "slug": s.indicator.slug,
            "name": s.indicator.name,
            "unit": s.indicator.unit,
            "value": s.value,
            "method": s.indicator.rollup,
            "method_description": s.method,
            "note": s.note,
            "average_rank_decile": s.decile_of_value,
            "deciles": [{"decile": d, "share": share} for d, share in s.distribution.items()],
            "lower_is_more_deprived": s.indicator.lower_is_more_deprived,
            "release": s.period.label if s.period else s.indicator.release,
            "period": _period(s.period),
            "source": _provenance(
                (s.period and s.period.source) or s.indicator.source,
                s.period.label if s.period else s.indicator.release,
            ),
        }
        for s in summaries
    ]
    return {
        **_hood_summary(Links(request), hood, _asset_counts([hood.id]).get(hood.id, [])),
        **_place(hood),
        "population": None if population is None else round(population),
        "indicators": indicators,
    }


@router.get(
    "/neighbourhoods/{slug}/boundary.geojson",
    response={200: None, **ERRORS},
    openapi_extra=geojson_response(AreaFeatureCollection),
    summary="A neighbourhood's boundary (GeoJSON)",
    url_name="api_neighbourhood_boundary",
)
def neighbourhood_boundary(request: HttpRequest, slug: str) -> HttpResponse:
    """The neighbourhood's boundary as a GeoJSON FeatureCollection of one feature (WGS84)."""
    return _geojson([_feature(_neighbourhood(slug, with_boundary=True))])


# -- postcodes ---------------------------------------------------------------------------------


@router.get(
    "/postcodes/{postcode}",
    response={200: PostcodeOut, **ERRORS},
    summary="Look up a postcode",
    url_name="api_postcode",
)
def postcode_lookup(request: HttpRequest, path: Path[PostcodePath]) -> dict[str, Any]:
    """A postcode, in any spacing or case ("ab12cd", "AB1 2CD"), to its point, the current
    statutory areas it lies in and its neighbourhoods. 400 if it is not a postcode; 404 if it
    is one we do not know."""
    result = lookup_postcode(path.postcode)
    links = Links(request)
    return {
        "postcode": result.postcode,
        "located": result.located,
        "lon": result.lon,
        "lat": result.lat,
        "areas": [_ref(a) for a in sorted(result.areas, key=_level_order)],
        "neighbourhoods": [
            {
                "name": h.name,
                "slug": h.slug,
                "url": links.page(h),
            }
            for h in result.neighbourhoods
        ],
    }
