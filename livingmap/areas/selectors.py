"""Reads for areas: postcode lookups, which areas hold a point (one, or many things in bulk:
`area_index` and `areas_containing`, for any located model), and need rolled up to
neighbourhoods."""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import shapely
from django.conf import settings
from django.db import connection
from django.db.models import F, Model, Q
from django.db.models.functions import Cos, Power, Radians, Sin

from livingmap.core.geo import EARTH_RADIUS_M, AreaIndex, BBox, geometry_from_geojson
from livingmap.core.text import PostcodeError, normalise_postcode

from .models import (
    Area,
    AreaComponent,
    AreaLevel,
    Indicator,
    IndicatorPeriod,
    IndicatorValue,
    LoadedArea,
    Postcode,
)

LSOA_COUNT_ENGLAND_2019 = 32_844


class PostcodeNotFound(LookupError):
    pass


@dataclass(frozen=True)
class CurrentArea:
    """The instance's area, as the data says: its name (header, page titles), a real postcode
    for hints ("For example …") and one for messages ("A postcode looks like …"), and its
    bounds for the map's starting view. Blank (name "the area", no postcodes, no bounds) when
    nothing is loaded."""

    name: str = "the area"
    code: str = ""
    hint_postcode: str = ""
    example_postcode: str = ""
    #: (min_lon, min_lat, max_lon, max_lat) of its boundary, or None.
    bounds: tuple[float, float, float, float] | None = None

    @property
    def map_view(self) -> list[list[float]] | None:
        """The bounds as Leaflet takes them: [[south, west], [north, east]]."""
        if self.bounds is None:
            return None
        min_lon, min_lat, max_lon, max_lat = self.bounds
        return [[min_lat, min_lon], [max_lat, max_lon]]


CURRENT_AREA_CACHE_KEY = "livingmap:current-area"
CURRENT_AREA_SECONDS = 60
_memo: tuple[float, CurrentArea] | None = None


def current_area() -> CurrentArea:
    """The instance's default area (settings.LIVINGMAP_AREA, a GSS code; else the first area
    loaded from a manifest; else the first current local authority), kept for a minute in this
    process and in the cache. Loading an area or its boundaries forgets it
    (`forget_current_area`)."""
    global _memo
    from django.core.cache import cache

    now = time.monotonic()
    if _memo is not None and _memo[0] > now:
        return _memo[1]
    area = cache.get(CURRENT_AREA_CACHE_KEY)
    if area is None:
        area = _find_current_area()
        cache.set(CURRENT_AREA_CACHE_KEY, area, CURRENT_AREA_SECONDS)
    _memo = (now + CURRENT_AREA_SECONDS, area)
    return area


def example_postcode() -> str:
    """A real postcode of the current area for messages, or "" (also on a database not yet
    set up, where a message may still be needed)."""
    from django.db import DatabaseError

    try:
        return current_area().example_postcode
    except DatabaseError:
        return ""


def forget_current_area() -> None:
    global _memo
    from django.core.cache import cache

    _memo = None
    cache.delete(CURRENT_AREA_CACHE_KEY)


def _find_current_area() -> CurrentArea:
    wanted = (getattr(settings, "LIVINGMAP_AREA", "") or "").strip().upper()
    loaded = LoadedArea.objects.filter(gss_code=wanted) if wanted else LoadedArea.objects.all()
    profile = loaded.first()
    code = profile.gss_code if profile else wanted
    authorities = Area.objects.filter(level=AreaLevel.LOCAL_AUTHORITY, is_current=True)
    boundary = (authorities.filter(gss_code=code) if code else authorities.order_by("name")).first()
    if boundary is None and code:
        boundary = Area.objects.filter(gss_code=code).order_by("-is_current", "-vintage").first()
    code = code or (boundary.gss_code if boundary else "")
    examples = list(profile.example_postcodes) if profile else []
    if not examples and code:
        examples = list(
            Postcode.objects.filter(lad_code=code, terminated=False, lon__isnull=False)
            .order_by("postcode")
            .values_list("postcode", flat=True)[:1]
        )
    name = profile.name if profile else (boundary.name if boundary else "")
    return CurrentArea(
        name=name or CurrentArea.name,
        code=code,
        hint_postcode=examples[0] if examples else "",
        example_postcode=examples[-1] if examples else "",
        bounds=(
            (boundary.min_lon, boundary.min_lat, boundary.max_lon, boundary.max_lat)
            if boundary
            else None
        ),
    )


@dataclass
class PostcodeResult:
    postcode: str
    lon: float | None
    lat: float | None
    areas: list[Area]
    neighbourhoods: list[Area]

    @property
    def located(self) -> bool:
        return self.lon is not None and self.lat is not None


def _postcode_row(text: str) -> Postcode:
    postcode = normalise_postcode(text)
    row = Postcode.objects.filter(postcode=postcode).first()
    if row is None:
        raise PostcodeNotFound(
            f"We could not find {postcode} among {current_area().name}'s postcodes. "
            "Check it, or try a nearby postcode in the area."
        )
    return row


def lookup_postcode(text: str) -> PostcodeResult:
    """A postcode in any spacing or case to its point, statutory areas and neighbourhoods.

    Raises PostcodeError (not a postcode) or PostcodeNotFound (a postcode we do not hold).
    """
    row = _postcode_row(text)
    areas = list(
        Area.objects.filter(gss_code__in=row.codes, is_current=True).order_by("level", "name")
    )
    hoods = (
        areas_at_point(row.lon, row.lat, neighbourhoods_only=True) if row.lon is not None else []
    )
    return PostcodeResult(row.postcode, row.lon, row.lat, areas, hoods)


def point_for_postcode(text: str) -> tuple[float, float]:
    """(lon, lat) of a postcode, or PostcodeError / PostcodeNotFound with a message for people.
    The one postcode lookup for a point to search from (the search page, the API, Open
    Referral's `postcode`): the postcode table only, no boundary read."""
    row = _postcode_row(text)
    if row.lon is None or row.lat is None:
        raise PostcodeNotFound(f"{row.postcode} has no location (it may have been retired).")
    return row.lon, row.lat


def areas_at_point(lon: float, lat: float, *, neighbourhoods_only: bool = False) -> list[Area]:
    """Areas that hold a point: an indexed bounding-box query, then an exact test on the few found."""
    candidates = Area.objects.containing_bbox(lon, lat)
    if neighbourhoods_only:
        candidates = candidates.neighbourhoods()
    point = shapely.Point(lon, lat)
    return [a for a in candidates if geometry_from_geojson(a.geometry).intersects(point)]


class Located(Protocol):
    """Anything whose areas can be worked out: an id and a point (lon, lat), either None when
    it is unlocated; optionally `footprint`, a GeoJSON geometry."""

    id: int
    lon: float | None
    lat: float | None


def area_index(areas: Iterable[Area] | None = None) -> AreaIndex:
    """An index over every area and neighbourhood (all vintages), or over `areas`, for asking in
    bulk which of them hold points (`areas_containing`)."""
    if areas is not None:
        rows = list(areas)
        return AreaIndex([a.id for a in rows], [geometry_from_geojson(a.geometry) for a in rows])
    # Every area: parse the stored GeoJSON text in one vectorised call (35,000 LSOAs take a
    # fraction of a second instead of seconds); anything unusual goes the careful way.
    with connection.cursor() as cursor:
        geometry = "geometry::text" if connection.vendor == "postgresql" else "geometry"
        cursor.execute(f"SELECT id, {geometry} FROM areas_area ORDER BY id")  # noqa: S608
        rows = cursor.fetchall()
    if not rows:
        return AreaIndex([], [])
    keys = [r[0] for r in rows]
    texts = [r[1] if isinstance(r[1], str) else json.dumps(r[1]) for r in rows]
    geoms = shapely.from_geojson(texts, on_invalid="ignore")
    good = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & shapely.is_valid(geoms)
    for i in np.flatnonzero(~good).tolist():
        geoms[i] = geometry_from_geojson(json.loads(texts[i]))
    return AreaIndex(keys, geoms)


def areas_containing(
    things: Sequence[Located], index: AreaIndex | None = None
) -> list[tuple[int, int]]:
    """(area id, thing id) for every area and neighbourhood each located thing is in: an asset,
    a venue, a grant's project, anything with an `id`, `lon` and `lat` (and, if it has one, a
    GeoJSON `footprint`). Store the answer when the thing is saved or imported, so pages join.

    A thing with a footprint (a park, an allotment site) is in every area the footprint
    substantially overlaps (more than a tenth of it); otherwise its point decides. Unlocated
    things are in no area. Given an index (`area_index()`, built once for many calls), this
    reads nothing from the database.
    """
    located = [a for a in things if a.lat is not None and a.lon is not None]
    if not located:
        return []
    index = index if index is not None else area_index()
    if len(index) == 0:
        return []
    thing_pos, area_pos = index.points_in(
        np.fromiter((a.lon for a in located), float, len(located)),
        np.fromiter((a.lat for a in located), float, len(located)),
    )
    with_footprint = [(i, a) for i, a in enumerate(located) if getattr(a, "footprint", None)]
    if with_footprint:
        pairs: set[tuple[int, int]] = set(zip(thing_pos.tolist(), area_pos.tolist(), strict=True))
        geoms = [geometry_from_geojson(a.footprint) for _, a in with_footprint]
        g_pos, fp_area_pos = index.geometries_in(geoms)
        for g, ar in zip(g_pos.tolist(), fp_area_pos.tolist(), strict=True):
            if geoms[g].intersection(index.geometries[ar]).area > 0.1 * geoms[g].area:
                pairs.add((with_footprint[g][0], ar))
        thing_pos = np.fromiter((p[0] for p in pairs), np.int64, len(pairs))
        area_pos = np.fromiter((p[1] for p in pairs), np.int64, len(pairs))
    thing_ids = np.fromiter((a.id for a in located), np.int64, len(located))
    area_keys = np.asarray(index.keys, dtype=np.int64)
    return list(zip(area_keys[area_pos].tolist(), thing_ids[thing_pos].tolist(), strict=True))


def within_radius(model: type[Model], lon: float, lat: float, metres: float) -> Q:
    """Rows of `model` (any model with float `lon` and `lat` columns) within `metres` of a
    point, as a filter to combine with any other. The site's one radius search: a bounding box
    (on `lat_cell` too where the model has it: assets are indexed on (lat_cell, lon)), then the
    exact great-circle distance on the sphere of core.geo's haversine. In SQL a point is within
    d when hav = sin²(Δφ/2) + cos φ₀ cos φ sin²(Δλ/2) is at most sin²(d / 2R)."""
    box = BBox.around(lon, lat, metres)
    in_box = Q(
        lon__gte=box.min_lon, lon__lte=box.max_lon, lat__gte=box.min_lat, lat__lte=box.max_lat
    )
    if any(f.name == "lat_cell" for f in model._meta.get_fields()):
        in_box &= Q(lat_cell__in=box.lat_cells())
    hav = Power(Sin(Radians(F("lat") - lat) / 2), 2) + math.cos(math.radians(lat)) * Cos(
        Radians(F("lat"))
    ) * Power(Sin(Radians(F("lon") - lon) / 2), 2)
    limit = math.sin(min(metres / (2 * EARTH_RADIUS_M), math.pi / 2)) ** 2
    inside = model._default_manager.filter(in_box).annotate(_hav=hav).filter(_hav__lte=limit)
    return in_box & Q(pk__in=inside.values("pk"))


def neighbourhoods() -> list[Area]:
    return list(Area.objects.neighbourhoods().order_by("name"))


def get_neighbourhood(slug: str) -> Area:
    return Area.objects.neighbourhoods().get(slug=slug)


@dataclass
class IndicatorSummary:
    indicator: Indicator
    value: float | None
    method: str
    note: str = ""
    distribution: dict[int, float] = field(default_factory=dict)
    #: The period the figure is about (None only for a summary made outside a roll-up).
    period: IndicatorPeriod | None = None

    @property
    def decile_of_value(self) -> int | None:
        """National decile of an average rank (1 = most deprived 10% of LSOAs in England)."""
        if self.value is None or self.indicator.rollup != Indicator.Rollup.RANK:
            return None
        return min(10, max(1, math.ceil(self.value / (LSOA_COUNT_ENGLAND_2019 / 10))))


@dataclass(slots=True)
class AreaValue:
    """One area's value of an indicator: all a roll-up reads (lighter than a model instance)."""

    area_id: int
    value: float


def neighbourhood_indicators(hood: Area, *, history: bool = False) -> list[IndicatorSummary]:
    """Each indicator rolled up to a neighbourhood by its stated method, for the newest period
    that has figures for the neighbourhood (the latest, unless the latest release left it out),
    or, with `history`, for every period it holds, newest first; each says its period.

    * counts (population) are summed over the LSOAs in the neighbourhood, each weighted by the
      share of it that lies inside;
    * ranks (IMD and its domains) become a population-weighted average rank, the measure MHCLG
      uses to summarise larger areas; deciles are never averaged;
    * deciles become the share of residents who live in LSOAs of each national decile.

    Each period is rolled up on its own. The people who weight ranks and deciles, of any
    period, are those of the latest population period: today's residents, as on every other
    page (and so two years of the IMD differ by their ranks alone). An indicator held for LSOAs of several boundary
    vintages (population) is rolled up over the newest; people, the weights, are counted on the
    same vintage as the values they weight. Four queries whatever the number of indicators and
    periods; boundaries are never read.
    """
    indicators = {
        i.id: i for i in Indicator.objects.select_related("source").order_by("order", "name")
    }
    all_periods = list(IndicatorPeriod.objects.filter(indicator__in=list(indicators)))
    for period in all_periods:
        period.indicator = indicators[period.indicator_id]
    population = next((i for i in indicators.values() if i.slug == "population"), None)
    people_periods = [p for p in all_periods if population and p.indicator_id == population.id]
    shown = list(all_periods)
    by_vintage: dict[int, dict[int, float]] = defaultdict(dict)
    vintage_of: dict[int, int] = {}
    for component_id, vintage, share in AreaComponent.objects.filter(
        neighbourhood=hood, component__level=AreaLevel.LSOA
    ).values_list("component_id", "component__vintage", "share"):
        by_vintage[vintage][component_id] = share
        vintage_of[component_id] = vintage
    values_by_period: dict[int, list[AreaValue]] = defaultdict(list)
    rows = IndicatorValue.objects.filter(
        area_id__in=list(vintage_of), period_id__in=[p.id for p in all_periods]
    ).values_list("period_id", "area_id", "value")
    for period_id, area_id, value in rows.order_by("period_id", "area_id"):
        values_by_period[period_id].append(AreaValue(area_id, value))
    # {(population period id, vintage): {area id: people inside the neighbourhood}}
    people: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    for period in people_periods:
        for v in values_by_period.get(period.id, []):
            vintage = vintage_of[v.area_id]
            people[(period.id, vintage)][v.area_id] = v.value * by_vintage[vintage][v.area_id]
    order = list(indicators)
    shown.sort(key=lambda p: (order.index(p.indicator_id), -p.end.toordinal()))
    summaries = []
    done: set[int] = set()
    for period in shown:
        values = values_by_period.get(period.id)
        if not values or (not history and period.indicator_id in done):
            continue
        done.add(period.indicator_id)
        vintage = max(vintage_of[v.area_id] for v in values)
        values = [v for v in values if vintage_of[v.area_id] == vintage]
        weights_from = next((p for p in people_periods if p.is_latest), None)
        summary = summarise_indicator(
            period.indicator,
            values,
            by_vintage[vintage],
            people[(weights_from.id, vintage)] if weights_from else {},
        )
        summary.period = period
        summaries.append(summary)
    return summaries


def summarise_indicator(
    indicator: Indicator,
    values: list[AreaValue],
    shares: dict[int, float],
    people: dict[int, float],
) -> IndicatorSummary:
    method = indicator.get_rollup_display()
    if indicator.rollup == Indicator.Rollup.SUM:
        total = sum(v.value * shares.get(v.area_id, 0) for v in values)
        return IndicatorSummary(indicator, round(total), method)
    weights = {v.area_id: people.get(v.area_id, 0.0) for v in values}
    total_people = sum(weights.values())
    note = "" if total_people else "Weighted by land share: no population figures were loaded."
    if not total_people:
        weights = {v.area_id: shares.get(v.area_id, 0.0) for v in values}
        total_people = sum(weights.values()) or 1.0
    if indicator.rollup == Indicator.Rollup.RANK:
        mean = sum(v.value * weights[v.area_id] for v in values) / total_people
        return IndicatorSummary(indicator, mean, method, note)
    distribution: dict[int, float] = defaultdict(float)
    for v in values:
        distribution[int(v.value)] += weights[v.area_id] / total_people
    most_deprived = distribution.get(1, 0.0)
    return IndicatorSummary(
        indicator, most_deprived, method, note, dict(sorted(distribution.items()))
    )


def indicator_values_for_level(indicator_slug: str, level: str) -> dict[str, float]:
    """{gss_code: value} for every area of a level: for tables and choropleths."""
    rows = IndicatorValue.objects.latest_period().filter(
        indicator__slug=indicator_slug, area__level=level
    )
    return dict(rows.values_list("area__gss_code", "value"))


# -- reads for the public pages -----------------------------------------------------------------


@dataclass
class DeprivationDomain:
    """One IMD measure (the overall index or one of its seven domains) rolled up to a
    neighbourhood: its population-weighted average rank and its residents by decile."""

    slug: str
    name: str
    rank: IndicatorSummary | None
    decile: IndicatorSummary | None

    @property
    def is_overall(self) -> bool:
        return self.slug == "imd"


def deprivation_domains(summaries: list[IndicatorSummary]) -> list[DeprivationDomain]:
    """Pair the '<domain>-rank' and '<domain>-decile' roll-ups, in the indicators' order."""
    domains: dict[str, DeprivationDomain] = {}
    for summary in summaries:
        slug = summary.indicator.slug
        for suffix, attr in (("-rank", "rank"), ("-decile", "decile")):
            if slug.endswith(suffix):
                stem = slug[: -len(suffix)]
                name = summary.indicator.name.removesuffix(f" ({attr})")
                domain = domains.setdefault(stem, DeprivationDomain(stem, name, None, None))
                setattr(domain, attr, summary)
    return list(domains.values())


@dataclass
class NeighbourhoodOverview:
    """A neighbourhood with the few figures a list of neighbourhoods shows."""

    neighbourhood: Area
    population: float | None
    imd_rank: IndicatorSummary | None
    imd_decile: IndicatorSummary | None

    @property
    def most_deprived_share(self) -> float | None:
        """Share of residents living in England's most deprived 10% of areas (IMD decile 1)."""
        return self.imd_decile.value if self.imd_decile else None


def population_release() -> str:
    """The release of the population figures loaded ("mid-2024"); blank if none or not stated."""
    return (
        Indicator.objects.filter(slug="population").values_list("release", flat=True).first() or ""
    )


def neighbourhood_overviews() -> list[NeighbourhoodOverview]:
    """Every neighbourhood, by name, with its population and deprivation (as rolled up by
    neighbourhood_indicators, so the list and each neighbourhood's page always agree)."""
    overviews = []
    for hood in neighbourhoods():
        by_slug = {s.indicator.slug: s for s in neighbourhood_indicators(hood)}
        population = by_slug.get("population")
        overviews.append(
            NeighbourhoodOverview(
                hood,
                population.value if population else None,
                by_slug.get("imd-rank"),
                by_slug.get("imd-decile"),
            )
        )
    return overviews


def area_indicator_values(area: Area, *, history: bool = False) -> list[IndicatorValue]:
    """The indicator values held for one statutory area itself (no roll-up), with provenance and
    period: of each indicator the newest period that has a value for the area (the latest,
    unless the latest release left the area out), or with `history` every period, newest
    first."""
    values = list(
        IndicatorValue.objects.filter(area=area)
        .select_related("indicator__source", "period__source")
        .order_by("indicator__order", "indicator__name", "-period__end", "-period__start")
    )
    if history:
        return values
    seen: set[int] = set()
    newest = []
    for value in values:
        if value.indicator_id not in seen:
            seen.add(value.indicator_id)
            newest.append(value)
    return newest


def indicator_history(indicator: Indicator) -> list[IndicatorValue]:
    """Every value of an indicator in every period held, for its history download: by period
    (oldest first), then area level and code."""
    return list(
        IndicatorValue.objects.filter(indicator=indicator)
        .select_related("period", "area")
        .defer("area__geometry")
        .order_by("period__end", "period__start", "area__level", "area__vintage", "area__gss_code")
    )


def neighbourhoods_overlapping(area: Area) -> list[AreaComponent]:
    """The neighbourhoods a statutory area lies in, each with the share of the area inside."""
    return list(
        AreaComponent.objects.filter(component=area)
        .select_related("neighbourhood")
        .defer("neighbourhood__geometry")
        .order_by("-share", "neighbourhood__name")
    )


def get_statutory_area(slug: str) -> Area:
    """A statutory area by its slug (Area.DoesNotExist if there is none)."""
    return Area.objects.statutory().select_related("parent", "source").get(slug=slug)


__all__ = [
    "DeprivationDomain",
    "IndicatorSummary",
    "NeighbourhoodOverview",
    "PostcodeError",
    "PostcodeNotFound",
    "PostcodeResult",
    "area_indicator_values",
    "areas_at_point",
    "deprivation_domains",
    "get_neighbourhood",
    "get_statutory_area",
    "indicator_history",
    "indicator_values_for_level",
    "lookup_postcode",
    "neighbourhood_indicators",
    "neighbourhood_overviews",
    "neighbourhoods",
    "neighbourhoods_overlapping",
    "point_for_postcode",
]
