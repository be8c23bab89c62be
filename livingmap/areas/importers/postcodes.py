"""Postcodes from an ONSPD-style CSV: the ONS Postcode Directory, or any file with its columns."""

from __future__ import annotations

from typing import Any

from livingmap.core.importing import (
    Importer,
    ImportReport,
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
    "ward_code": ("osward", "ward_code", "wd23cd", "wd24cd"),
    "lad_code": ("oslaua", "lad_code", "la_code", "lad23cd", "lad24cd"),
    "terminated": ("doterm",),
}
FIELDS = ("lon", "lat", "oa_code", "lsoa_code", "msoa_code", "ward_code", "lad_code", "terminated")
# ONSPD marks postcodes with no grid reference with this latitude.
NO_LOCATION_LAT = 99.999999


class PostcodeImporter(Importer):
    name = "postcodes"
    description = "Postcodes with their point and areas (ONSPD-style CSV)."

    def read_rows(self):  # type: ignore[override]
        rows = read_csv(self.source)
        first = next(rows, None)
        if first is None:
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
