"""Reads for areas: postcode lookups, which areas hold a point, and need rolled up to neighbourhoods."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import shapely

from livingmap.core.geo import geometry_from_geojson
from livingmap.core.text import PostcodeError, normalise_postcode

from .models import Area, AreaComponent, AreaLevel, Indicator, IndicatorValue, Postcode

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
            f"We could not find {postcode}. Check it, or try a nearby postcode in the area."
        )
    areas = list(
        Area.objects.filter(gss_code__in=row.codes, is_current=True).order_by("level", "name")
    )
    hoods = areas_at_point(row.lon, row.lat, neighbourhoods_only=True) if row.lon else []
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

    @property
    def decile_of_value(self) -> int | None:
        """National decile of an average rank (1 = most deprived 10% of LSOAs in England)."""
        if self.value is None or self.indicator.rollup != Indicator.Rollup.RANK:
            return None
        return min(10, max(1, math.ceil(self.value / (LSOA_COUNT_ENGLAND_2019 / 10))))


def _population_by_component(hood: Area, vintage_levels: list[int]) -> dict[int, float]:
    """Residents of each LSOA in a neighbourhood (its population × the share inside)."""
    population = Indicator.objects.filter(slug="population").first()
    if population is None:
        return {}
    components = AreaComponent.objects.filter(
        neighbourhood=hood, component__level=AreaLevel.LSOA, component__vintage__in=vintage_levels
    ).values_list("component_id", "share")
    shares = dict(components)
    values = IndicatorValue.objects.filter(indicator=population, area_id__in=shares)
    return {v.area_id: v.value * shares[v.area_id] for v in values}


def neighbourhood_indicators(hood: Area) -> list[IndicatorSummary]:
    """Each indicator rolled up to a neighbourhood by its stated method.

    * counts (population) are summed over the LSOAs in the neighbourhood, each weighted by the
      share of it that lies inside;
    * ranks (IMD and its domains) become a population-weighted average rank, the measure MHCLG
      uses to summarise larger areas; deciles are never averaged;
    * deciles become the share of residents who live in LSOAs of each national decile.
    """
    indicators = list(Indicator.objects.select_related("source").order_by("order", "name"))
    components = AreaComponent.objects.filter(
        neighbourhood=hood, component__level=AreaLevel.LSOA
    ).select_related("component")
    by_vintage: dict[int, dict[int, float]] = defaultdict(dict)
    for c in components:
        by_vintage[c.component.vintage][c.component_id] = c.share
    summaries = []
    for indicator in indicators:
        values = list(
            IndicatorValue.objects.filter(
                indicator=indicator, area__in=[cid for v in by_vintage.values() for cid in v]
            ).select_related("area")
        )
        if not values:
            continue
        vintage = values[0].area.vintage
        shares = by_vintage[vintage]
        people = _population_by_component(hood, [vintage])
        summaries.append(_summarise(indicator, values, shares, people))
    return summaries


def _summarise(
    indicator: Indicator,
    values: list[IndicatorValue],
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
    rows = IndicatorValue.objects.filter(indicator__slug=indicator_slug, area__level=level)
    return dict(rows.values_list("area__gss_code", "value"))


__all__ = [
    "IndicatorSummary",
    "PostcodeError",
    "PostcodeNotFound",
    "PostcodeResult",
    "areas_at_point",
    "get_neighbourhood",
    "indicator_values_for_level",
    "lookup_postcode",
    "neighbourhood_indicators",
    "neighbourhoods",
    "point_for_postcode",
]
