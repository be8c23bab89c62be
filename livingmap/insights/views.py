"""Pages of the insights app: profiles, gaps, participation and open data. Views are thin: the
figures come from selectors, writes go through services, permissions through `can`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from livingmap.accounts.guards import guard
from livingmap.accounts.permissions import can
from livingmap.areas.models import Area
from livingmap.areas.selectors import (
    LSOA_COUNT_ENGLAND_2019,
    get_neighbourhood,
    population_release,
)
from livingmap.assets.models import Asset
from livingmap.assets.selectors import get_public_asset

from . import downloads, selectors
from .forms import GapsForm, ParticipationForm
from .models import Activity
from .services import ParticipationError, add_activity, record_participation


def _hood(slug: str) -> Area:
    try:
        return get_neighbourhood(slug)
    except Area.DoesNotExist as exc:
        raise Http404("No such neighbourhood") from exc


def profile(request: HttpRequest, slug: str) -> HttpResponse:
    hood = _hood(slug)
    return render(
        request,
        "insights/profile.html",
        {
            "neighbourhood": hood,
            "profile": selectors.neighbourhood_profile(hood),
            "lsoa_count": LSOA_COUNT_ENGLAND_2019,
            "peer_count": selectors.PEERS,
            "population_release": population_release(),
        },
    )


def profile_csv(request: HttpRequest, slug: str) -> HttpResponse:
    hood = _hood(slug)
    p = selectors.neighbourhood_profile(hood)
    name = selectors.measure_name
    # The same measure names as the open data's profiles CSV; each measure once.
    rows: list[list[Any]] = [["population", "people", p.population, p.area_population, ""]]
    for d in p.domains:
        rows.append(
            [
                name(d.slug, "average_rank"),
                "population-weighted average rank (1 = most deprived)",
                d.rank,
                d.area_rank,
                d.peer_rank,
            ]
        )
        rows.append(
            [
                name(d.slug, "share_in_decile_1"),
                "share of residents in England's most deprived 10% of LSOAs",
                d.most_deprived_share,
                d.area_most_deprived_share,
                "",
            ]
        )
    for k in p.kinds:
        rows.append([name(k.kind, "assets"), "count", k.count, k.area_count, ""])
        rows.append(
            [name(k.kind, "per_1000"), "per 1,000 residents", k.rate, k.area_rate, k.peer_rate]
        )
    header = ["measure", "unit", hood.name, "whole area", "similar neighbourhoods"]
    response = StreamingHttpResponse(downloads.csv_rows(header, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="livingmap-profile-{hood.slug}.csv"'
    return response


def gaps(request: HttpRequest) -> HttpResponse:
    """The gaps table, as a page or (format=csv) a download. A query that cannot be answered as
    asked is refused with a 400 — the page with an error summary and no table, the download in
    plain words — never answered with the default table in its place."""
    form = GapsForm(request.GET or None)
    as_csv = request.GET.get("format") == "csv"
    result = None
    if not form.is_bound or form.is_valid():
        query = form.to_query() if form.is_bound else selectors.GapsQuery()
        try:
            result = selectors.gaps(query)
        except selectors.GapsError as exc:
            form.add_error(None, str(exc))
    if result is None:
        if as_csv:
            return HttpResponse(
                form.error_text(), content_type="text/plain; charset=utf-8", status=400
            )
        return render(request, "insights/gaps.html", {"form": form}, status=400)
    if as_csv:
        return _gaps_csv(result)
    return render(
        request,
        "insights/gaps.html",
        {
            "form": form,
            "result": result,
            "choropleth": {
                "tiles": {
                    "url": settings.LIVINGMAP_TILE_URL,
                    "attribution": settings.LIVINGMAP_TILE_ATTRIBUTION,
                },
                "areas": selectors.gaps_geojson(result),
            },
            "near_m": selectors.NEAR_M,
            "csv_query": request.GET.urlencode(),
        },
    )


def _gaps_csv(result: selectors.Gaps) -> HttpResponse:
    q = result.query
    header = [
        "level",
        "code",
        "name",
        "population",
        # For a neighbourhood its population-weighted average rank; for an LSOA, its rank.
        selectors.measure_name(result.indicator.slug.removesuffix("-rank"), "average_rank"),
        "national_decile",
        "assets",
        "assets_per_1000",
        "nearest_asset_m",
        "high_need",
        "few_assets",
    ]

    def rows() -> Any:
        for level, group in (("neighbourhood", result.neighbourhoods), ("lsoa", result.lsoas)):
            for r in group:
                yield [
                    level,
                    r.area.gss_code or r.area.slug,
                    r.area.name,
                    None if r.population is None else round(r.population),
                    None if r.rank is None else round(r.rank, 1),
                    r.decile,
                    r.count,
                    None if r.rate is None else round(r.rate, 3),
                    None if r.distance_m is None else round(r.distance_m),
                    r.high_need,
                    r.low_assets,
                ]

    response = StreamingHttpResponse(downloads.csv_rows(header, rows()), content_type="text/csv")
    name = "-".join(filter(None, ["livingmap-gaps", q.need, q.kind, q.category]))
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def participation(request: HttpRequest) -> HttpResponse:
    figures = selectors.participation_figures()
    return render(
        request,
        "insights/participation.html",
        {
            "by_month": selectors.area_totals_by_month(figures=figures),
            "by_hood": selectors.area_totals_by_neighbourhood(figures=figures),
            "groups": selectors.groups_with_participation(),
            "suppress_below": selectors.SUPPRESS_BELOW,
            "can_see_trends": can(request.user, "insights.view_trends"),
            "illustrative": selectors.has_illustrative_figures(),
        },
    )


def _asset(uuid: Any) -> Asset:
    try:
        return get_public_asset(uuid)
    except Asset.DoesNotExist as exc:
        raise Http404("No such group") from exc


def group_participation(request: HttpRequest, uuid: Any) -> HttpResponse:
    asset = _asset(uuid)
    return render(
        request,
        "insights/group_participation.html",
        {
            "asset": asset,
            "place": selectors.asset_places([asset]).get(asset.id, ""),
            "shares": selectors.group_shares(asset),
            "can_record": can(request.user, "asset.record_participation", asset),
            "suppress_below": selectors.SUPPRESS_BELOW,
            "illustrative": selectors.has_illustrative_figures(asset),
        },
    )


def group_participation_csv(request: HttpRequest, uuid: Any) -> HttpResponse:
    """The group's share of the area's participation, as on its page (suppressed alike)."""
    asset = _asset(uuid)
    rows = (
        [
            f"{r.month:%Y-%m}",
            r.label,
            r.public_group,
            r.public_area,
            "" if r.public_share is None else round(r.public_share, 4),
        ]
        for r in selectors.group_shares(asset)
    )
    header = ["month", "activity_category", "group_participants", "area_participants", "share"]
    response = StreamingHttpResponse(downloads.csv_rows(header, rows), content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="livingmap-participation-{asset.uuid}.csv"'
    )
    return response


@login_required
def record(request: HttpRequest, uuid: Any) -> HttpResponse:
    asset = _asset(uuid)
    # Permission, then (for an officer) two-factor sign-in: accounts.guards.
    if (stop := guard(request, "asset.record_participation", asset)) is not None:
        return stop
    form = ParticipationForm(request.POST or None, asset=asset)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                activity = data["activity"] or add_activity(
                    asset, data["new_activity"], data["category"]
                )
                record_participation(activity, data["month"], data["participants"], form.splits())
            except ParticipationError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Recorded {data['participants']} people for {activity.name} in "
                    f"{data['month']:%B %Y}.",
                )
                return redirect("group_participation", uuid=asset.uuid)
        status = 400
    return render(
        request,
        "insights/record.html",
        {
            "asset": asset,
            "form": form,
            "activities": Activity.objects.filter(asset=asset).prefetch_related("records"),
        },
        status=status,
    )


@login_required
def trends(request: HttpRequest) -> HttpResponse:
    if (stop := guard(request, "insights.view_trends")) is not None:
        return stop
    by_category, by_activity, recent, before = selectors.participation_trends()
    return render(
        request,
        "insights/trends.html",
        {
            "by_category": by_category,
            "by_activity": by_activity,
            "recent": recent,
            "before": before,
        },
    )


def _hsds_links() -> list[dict[str, str]]:
    links = []
    for name, title in (
        ("openreferral:export_json", "Open Referral UK (HSDS) services, JSON"),
        ("openreferral:export_datapackage", "Open Referral UK (HSDS) data package"),
    ):
        try:
            links.append({"url": reverse(name), "title": title})
        except NoReverseMatch:
            continue
    return links


def open_data(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "insights/open_data.html",
        {
            "downloads": downloads.every_download(),  # every app's (LivingMapApp.downloads)
            "datasets": downloads.datasets(),
            "hsds": _hsds_links(),
        },
    )


def open_data_download(request: HttpRequest, slug: str) -> HttpResponse:
    download = downloads.get_download(slug)
    if download is None:
        raise Http404("No such download")
    response = StreamingHttpResponse(download.build(), content_type=download.content_type)
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    return response
