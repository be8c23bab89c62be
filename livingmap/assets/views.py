"""Public pages for assets: search (a GET form that needs no JavaScript) and one asset's page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from livingmap.areas.models import AreaLevel
from livingmap.areas.selectors import neighbourhoods
from livingmap.core.templatetags.livingmap import distance

from .forms import AssetSearchForm
from .maps import asset_points, map_data
from .models import Asset
from .selectors import (
    SearchError,
    SearchResults,
    categories_in_use,
    get_public_asset,
    map_assets,
    search_assets,
    stale_period,
)

PAGE_SIZE = 20
#: The most markers the search page's map carries (the page must stay under 150 KB gzipped).
MAP_LIMIT = 200


def search_form(data: object = None) -> AssetSearchForm:
    """The search form with today's categories and neighbourhoods as its choices."""
    return AssetSearchForm(
        data,
        categories=[(c.slug, c.name) for c in categories_in_use()],
        neighbourhoods=[(h.slug, h.name) for h in neighbourhoods()],
    )


def asset_search(request: HttpRequest) -> HttpResponse:
    form = search_form(request.GET)
    context: dict[str, object] = {"form": form, "results": None}
    if not form.is_valid():
        return render(request, "assets/search.html", context, status=400)
    query = form.to_query(page_size=PAGE_SIZE)
    try:
        results = search_assets(query)
    except SearchError as exc:
        form.add_error(None, str(exc))
        return render(request, "assets/search.html", context, status=400)
    if query.page > results.pages:
        form.add_error(
            "page",
            f"There is no page {query.page}: "
            + (
                f"these results fill {results.pages} page{'s' if results.pages != 1 else ''}"
                if results.total
                else "nothing matches this search"
            ),
        )
        return render(request, "assets/search.html", context, status=400)
    # The map shows the first results of the search (not only this page), clustered: only the
    # few columns a marker needs are read.
    on_map = map_assets(query, limit=MAP_LIMIT)
    points = [
        [round(p.lat, 5), round(p.lon, 5), p.name, str(p.uuid), p.kind] for p in on_map.points
    ]
    context.update(
        results=results,
        query=query,
        searched=any(request.GET.get(k) for k in form.fields if k != "page"),
        map_data=map_data(points) if points else None,
        map_note=_map_note(len(points), on_map.total, results.total),
        order_note=_order_note(results, form.near_label),
        first=(query.page - 1) * query.page_size + 1,
        last=(query.page - 1) * query.page_size + len(results.hits),
    )
    return render(request, "assets/search.html", context)


def _order_note(results: SearchResults, near: str) -> str:
    """How the results are ordered, in words, as search_assets ordered them: listings not
    verified within the stale period always come lower (they are never hidden)."""
    fresh = f"checked in the last {stale_period()}"
    if results.query.near is not None:
        return (
            f"Nearest first, within {distance(results.query.within_m)} of {near}, "
            f"but listings not {fresh} come lower."
        )
    if any(hit.rank is not None for hit in results.hits):  # words that can be matched
        return f"Best matches first, but listings not {fresh} come lower."
    return f"Listings {fresh} first, then the rest; each in alphabetical order."


def _map_note(shown: int, located: int, total: int) -> str:
    """What the map shows, in words: it may leave out results with no location, or past the
    limit of markers it carries."""
    if located > shown:
        if located == total:
            return (
                f"The map shows the first {shown:,} of these {total:,} results. "
                "The list has them all."
            )
        return (
            f"The map shows the first {shown:,} of the {located:,} results that have a location. "
            f"The list has all {total:,}."
        )
    if shown == total:
        if total == 1:
            return "The map shows the result in the list."
        return "The map shows every result in the list."
    if shown == 0:
        return f"None of these {total:,} results has a location, so none is on the map."
    has, them = ("has", "it") if shown == 1 else ("have", "them")
    return (
        f"{shown:,} of these {total:,} results {has} a location: the map shows {them}. "
        "The list has them all."
    )


def asset_detail(request: HttpRequest, uuid: str) -> HttpResponse:
    try:
        asset = get_public_asset(uuid)
    except Asset.DoesNotExist as exc:
        raise Http404("No such asset") from exc
    areas = [link.area for link in asset.area_links.all() if link.area.is_current]
    by_level = {level: [a for a in areas if a.level == level] for level in AreaLevel.values}
    sources = sorted(asset.sources.all(), key=lambda s: s.dataset.name)
    return render(
        request,
        "assets/detail.html",
        {
            "asset": asset,
            "categories": list(asset.categories.all()),
            "neighbourhoods": by_level[AreaLevel.NEIGHBOURHOOD],
            "wards": by_level[AreaLevel.WARD],
            "small_areas": by_level[AreaLevel.LSOA] + by_level[AreaLevel.MSOA],
            "sources": sources,
            "has_tenure": asset.kind == "physical" or bool(asset.tenure or asset.tenure_detail),
            "map_data": (
                map_data(asset_points([asset]), cluster=False, zoom=16)
                if asset.is_located
                else None
            ),
        },
    )
