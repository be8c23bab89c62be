"""Writes for areas: boundaries, neighbourhoods, postcodes and indicator values."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import shapely
from django.db import transaction
from django.utils.text import slugify
from pyproj import Geod
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from livingmap.core.geo import GeometryError, bounds_of, geometry_from_geojson
from livingmap.core.models import Dataset

from .models import Area, AreaComponent, AreaLevel, Indicator, IndicatorPeriod, LoadedArea
from .periods import Span
from .signals import boundaries_changed

# Shares below this are slivers from generalised boundaries that do not really meet.
MIN_COMPONENT_SHARE = 0.02


@cache
def _geod() -> Geod:
    return Geod(ellps="WGS84")


def geometry_fields(geom: BaseGeometry) -> dict[str, Any]:
    """The stored, derived fields of an area's geometry: GeoJSON, bbox, label point, land area."""
    if geom.geom_type not in {"Polygon", "MultiPolygon"}:
        polygons = [g for g in getattr(geom, "geoms", []) if g.geom_type.endswith("Polygon")]
        if not polygons:
            raise GeometryError(f"an area must be a polygon, not a {geom.geom_type}")
        geom = shapely.unary_union(polygons)
    min_lon, min_lat, max_lon, max_lat = bounds_of(geom)
    point = geom.representative_point()
    area_m2, _ = _geod().geometry_area_perimeter(geom)
    return {
        # Through JSON, so that a stored geometry compares equal to a freshly computed one.
        "geometry": json.loads(json.dumps(mapping(geom))),
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
        "point_lon": point.x,
        "point_lat": point.y,
        "land_area_m2": abs(area_m2),
    }


def area_slug(*, level: str, name: str, gss_code: str = "", vintage: int | None = None) -> str:
    if level == AreaLevel.NEIGHBOURHOOD:
        return slugify(name)[:120] or "neighbourhood"
    return f"{gss_code.lower()}-{vintage}" if gss_code else slugify(f"{level}-{name}-{vintage}")


def upsert_area(
    *,
    level: str,
    name: str,
    geometry: dict[str, Any] | BaseGeometry,
    vintage: int,
    gss_code: str = "",
    origin: str = Area.Origin.STATUTORY,
    description: str = "",
    source: Dataset | None = None,
) -> tuple[Area, str]:
    """Create or update one area; returns it and 'created', 'updated' or 'unchanged'."""
    geom = geometry if isinstance(geometry, BaseGeometry) else geometry_from_geojson(geometry)
    values: dict[str, Any] = {
        "name": name,
        "vintage": vintage,
        "origin": origin,
        # The key, not the row: comparing it needs no query.
        "source_id": source.pk if source is not None else None,
        **geometry_fields(geom),
    }
    if description:
        values["description"] = description
    if gss_code:
        existing = Area.objects.filter(level=level, gss_code=gss_code, vintage=vintage).first()
    else:
        existing = Area.objects.filter(level=level, slug=area_slug(level=level, name=name)).first()
    if existing is None:
        slug = area_slug(level=level, name=name, gss_code=gss_code, vintage=vintage)
        area = Area.objects.create(
            level=level, gss_code=gss_code, slug=_unique_slug(slug), **values
        )
        return area, "created"
    if source is None:
        values.pop("source_id")
    changed = [key for key, value in values.items() if getattr(existing, key) != value]
    if not changed:
        return existing, "unchanged"
    for key in changed:
        setattr(existing, key, values[key])
    existing.save()
    return existing, "updated"


def _unique_slug(slug: str) -> str:
    candidate, n = slug, 2
    while Area.objects.filter(slug=candidate).exists():
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def mark_current_vintages(levels: Iterable[str]) -> None:
    """The newest vintage of each statutory level is the current one."""
    for level in set(levels):
        if level == AreaLevel.NEIGHBOURHOOD:
            continue
        vintages = Area.objects.filter(level=level).order_by("-vintage")
        newest = vintages.values_list("vintage", flat=True).first()
        if newest is None:
            continue
        Area.objects.filter(level=level).exclude(vintage=newest).update(is_current=False)
        Area.objects.filter(level=level, vintage=newest).update(is_current=True)


@transaction.atomic
def compute_components(neighbourhoods: Sequence[Area]) -> int:
    """Store how much of each LSOA and ward (every vintage) lies in each neighbourhood."""
    count = 0
    for hood in neighbourhoods:
        AreaComponent.objects.filter(neighbourhood=hood).delete()
        hood_geom = geometry_from_geojson(hood.geometry)
        shapely.prepare(hood_geom)
        candidates = (
            Area.objects.filter(level__in=[AreaLevel.LSOA, AreaLevel.WARD, AreaLevel.OUTPUT_AREA])
            .filter(min_lon__lte=hood.max_lon, max_lon__gte=hood.min_lon)
            .filter(min_lat__lte=hood.max_lat, max_lat__gte=hood.min_lat)
            .only("id", "geometry")
        )
        rows = []
        for area in candidates:
            geom = geometry_from_geojson(area.geometry)
            if not hood_geom.intersects(geom):
                continue
            share = hood_geom.intersection(geom).area / geom.area if geom.area else 0.0
            if share >= MIN_COMPONENT_SHARE:
                rows.append(AreaComponent(neighbourhood=hood, component=area, share=min(share, 1)))
        AreaComponent.objects.bulk_create(rows)
        count += len(rows)
    return count


def refresh_neighbourhood_components() -> int:
    return compute_components(list(Area.objects.neighbourhoods()))


def notify_boundaries_changed(areas: Sequence[Area]) -> None:
    if areas:
        from .selectors import forget_current_area

        forget_current_area()
        boundaries_changed.send(sender=Area, areas=list(areas))


@transaction.atomic
def record_loaded_area(
    *, code: str, name: str, example_postcodes: Sequence[str] = (), manifest: str = ""
) -> LoadedArea:
    """Record an area loaded from its manifest: the name the site shows for it and its example
    postcodes (see selectors.current_area)."""
    from livingmap.core.text import clean_postcode

    from .selectors import forget_current_area

    examples = [p for p in (clean_postcode(p) for p in example_postcodes) if p]
    area, _ = LoadedArea.objects.update_or_create(
        gss_code=code.strip().upper(),
        defaults={"name": name.strip(), "example_postcodes": examples, "manifest": manifest[:500]},
    )
    transaction.on_commit(forget_current_area)
    forget_current_area()
    return area


@transaction.atomic
def build_neighbourhood(
    *, name: str, components: Sequence[Area], description: str = ""
) -> tuple[Area, str]:
    """A neighbourhood residents recognise, made from statutory areas (e.g. a few wards)."""
    if not components:
        raise ValueError("a neighbourhood needs at least one area")
    geom = shapely.unary_union([geometry_from_geojson(a.geometry) for a in components])
    vintage = max(a.vintage for a in components)
    area, outcome = upsert_area(
        level=AreaLevel.NEIGHBOURHOOD,
        name=name,
        geometry=geom,
        vintage=vintage,
        origin=Area.Origin.BUILT,
        description=description,
    )
    compute_components([area])
    notify_boundaries_changed([area])
    return area, outcome


# -- indicator periods ------------------------------------------------------------------------


@transaction.atomic
def record_period(
    *, indicator: Indicator, span: Span, source: Dataset | None, release: str = ""
) -> IndicatorPeriod:
    """The indicator's period for a span, added if new (a new release adds a period beside the
    others; it never replaces them). Loading the same release again finds the same period."""
    period, created = IndicatorPeriod.objects.get_or_create(
        indicator=indicator,
        start=span.start,
        end=span.end,
        defaults={
            "granularity": span.granularity,
            "label": span.label,
            "source": source,
            "release": release,
        },
    )
    if not created and (period.label, period.source_id, period.release) != (
        span.label,
        source.pk if source else None,
        release,
    ):
        period.label, period.source, period.release = span.label, source, release
        period.save(update_fields=["label", "source", "release"])
    return period


@transaction.atomic
def mark_latest_period(*, indicator: Indicator) -> IndicatorPeriod | None:
    """Mark the indicator's newest period (by end, then start) as the one pages show, and keep
    the indicator's `release` the latest period's label. Returns the latest, or None."""
    periods = IndicatorPeriod.objects.filter(indicator=indicator)
    latest = periods.order_by("-end", "-start").first()
    periods.exclude(pk=latest.pk if latest else None).filter(is_latest=True).update(is_latest=False)
    if latest is None:
        return None
    if not latest.is_latest:
        IndicatorPeriod.objects.filter(pk=latest.pk).update(is_latest=True)
        latest.is_latest = True
    if indicator.release != latest.label:
        Indicator.objects.filter(pk=indicator.pk).update(release=latest.label)
        indicator.release = latest.label
    return latest
