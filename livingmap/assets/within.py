"""Only what is inside the area: an import that keeps the records located in the loaded area
(or in one named area), and says how many it left out and why.

A register often covers more than the area: a county's list of charities, a national directory,
a neighbouring borough's services. `Within` keeps a record whose point (or, without one, whose
postcode's point) lies in the area. A record located outside it is either left out (counted by
reason in the report), or, with `outside = "serving"`, kept as serving the area from outside
it: not located (it is not on the map, and in none of the area's wards or neighbourhoods), with
a note of where it is in `extra` ("located_outside_area") and the area it serves
("serves_area"). A record whose place is not known at all is kept as today (reported as
imported without a location).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from livingmap.areas.models import Area, AreaLevel, Postcode
from livingmap.core.geo import geometry_from_geojson
from livingmap.core.importing import ImportReport, SourceError, chunked

OUTSIDE_CHOICES = ("leave", "serving")
#: The levels that say what "the loaded area" is, widest first: the local authorities loaded,
#: else the wards, else the LSOAs.
AREA_LEVELS = (AreaLevel.LOCAL_AUTHORITY, AreaLevel.WARD, AreaLevel.LSOA)


@dataclass
class Within:
    """Keep only records inside an area (see the module docstring)."""

    #: "loaded" (the area this instance holds) or an area's GSS code ("E06000042").
    area: str = "loaded"
    outside: str = "leave"
    name: str = ""
    _geometry: Any = field(default=None, repr=False)
    counts: Counter = field(default_factory=Counter)

    def prepare(self) -> None:
        """Read the area's boundary (once, before the rows are loaded)."""
        if self.outside not in OUTSIDE_CHOICES:
            raise SourceError(
                f"outside must be one of {', '.join(OUTSIDE_CHOICES)}, not '{self.outside}'"
            )
        if self.area == "loaded":
            areas: list[Area] = []
            for level in AREA_LEVELS:
                areas = list(Area.objects.filter(level=level, is_current=True))
                if areas:
                    break
            if not areas:
                raise SourceError(
                    "no area is loaded, so no record can be inside it: load the boundaries "
                    "first (livingmap import_boundaries), or leave out --within"
                )
            self.name = (
                ", ".join(sorted(a.name for a in areas))
                if areas[0].level == AreaLevel.LOCAL_AUTHORITY
                else "the loaded area"
            )
        else:
            areas = list(
                Area.objects.filter(gss_code=self.area).order_by("-is_current", "-vintage")
            )
            if not areas:
                raise SourceError(f"there is no area with the code {self.area} (--within)")
            areas = areas[:1]
            self.name = f"{areas[0].name} ({areas[0].gss_code})"
        geometry = shapely.union_all([geometry_from_geojson(a.geometry) for a in areas])
        shapely.prepare(geometry)
        self._geometry = geometry

    def keep(
        self, records: Sequence[tuple[str, Any]], report: ImportReport
    ) -> list[tuple[str, Any]]:
        """The records to load: those inside the area (and, with outside = "serving", those
        outside it, unlocated, with a note); the rest counted on the report by reason."""
        if self._geometry is None:
            self.prepare()
        _place_by_postcode(records)
        placed = [
            (k, r) for k, (_, r) in enumerate(records) if r.lat is not None and r.lon is not None
        ]
        inside = np.ones(len(records), dtype=bool)
        if placed:
            lons = np.fromiter((r.lon for _, r in placed), float, len(placed))
            lats = np.fromiter((r.lat for _, r in placed), float, len(placed))
            hits = shapely.contains_xy(self._geometry, lons, lats)
            for (k, _), hit in zip(placed, hits.tolist(), strict=True):
                inside[k] = hit
        kept: list[tuple[str, Any]] = []
        for k, (label, record) in enumerate(records):
            if inside[k]:
                kept.append((label, record))
                continue
            given = "its postcode" if getattr(record, "_placed_by_postcode", False) else "its point"
            if self.outside == "serving":
                record.extra = {
                    **record.extra,
                    "located_outside_area": record.postcode
                    or f"{record.lon:.5f}, {record.lat:.5f}",
                    "serves_area": self.name,
                }
                record.lon = record.lat = None
                record.footprint = None
                self.counts[f"located outside {self.name} by {given}: kept as serving it"] += 1
                kept.append((label, record))
            else:
                self.counts[f"located outside {self.name} by {given}: left out"] += 1
        report.outside = dict(self.counts)
        return kept


def _place_by_postcode(records: Sequence[tuple[str, Any]]) -> None:
    """Give records without coordinates their postcode's point (as the load would), marking
    them so the report can say which located them."""
    wanted = sorted({r.postcode for _, r in records if r.lat is None and r.postcode})
    points: dict[str, tuple[float, float]] = {}
    for chunk in chunked(wanted, 900):
        points.update(
            (p, (lon, lat))
            for p, lon, lat in Postcode.objects.filter(
                postcode__in=chunk, lat__isnull=False
            ).values_list("postcode", "lon", "lat")
        )
    for _, record in records:
        if record.lat is None and record.postcode in points:
            record.lon, record.lat = points[record.postcode]
            record._placed_by_postcode = True
