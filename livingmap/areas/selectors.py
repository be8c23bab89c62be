"""Reads for areas: postcode lookups, which areas hold a point, and need rolled up to neighbourhoods."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import shapely
from django.conf import settings

from livingmap.core.geo import geometry_from_geojson
from livingmap.core.text import PostcodeError, normalise_postcode

from .models import (
    Area,
    AreaComponent,
    AreaLevel,
    Indicator,
    IndicatorPeriod,
    IndicatorValue,
    Postcode,
)

LSOA_COUNT_ENGLAND_2019 = 32_844


class PostcodeNotFound(LookupError):
    pass


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


def lookup_postcode(text: str) -> PostcodeResult:
    """A postcode in any spacing or case to its point, statutory areas and neighbourhoods.

    Raises PostcodeError (not a postcode) or PostcodeNotFound (a postcode we do not hold).
    """
    postcode = normalise_postcode(text)
    row = Postcode.objects.filter(postcode=postcode).first()
    if row is None:
        raise PostcodeNotFound(
            f"We could not find {postcode} among {settings.LIVINGMAP_AREA_NAME}'s postcodes. "
            "Check it, or try a nearby postcode in the area."
        )
    areas = list(
        Area.objects.filter(gss_code__in=row.codes, is_current=True).order_by("level", "name")
    )
    hoods = (
        areas_at_point(row.lon, row.lat, neighbourhoods_only=True) if row.lon is not None else []
    )
    return PostcodeResult(row.postcode, row.lon, row.lat, areas, hoods)


def point_for_postcode(text: str) -> tuple[float, float]:
    """(lon, lat) of a postcode, or PostcodeError / PostcodeNotFound with a message for people."""
    result = lookup_postcode(text)
    if not result.located:
        raise PostcodeNotFound(f"{result.postcode} has no location (it may have been retired).")
    return result.lon, result.lat  # type: ignore[return-value]


def areas_at_point(lon: float, lat: float, *, neighbourhoods_only: bool = False) -> list[Area]:
    """Areas that hold a point: an indexed bounding-box query, then an exact test on the few found."""
    candidates = Area.objects.containing_bbox(lon, lat)
    if neighbourhoods_only:
        candidates = candidates.neighbourhoods()
    point = shapely.Point(lon, lat)
    return [a for a in candidates if geometry_from_geojson(a.geometry).intersects(point)]


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
