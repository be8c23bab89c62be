"""Public pages for places: the home page, the list of neighbourhoods, a neighbourhood's
profile, and a statutory area's page.

These pages put an area's assets beside its need, so they read from the selectors of both the
areas and the assets apps: this app is where the two meet, and neither depends on it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from livingmap.areas.models import Area, AreaLevel
from livingmap.areas.selectors import (
    LSOA_COUNT_ENGLAND_2019,
    area_indicator_values,
    deprivation_domains,
    get_neighbourhood,
    get_statutory_area,
    neighbourhood_indicators,
    neighbourhood_overviews,
    neighbourhoods,
    neighbourhoods_overlapping,
    population_release,
)
from livingmap.assets.maps import asset_points, map_data
from livingmap.assets.models import AssetKind
from livingmap.assets.selectors import (
    AssetQuery,
    assets_by_kind,
    kind_counts_by_area,
    search_assets,
)

#: Lists of assets longer than this are folded into a <details> element.
SHORT_LIST = 10


def _assets_context(area: Area) -> dict[str, Any]:
    """An area's public assets grouped by kind, each kind with its categories counted, and the
    map of the located ones (with the area's boundary)."""
    grouped = assets_by_kind(area)
    every = [asset for assets in grouped.values() for asset in assets]
    prefetch_related_objects(every, "categories")
    labels = dict(AssetKind.choices)
    kinds = []
    for kind, assets in grouped.items():
        categories: Counter[tuple[str, str]] = Counter()
        for asset in assets:
            categories.update((c.slug, c.name) for c in asset.categories.all())
        kinds.append(
            {
                "value": kind,
                "label": labels[kind],
                "assets": assets,
                "count": len(assets),
                "folded": len(assets) > SHORT_LIST,
                "categories": [
                    {"slug": slug, "name": name, "count": n}
                    for (slug, name), n in sorted(categories.items(), key=lambda c: (-c[1], c[0]))
                ],
            }
        )
    points = asset_points(every)
    return {
        "kinds": kinds,
        "asset_total": len(every),
        "located_total": len(points),
        "map_data": map_data(points, boundary=area.geometry),
    }


def neighbourhood_list(request: HttpRequest) -> HttpResponse:
    counts = kind_counts_by_area(AreaLevel.NEIGHBOURHOOD)
    rows = [
        {"overview": o, "assets": sum(counts.get(o.neighbourhood.id, {}).values())}
        for o in neighbourhood_overviews()
    ]
    return render(
        request,
        "places/neighbourhood_list.html",
        {"rows": rows, "population_release": population_release()},
    )


def neighbourhood_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        hood = get_neighbourhood(slug)
    except Area.DoesNotExist as exc:
        raise Http404("No such neighbourhood") from exc
    summaries = neighbourhood_indicators(hood)
    domains = deprivation_domains(summaries)
    by_slug = {s.indicator.slug: s for s in summaries}
    sources = {s.indicator.source_id: s.indicator for s in summaries}
    return render(
        request,
        "places/neighbourhood_detail.html",
        {
            "neighbourhood": hood,
            "population": by_slug.get("population"),
            "overall": next((d for d in domains if d.is_overall), None),
            "domains": [d for d in domains if not d.is_overall],
            "sources": list(sources.values()),
            "lsoa_count": LSOA_COUNT_ENGLAND_2019,
            "deciles": range(1, 11),
            **_assets_context(hood),
        },
    )


def area_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        area = get_statutory_area(slug)
    except Area.DoesNotExist as exc:
        raise Http404("No such area") from exc
    values = area_indicator_values(area)
    return render(
        request,
        "places/area_detail.html",
        {
            "area": area,
            "values": values,
            "sources": list({v.indicator.source_id: v.indicator for v in values}.values()),
            "in_neighbourhoods": neighbourhoods_overlapping(area),
            **_assets_context(area),
        },
    )


def home(request: HttpRequest) -> HttpResponse:
    everything = search_assets(AssetQuery(page_size=1))
    kinds = [
        {"value": value, "label": label, "count": everything.kinds.get(value, 0)}
        for value, label in AssetKind.choices
        if value != AssetKind.GIFTS
    ]
    # The table lists the kinds the map has; the ones it has none of yet are named in a sentence
    # that asks people to suggest one (a bare "None yet" in a table of numbers helps nobody).
    return render(
        request,
        "places/home.html",
        {
            "kinds": [k for k in kinds if k["count"]],
            "missing_kinds": _in_words([k["label"].lower() for k in kinds if not k["count"]]),
            "total": everything.total,
            "neighbourhoods": neighbourhoods(),
        },
    )


def _in_words(items: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b, or c': a list in a sentence (each item may hold "and")."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + ", or " + items[-1]
