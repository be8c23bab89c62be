"""Boundaries from GeoJSON: statutory areas (GSS-coded) or neighbourhoods (named)."""

from __future__ import annotations

from typing import Any

from livingmap.core.geo import GeometryError, geometry_from_geojson
from livingmap.core.importing import DatasetInfo, Importer, ImportReport, RowRejected, SourceError
from livingmap.core.text import null_if_blank

from ..models import Area, AreaLevel
from ..services import (
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
        **options: Any,
    ) -> None:
        super().__init__(source, **options)
        if level not in AreaLevel.values:
            raise SourceError(f"unknown level {level!r}; use one of {', '.join(AreaLevel.values)}")
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

    def transform(self, row: dict[str, Any], label: str) -> dict[str, Any]:
        code = null_if_blank(row.get(self.code_property)) if self.code_property else ""
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
        try:
            geom = geometry_from_geojson(row["geometry"])
        except GeometryError as exc:
            raise RowRejected(str(exc)) from exc
        if not geom.geom_type.endswith("Polygon"):
            raise RowRejected(f"an area must be a polygon, not a {geom.geom_type}")
        min_lon, min_lat, max_lon, max_lat = geom.bounds
        if not (min_lon > -9 and max_lon < 2.5 and min_lat > 49 and max_lat < 61.5):
            raise RowRejected(
                "coordinates are not longitude/latitude in the UK (is the file in WGS84?)"
            )
        description = (
            null_if_blank(row.get(self.description_property)) if self.description_property else ""
        )
        return {"code": code, "name": name, "geometry": geom, "description": description}

    def load(self, records: list[tuple[str, Any]], report: ImportReport) -> None:
        origin = (
            Area.Origin.IMPORTED if self.level == AreaLevel.NEIGHBOURHOOD else Area.Origin.STATUTORY
        )
        seen: set[str] = set()
        for label, rec in records:
            key = rec["code"] or rec["name"].lower()
            if key in seen:
                report.reject(label, f"{key} appears twice in the file")
                continue
            seen.add(key)
            area, outcome = upsert_area(
                level=self.level,
                name=rec["name"],
                geometry=rec["geometry"],
                vintage=self.vintage,
                gss_code=rec["code"],
                origin=origin,
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
