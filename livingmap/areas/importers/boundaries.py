"""Boundaries from GeoJSON: statutory areas (GSS-coded) or neighbourhoods (named)."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from livingmap.core.importing import DatasetInfo, Importer, ImportReport, RowRejected, SourceError
from livingmap.core.text import null_if_blank

from ..models import Area, AreaLevel
from ..services import (
    area_slug,
    compute_components,
    mark_current_vintages,
    notify_boundaries_changed,
    upsert_area,
)

GSS_PREFIXES = {
    AreaLevel.LOCAL_AUTHORITY: ("E06", "E07", "E08", "E09", "W06", "S12", "N09"),
    AreaLevel.WARD: ("E05", "W05", "S13", "N08"),
    AreaLevel.MSOA: ("E02", "W02"),
    AreaLevel.LSOA: ("E01", "W01"),
    AreaLevel.OUTPUT_AREA: ("E00", "W00"),
}


class BoundaryImporter(Importer):
    """Import areas of one level and vintage from a GeoJSON FeatureCollection in WGS84.

    Options: level (lad, ward, msoa, lsoa, oa, neighbourhood), vintage (year), code_property
    (the GSS code; not used for neighbourhoods), name_property, description_property.
    """

    name = "boundaries"
    description = "Statutory areas or neighbourhoods from GeoJSON."
    source_format = "geojson"

    def __init__(
        self,
        source: Any = None,
        *,
        level: str,
        vintage: int,
        code_property: str = "area_code",
        name_property: str = "area_name",
        description_property: str = "",
        dataset: DatasetInfo | None = None,
        origin: str = "",
        **options: Any,
    ) -> None:
        super().__init__(source, **options)
        if level not in AreaLevel.values:
            raise SourceError(f"unknown level {level!r}; use one of {', '.join(AreaLevel.values)}")
        if origin and origin not in Area.Origin.values:
            raise SourceError(
                f"unknown origin {origin!r}; use one of {', '.join(Area.Origin.values)}"
            )
        if level == AreaLevel.NEIGHBOURHOOD:
            # Imported by default; a neighbourhood drawn on a map and uploaded says so.
            self.origin = origin or Area.Origin.IMPORTED
        elif origin and origin != Area.Origin.STATUTORY:
            raise SourceError("only neighbourhoods can be imported, built or drawn")
        else:
            self.origin = Area.Origin.STATUTORY
        self.level = level
        self.vintage = vintage
        self.name = f"boundaries-{level}-{vintage}"
        self.code_property = code_property if level != AreaLevel.NEIGHBOURHOOD else ""
        self.name_property = name_property
        self.description_property = description_property
        if dataset is not None:
            self.dataset = dataset
        self.required_columns = frozenset(p for p in (self.code_property, self.name_property) if p)
        self.changed: list[Area] = []

    def before(self, report: ImportReport) -> None:
        self.changed = []

    def transform(self, row: dict[str, Any], label: str) -> dict[str, Any]:
        code = null_if_blank(row.get(self.code_property)).upper() if self.code_property else ""
        name = null_if_blank(row.get(self.name_property)) or code
        if self.code_property:
            if not code:
                raise RowRejected(f"no GSS code in '{self.code_property}'")
            prefixes = GSS_PREFIXES.get(self.level, ())
            if prefixes and not code.startswith(prefixes):
                raise RowRejected(
                    f"{code} is not a {AreaLevel(self.level).label} code "
                    f"(those start {', '.join(prefixes)})"
                )
        if not name:
            raise RowRejected(f"no name in '{self.name_property}'")
        if not row.get("geometry"):
            raise RowRejected("no geometry")
        geom, repaired = area_geometry(row["geometry"])
        description = (
            null_if_blank(row.get(self.description_property)) if self.description_property else ""
        )
        return {
            "code": code,
            "name": name,
            "geometry": geom,
            "description": description,
            "repaired": repaired,
        }

    def load(self, records: list[tuple[str, Any]], report: ImportReport) -> None:
        seen: set[str] = set()
        for label, rec in records:
            key = rec["code"] or area_slug(level=self.level, name=rec["name"])
            if key in seen:
                report.reject(label, f"{rec['code'] or rec['name']} appears twice in the file")
                continue
            seen.add(key)
            if rec["repaired"]:
                report.warn(label, f"the boundary was not valid ({rec['repaired']}); repaired")
            area, outcome = upsert_area(
                level=self.level,
                name=rec["name"],
                geometry=rec["geometry"],
                vintage=self.vintage,
                gss_code=rec["code"],
                origin=self.origin,
                description=rec["description"],
                source=self.dataset_row,
            )
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome != "unchanged":
                self.changed.append(area)

    def after(self, report: ImportReport) -> None:
        if not self.changed:
            return
        mark_current_vintages([self.level])
        if self.level == AreaLevel.NEIGHBOURHOOD:
            compute_components(self.changed)
        elif self.level in (AreaLevel.LSOA, AreaLevel.WARD, AreaLevel.OUTPUT_AREA):
            compute_components(list(Area.objects.neighbourhoods()))
        notify_boundaries_changed(self.changed)


#: Longitude and latitude that a boundary in the UK lies within; anything else is projected
#: (e.g. British National Grid metres) or has longitude and latitude swapped.
UK_LON = (-9.0, 2.5)
UK_LAT = (49.0, 61.5)


def area_geometry(data: Any) -> tuple[BaseGeometry, str]:
    """A GeoJSON geometry as a valid (multi)polygon in the UK, and why it had to be repaired
    ('' if it did not). Raises RowRejected with the reason for anything that cannot be an area."""
    try:
        geom = shape(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, ShapelyError) as exc:
        raise RowRejected(f"not a GeoJSON geometry ({exc})") from exc
    if geom.is_empty:
        raise RowRejected("the geometry is empty")
    if geom.geom_type not in {"Polygon", "MultiPolygon", "GeometryCollection"}:
        raise RowRejected(f"an area must be a polygon, not a {geom.geom_type}")
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if not (
        UK_LON[0] < min_lon and max_lon < UK_LON[1] and UK_LAT[0] < min_lat and max_lat < UK_LAT[1]
    ):
        raise RowRejected(
            "coordinates are not longitude/latitude in the UK (is the file in WGS84, "
            "longitude first?)"
        )
    repaired = ""
    if not geom.is_valid:
        repaired = shapely.is_valid_reason(geom)
        geom = shapely.make_valid(geom)
    polygons = _polygons(geom)
    if not polygons:
        raise RowRejected(
            f"the boundary has no area{f' ({repaired})' if repaired else ''}: it cannot be used"
        )
    geom = polygons[0] if len(polygons) == 1 else shapely.unary_union(polygons)
    if geom.area == 0:
        raise RowRejected("the boundary has no area: it cannot be used")
    return geom, repaired


def _polygons(geom: BaseGeometry) -> list[BaseGeometry]:
    """The polygonal parts of a geometry (make_valid may return lines beside the polygons)."""
    if geom.geom_type in {"Polygon", "MultiPolygon"}:
        return [geom] if not geom.is_empty else []
    return [part for g in getattr(geom, "geoms", []) for part in _polygons(g)]
