"""JSON API routes of the insights app, mounted by livingmap/api.py at /api/insights/.

Public and read-only: neighbourhood profiles, gaps (need against assets) and the area's
participation totals, the last with small numbers suppressed exactly as on the pages.
Errors are {"detail": "message"}.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from livingmap.areas.models import Area
from livingmap.areas.selectors import get_neighbourhood
from livingmap.core import disclosure
from livingmap.core.schemas import errors

from . import selectors

router = Router(tags=["Insights"])


def _num(value: float | None, places: int = 3) -> float | None:
    return None if value is None else round(value, places)


@router.get(
    "/profiles/{slug}", response={200: dict, **errors(404)}, summary="A neighbourhood's profile"
)
def profile(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Population, deprivation by domain and public assets per 1,000 residents, each beside the
    whole area and the neighbourhoods of most similar deprivation. Every count is of the assets
    located in the place (the whole area's too)."""
    try:
        hood = get_neighbourhood(slug)
    except Area.DoesNotExist as exc:
        raise HttpError(404, f"There is no neighbourhood '{slug}'") from exc
    p = selectors.neighbourhood_profile(hood)
    return {
        "neighbourhood": {"name": hood.name, "slug": hood.slug},
        "population": _num(p.population, 0),
        "area_population": _num(p.area_population, 0),
        "imd_average_rank": _num(p.imd_rank, 1),
        "imd_national_decile": p.imd_decile,
        # The whole area counts the assets located in it, as a neighbourhood does; these are
        # the public assets it leaves out (no location, or outside the area).
        "area_assets_not_counted": p.area_assets_not_counted,
        "similar_neighbourhoods": [
            {
                "slug": peer["area"].slug,
                "name": peer["area"].name,
                "imd_average_rank": _num(peer["imd_rank"], 1),
            }
            for peer in p.peers
        ],
        "domains": [
            {
                "domain": d.slug,
                "name": d.name,
                "average_rank": _num(d.rank, 1),
                "national_decile": d.decile,
                "share_in_most_deprived_decile": _num(d.most_deprived_share, 4),
                "area_average_rank": _num(d.area_rank, 1),
                "similar_average_rank": _num(d.peer_rank, 1),
            }
            for d in p.domains
        ],
        "assets": [
            {
                "kind": k.kind,
                "label": k.label,
                "count": k.count,
                "per_1000": _num(k.rate),
                "area_count": k.area_count,
                "area_per_1000": _num(k.area_rate),
                "similar_per_1000": _num(k.peer_rate),
                "same_deprivation_per_1000": _num(k.similar_decile_rate),
            }
            for k in p.kinds
        ],
    }


def _gap_row(r: selectors.GapRow) -> dict[str, Any]:
    return {
        "code": r.area.gss_code or r.area.slug,
        "name": r.area.name,
        "population": _num(r.population, 0),
        "need_rank": _num(r.rank, 1),
        "national_decile": r.decile,
        "assets": r.count,
        "per_1000": _num(r.rate),
        "nearest_m": _num(r.distance_m, 0),
        "high_need": r.high_need,
        "few_assets": r.low_assets,
        "flag": r.status,
    }


class GapsFilters(Schema):
    """A gaps query: a measure of need, and a kind or a category of asset (not both)."""

    need: str = Field(
        selectors.DEFAULT_NEED,
        description="A measure of need: the rank of IMD 2019 or of one of its domains.",
        # Listed in the OpenAPI document from the selector's own list. A value outside it is
        # still taken in as text, so that it gets the selector's 400 and message (as an unknown
        # kind or category does), not a 422.
        json_schema_extra={"enum": list(selectors.NEED_MEASURES)},
    )
    kind: str = Field("", description="A kind of asset, from /api/kinds. Not with category.")
    category: str = Field("", description="A category, from /api/categories. Not with kind.")


@router.get("/gaps", response={200: dict, **errors()}, summary="Need against assets")
def gaps(request: HttpRequest, filters: Query[GapsFilters]) -> dict[str, Any]:
    """Neighbourhoods and LSOAs by need (an IMD rank indicator), with public assets of a kind or
    of a category (not both) per 1,000 residents and the distance to the nearest; high need and
    few assets flagged."""
    # A filter given twice would be answered for its last value alone: refuse it instead.
    for name in GapsFilters.model_fields:
        if len(set(request.GET.getlist(name))) > 1:
            raise HttpError(400, f"Give {name} once: the table is for one {name} at a time")
    kind, category = filters.kind, filters.category
    try:
        result = selectors.gaps(
            selectors.GapsQuery(need=filters.need, kind=kind, category=category)
        )
    except selectors.GapsError as exc:
        raise HttpError(400, str(exc)) from exc
    return {
        "need": result.indicator.slug,
        "kind": kind,
        "category": category,
        "near_m": selectors.NEAR_M,
        "neighbourhoods": [_gap_row(r) for r in result.neighbourhoods],
        "lsoas": [_gap_row(r) for r in result.lsoas],
    }


def _table(table: selectors.SuppressedTable) -> dict[str, Any]:
    return {
        "columns": table.columns,
        "rows": [
            {"activity": label, "values": cells, "total": total}
            for label, cells, total in table.rows
        ],
    }


@router.get(
    "/participation", response={200: dict, **errors()}, summary="The area's participation totals"
)
def participation(request: HttpRequest) -> dict[str, Any]:
    """People taking part, by kind of activity and month, and by neighbourhood over the last 12
    months. Numbers from 1 to 4 are "<5"; a number hidden so that no small one can be worked out
    from the others (here or in any other published table) is "[c]" (see docs/insights.md)."""
    figures = selectors.participation_figures()
    return {
        "suppressed_below": selectors.SUPPRESS_BELOW,
        "hidden": disclosure.HIDDEN,
        "by_month": _table(selectors.area_totals_by_month(figures=figures)),
        "by_neighbourhood": _table(selectors.area_totals_by_neighbourhood(figures=figures)),
    }
