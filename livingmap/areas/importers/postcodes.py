"""Postcodes from an ONSPD-style CSV: the ONS Postcode Directory, or any file with its columns.

Given the national directory (2.7 million rows), `keep` loads only the area's postcodes: those
whose local authority column is the area's code, or whose point lies in the loaded area's
boundary (with a buffer in metres around it). The file is streamed and the other areas' rows
are passed over before anything is made of them, so memory holds only the area's postcodes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import shapely

from livingmap.core.importing import (
    Importer,
    ImportReport,
    MisshapenRow,
    RowRejected,
    SourceError,
    chunked,
    read_csv,
)
from livingmap.core.text import PostcodeError, normalise_postcode, null_if_blank

from ..models import Postcode

#: For each field, the column names it goes by in ONSPD and in other postcode files.
COLUMNS: dict[str, tuple[str, ...]] = {
    "postcode": ("pcds", "postcode", "pcd", "pcd7", "pcd8"),
    "lat": ("lat", "latitude"),
    "lon": ("long", "lon", "longitude", "lng"),
    "oa_code": ("oa21cd", "oa21", "oa11", "oa_code"),
    "lsoa_code": ("lsoa21cd", "lsoa21", "lsoa11", "lsoa_code"),
    "msoa_code": ("msoa21cd", "msoa21", "msoa11", "msoa_code"),
    "ward_code": ("osward", "ward_code", "wd23cd", "wd24cd", "ward"),
    "lad_code": ("oslaua", "lad_code", "la_code", "lad23cd", "lad24cd", "laua"),
    "terminated": ("doterm",),
}
FIELDS = ("lon", "lat", "oa_code", "lsoa_code", "msoa_code", "ward_code", "lad_code", "terminated")
# ONSPD marks postcodes with no grid reference with this latitude.
NO_LOCATION_LAT = 99.999999


#: What `keep` may say: every postcode in the file, those of the area's local authority (by
#: the file's local authority column), or those whose point is in the area's boundary.
KEEP = ("all", "local_authority", "boundary")


class PostcodeImporter(Importer):
    name = "postcodes"
    description = "Postcodes with their point and areas (ONSPD-style CSV)."

    def __init__(
        self,
        source: Any = None,
        *,
        keep: str = "all",
        area_code: str = "",
        buffer_metres: float = 0.0,
        **options: Any,
    ) -> None:
        super().__init__(source, **options)
        if keep not in KEEP:
            raise SourceError(f"keep must be one of {', '.join(KEEP)}, not {keep!r}")
        if keep != "all" and not area_code:
            raise SourceError("give the GSS code of the area whose postcodes to keep")
        if buffer_metres < 0 or (buffer_metres and keep != "boundary"):
            raise SourceError("a buffer is a positive number of metres around the boundary")
        self.keep = keep
        self.area_code = area_code.strip().upper()
        self.buffer_metres = buffer_metres
        self.left_out = 0

    def before(self, report: ImportReport) -> None:
        self.left_out = 0
        self.boundary = None
        if self.keep == "boundary":
            self.boundary = area_boundary(self.area_code, self.buffer_metres)

    def read_rows(self):  # type: ignore[override]
        rows = read_csv(self.source) if self.keep == "all" else self._area_rows()
        first = next(rows, None)
        if first is None:
            if self.left_out:
                raise SourceError(
                    f"none of the {self.left_out} postcodes in {self.source.name} is in "
                    f"{self._where()}: is {self.area_code} the area's code?"
                )
            return
        label, row = first
        lowered = {c.strip().lower(): c for c in row if isinstance(c, str)}
        self.columns = {}
        for field_name, aliases in COLUMNS.items():
            self.columns[field_name] = next((lowered[a] for a in aliases if a in lowered), None)
        if not self.columns["postcode"]:
            raise SourceError(
                f"{self.source.name} has no postcode column (one of {', '.join(COLUMNS['postcode'])})"
            )
        yield label, row
        yield from rows

    def _area_rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """The rows of the area's postcodes; every other row is counted in `left_out` and passed
        over from its raw values, before a row is made of it (the national file is 2.7 million
        rows, nearly all of them another area's)."""
        if not Path(self.source).is_file():
            raise SourceError(f"cannot open {self.source}: there is no such file")
        with Path(self.source).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                header = [name.strip() for name in next(reader, [])]
                lowered = {c.lower(): i for i, c in enumerate(header)}
                width = len(header)
                if self.keep == "local_authority":
                    column = next((lowered[a] for a in COLUMNS["lad_code"] if a in lowered), None)
                    if column is None:
                        raise SourceError(
                            f"{self.source.name} has no local authority column (one of "
                            f"{', '.join(COLUMNS['lad_code'])}): keep the area's postcodes by "
                            "its boundary instead"
                        )
                    code = self.area_code
                    for values in reader:
                        if len(values) > column and values[column] == code:
                            yield f"line {reader.line_num}", _row(header, values, width)
                        else:
                            self.left_out += 1
                    return
                lon_at = next((lowered[a] for a in COLUMNS["lon"] if a in lowered), None)
                lat_at = next((lowered[a] for a in COLUMNS["lat"] if a in lowered), None)
                if lon_at is None or lat_at is None:
                    raise SourceError(
                        f"{self.source.name} has no longitude and latitude columns: keep the "
                        "area's postcodes by its local authority column instead"
                    )
                boundary = self.boundary
                assert boundary is not None
                min_lon, min_lat, max_lon, max_lat = boundary.bounds
                contains = shapely.contains_xy
                for values in reader:
                    try:
                        lon, lat = float(values[lon_at]), float(values[lat_at])
                    except (ValueError, IndexError):
                        self.left_out += 1  # no point: it cannot be found in the boundary
                        continue
                    if (
                        min_lon <= lon <= max_lon
                        and min_lat <= lat <= max_lat
                        and contains(boundary, lon, lat)
                    ):
                        yield f"line {reader.line_num}", _row(header, values, width)
                    else:
                        self.left_out += 1
            except UnicodeDecodeError as exc:
                raise SourceError(
                    f"{self.source.name} is not UTF-8 text (after line {reader.line_num})"
                ) from exc
            except csv.Error as exc:
                raise SourceError(f"{self.source.name} line {reader.line_num}: {exc}") from exc

    def after(self, report: ImportReport) -> None:
        if not self.left_out:
            return
        report.read += self.left_out
        report.skipped += self.left_out
        report.warn(
            "file", f"{self.left_out} postcodes of other areas left out (not in {self._where()})"
        )

    def _where(self) -> str:
        if self.keep == "local_authority":
            return f"local authority {self.area_code}"
        buffer = f" or within {self.buffer_metres:g} m of it" if self.buffer_metres else ""
        return f"the boundary of {self.area_code}{buffer}"

    def _get(self, row: dict[str, Any], field_name: str) -> str:
        column = self.columns.get(field_name)
        return null_if_blank(row.get(column)) if column else ""

    def transform(self, row: dict[str, Any], label: str) -> dict[str, Any]:
        try:
            postcode = normalise_postcode(self._get(row, "postcode"))
        except PostcodeError as exc:
            raise RowRejected(str(exc)) from exc
        lon_text, lat_text = self._get(row, "lon"), self._get(row, "lat")
        lon = lat = None
        if lon_text and lat_text:
            try:
                lon, lat = float(lon_text), float(lat_text)
            except ValueError as exc:
                raise RowRejected(
                    f"longitude/latitude '{lon_text}, {lat_text}' are not numbers"
                ) from exc
            if lat == NO_LOCATION_LAT:
                lon = lat = None
            elif not (-9 < lon < 2.5 and 49 < lat < 61.5):
                raise RowRejected(f"({lon}, {lat}) is not in the UK")
        record = {
            "postcode": postcode,
            "lon": lon,
            "lat": lat,
            "terminated": bool(self._get(row, "terminated")),
        }
        for code in ("oa_code", "lsoa_code", "msoa_code", "ward_code", "lad_code"):
            record[code] = self._get(row, code)
        return record

    def load(self, records: list[tuple[str, Any]], report: ImportReport) -> None:
        by_postcode: dict[str, dict[str, Any]] = {}
        for label, rec in records:
            if rec["postcode"] in by_postcode:
                report.reject(label, f"{rec['postcode']} appears more than once")
                continue
            by_postcode[rec["postcode"]] = rec
        existing = {
            p.postcode: p
            for chunk in chunked(list(by_postcode), 900)
            for p in Postcode.objects.filter(postcode__in=chunk)
        }
        to_create, to_update = [], []
        for postcode, rec in by_postcode.items():
            row = existing.get(postcode)
            if row is None:
                to_create.append(Postcode(source=self.dataset_row, **rec))
                continue
            if all(getattr(row, f) == rec[f] for f in FIELDS):
                report.unchanged += 1
                continue
            for f in FIELDS:
                setattr(row, f, rec[f])
            to_update.append(row)
        Postcode.objects.bulk_create(to_create, batch_size=2000)
        Postcode.objects.bulk_update(to_update, FIELDS, batch_size=2000)
        report.created += len(to_create)
        report.updated += len(to_update)
        unlocated = sum(1 for r in by_postcode.values() if r["lon"] is None)
        if unlocated:
            report.warn("file", f"{unlocated} postcodes have no location")


def _row(header: list[str], values: list[str], width: int) -> dict[Any, Any]:
    """A row as read_csv gives it: a row that does not fit the header says so (None key)."""
    row: dict[Any, Any] = dict(zip(header, values, strict=False))
    if len(values) != width:
        row[None] = MisshapenRow(f"{len(values)} values where the header has {width} columns")
    return row


def area_boundary(code: str, buffer_metres: float = 0.0) -> Any:
    """The current boundary of the loaded area with this GSS code (a shapely geometry, prepared
    for point tests), grown by `buffer_metres` (measured on the British National Grid)."""
    from pyproj import Transformer
    from shapely.ops import transform

    from livingmap.core.geo import geometry_from_geojson

    from ..models import Area

    area = Area.objects.filter(gss_code=code).order_by("-is_current", "-vintage").first()
    if area is None:
        raise SourceError(
            f"no area with the code {code} is loaded: load its boundary before its postcodes"
        )
    geom = geometry_from_geojson(area.geometry)
    if buffer_metres:
        to_grid = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform
        to_lonlat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform
        geom = transform(to_lonlat, transform(to_grid, geom).buffer(buffer_metres))
    shapely.prepare(geom)
    return geom
