"""The asset importer base: rows become AssetRecords in `transform`; loading is shared."""

from __future__ import annotations

from typing import Any, TypeVar

from livingmap.core.geo import GeometryError, check_in_uk, geometry_from_geojson
from livingmap.core.importing import Importer, ImportReport, RowRejected
from livingmap.core.records import UnusableValue
from livingmap.core.text import clean_postcode, tidy

from ..records import ASSET_SCHEMA, CHECKED_FIELDS
from ..services import AssetRecord, LoadInParts, build_area_index, import_asset_records
from ..taxonomy import ensure_taxonomy
from ..within import Within

REGISTRY: dict[str, type[AssetImporter]] = {}
#: The schema's checked fields, looked up once (`AssetImporter.check` runs for every record).
_CHECKED = tuple((name, ASSET_SCHEMA[name]) for name in CHECKED_FIELDS)
T = TypeVar("T", bound=type["AssetImporter"])


def register(cls: T) -> T:
    REGISTRY[cls.name] = cls
    return cls


class AssetImporter(Importer):
    """Base for every asset layer. Subclasses write `transform(row, label) -> AssetRecord`.

    Helpers below turn the usual messy open-data fields into clean values, raising RowRejected
    with a reason where a row cannot be used.
    """

    def before(self, report: ImportReport) -> None:
        ensure_taxonomy()
        within = self.within()
        if within is not None:
            within.prepare()  # the area's boundary, read once; an unknown area fails here

    def load(self, records: list[tuple[str, Any]], report: ImportReport) -> None:
        assert self.dataset_row is not None, "an asset importer must name its dataset"
        index = self.run_state.get("area_index", self.options.get("area_index"))
        if index is None and self.in_parts:
            index = self.run_state["area_index"] = build_area_index()  # once for every part
        within = self.within()
        if within is not None:
            records = within.keep(records, report)
        import_asset_records(
            dataset=self.dataset_row,
            records=records,
            report=report,
            index=index,
            parts=self.run_state.setdefault("parts", LoadInParts()),
        )

    def check(self, record: Any, label: str) -> Any:
        """Every record's checked fields (email, web address, postcode, UPRN, charity number:
        the schema's cleaners, records.py) cleaned; a value that cannot be used is left out,
        with a warning for its row, never dropped in silence."""
        if isinstance(record, AssetRecord):
            for name, field in _CHECKED:
                value = getattr(record, name)
                if not value:
                    continue
                try:
                    cleaned = field.cleaned(value)
                except UnusableValue as exc:
                    self.warn(label, f"{exc}: imported without it")
                    cleaned = ""
                if cleaned is not value:
                    setattr(record, name, cleaned)
        return record

    def within(self) -> Within | None:
        """The area this run keeps to (`within=` and `outside=` options, e.g. from the
        command's --within and --outside), or None: every record is loaded."""
        if "within" not in self.run_state:
            area = self.options.get("within")
            self.run_state["within"] = (
                Within(area=area, outside=self.options.get("outside") or "leave") if area else None
            )
        return self.run_state["within"]

    # -- helpers for transform ---------------------------------------------------------------
    @staticmethod
    def text(row: dict[str, Any], *keys: str) -> str:
        """The first non-blank value among the keys ('NA' and friends count as blank)."""
        for key in keys:
            value = tidy(row.get(key))
            if value:
                return value
        return ""

    @staticmethod
    def required(row: dict[str, Any], key: str, what: str = "") -> str:
        value = AssetImporter.text(row, key)
        if not value:
            raise RowRejected(f"no {what or key}")
        return value

    @staticmethod
    def postcode(row: dict[str, Any], *keys: str) -> str:
        return clean_postcode(AssetImporter.text(row, *keys))

    @staticmethod
    def point(
        row: dict[str, Any], lon_key: str = "lon", lat_key: str = "lat"
    ) -> tuple[float | None, float | None]:
        """(lon, lat) from two columns, or (None, None) if blank; rejects nonsense values."""
        lon_text, lat_text = AssetImporter.text(row, lon_key), AssetImporter.text(row, lat_key)
        if not lon_text and not lat_text:
            return None, None
        if not lon_text or not lat_text:
            raise RowRejected(one_coordinate(lon_text, lat_text, "longitude", "latitude"))
        try:
            lon, lat = float(lon_text), float(lat_text)
        except ValueError as exc:
            raise RowRejected(f"coordinates '{lon_text}, {lat_text}' are not numbers") from exc
        try:
            check_in_uk(lon, lat)
        except GeometryError as exc:
            raise RowRejected(str(exc)) from exc
        return lon, lat

    @staticmethod
    def geometry_point(row: dict[str, Any]) -> tuple[float | None, float | None, dict | None]:
        """From a GeoJSON feature's geometry: (lon, lat, footprint) — a point, or a polygon's
        inner point and the polygon itself as the footprint."""
        data = row.get("geometry")
        if not data:
            return None, None, None
        try:
            geom = geometry_from_geojson(data)
        except GeometryError as exc:
            raise RowRejected(str(exc)) from exc
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        try:
            check_in_uk(point.x, point.y)
        except GeometryError as exc:
            raise RowRejected(str(exc)) from exc
        footprint = data if geom.geom_type.endswith("Polygon") else None
        return point.x, point.y, footprint

    @staticmethod
    def website(value: str) -> str:
        """A web address with its scheme (https:// where none is given); `check` then refuses,
        with a warning, one that is not a web address."""
        value = value.strip()
        if not value:
            return ""
        if not value.startswith(("http://", "https://")):
            value = "https://" + value.lstrip("/")
        return value[:500]

    @staticmethod
    def email(value: str) -> str:
        """The value if it may be an email address, else '' (a contact column that holds a
        telephone number); `check` then refuses, with a warning, one that is not."""
        value = value.strip()
        return value if "@" in value and " " not in value else ""


def one_coordinate(first: str, second: str, first_name: str, second_name: str) -> str:
    """The reason to refuse a row that gives one coordinate of two."""
    given, missing = (first_name, second_name) if first else (second_name, first_name)
    return f"{given} {first or second} is given but no {missing}: give both, or neither"


__all__ = ["REGISTRY", "AssetImporter", "AssetRecord", "RowRejected", "register"]
