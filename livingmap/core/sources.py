"""Where a mapped import's rows come from: a source a mapping file declares in [source].

* CSV (the default): `encoding`, `delimiter`; read by `importing.read_csv`, row by row.
* GeoJSON: a FeatureCollection; each feature's properties, with its `geometry`.
* JSON: a list of records, found by `records`, a path of keys from the top of the document
  ("grants" for 360Giving, "items" or "" for a bare list, "data.services" for one nested).
  Nested values are reached by dotted column names: "recipientOrganization.0.name".
* XLSX (openpyxl): a sheet (`sheet`, the first by default) whose first row names the columns.

Every reader yields (label, row) pairs, the label saying where a problem is ("line 12",
"feature 3", "record 7", "row 5"), and a row is a dict of column name to value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .importing import SourceError, read_csv, read_geojson_features

FORMATS = ("csv", "geojson", "json", "xlsx")
SUFFIXES = {".csv": "csv", ".geojson": "geojson", ".json": "json", ".xlsx": "xlsx"}
SOURCE_KEYS = ("format", "encoding", "delimiter", "records", "sheet")


@dataclass(frozen=True)
class Source:
    """How to read a mapped file (a mapping's [source] section)."""

    format: str = "csv"
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    #: JSON: the path of keys to the list of records ('' for a document that is the list).
    records: str = ""
    #: XLSX: the sheet's name ('' for the first).
    sheet: str = ""


def read_rows(path: Path, source: Source) -> Iterator[tuple[str, dict[str, Any]]]:
    """The source's rows (see the module docstring)."""
    if source.format == "csv":
        yield from read_csv(path, encoding=source.encoding, delimiter=source.delimiter)
    elif source.format == "geojson":
        yield from read_geojson_features(path)
    elif source.format == "json":
        for number, record in enumerate(_json_records(path, source), start=1):
            yield f"record {number}", flatten(record)
    elif source.format == "xlsx":
        yield from _xlsx_rows(path, source)
    else:  # pragma: no cover - refused when the mapping is read
        raise SourceError(f"there is no source format '{source.format}'")


def columns(path: Path, source: Source) -> list[str]:
    """The columns a source's rows may have, to check a mapping against before reading it:
    the CSV or XLSX header; for JSON and GeoJSON, every key any record has."""
    if source.format == "xlsx":
        return list(_xlsx_header(path, source)[1])
    if source.format == "csv":  # pragma: no cover - the CSV importer reads its own header
        raise NotImplementedError
    seen: dict[str, None] = {}
    for _, row in read_rows(path, source):
        seen.update(dict.fromkeys(k for k in row if k is not None))
    return list(seen)


def _load_json(path: Path) -> Any:
    try:
        with path.open("rb") as handle:
            return json.load(handle)
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path.name} is not valid JSON ({exc})") from exc


def _json_records(path: Path, source: Source) -> list[Any]:
    data = _load_json(path)
    if not source.records and isinstance(data, dict) and data.get("type") == "FeatureCollection":
        raise SourceError(
            f'{path.name} is GeoJSON: set format = "geojson" in the mapping\'s [source]'
        )
    where = "the document"
    for key in [k for k in source.records.split(".") if k]:
        if not isinstance(data, dict) or key not in data:
            found = ", ".join(sorted(data)) if isinstance(data, dict) else type(data).__name__
            raise SourceError(
                f"{path.name}: {where} has no '{key}' (records = \"{source.records}\" in the "
                f"mapping's [source]); it has {found}"
            )
        data, where = data[key], f"'{key}'"
    if not isinstance(data, list):
        raise SourceError(
            f"{path.name}: {where} is not a list of records: set records in the mapping's "
            '[source] to the key that holds them (e.g. records = "grants")'
        )
    return data


def flatten(record: Any, prefix: str = "") -> dict[str, Any]:
    """A JSON record as one level of columns: {"a": {"b": 1}, "c": [{"d": 2}]} ->
    {"a.b": 1, "c.0.d": 2}. Lists of plain values stay whole under their own key as well
    ("tags": ["a", "b"] is "tags" = "a; b"), for a column that lists them."""
    out: dict[str, Any] = {}
    if not isinstance(record, dict):
        return {"value": record} if not prefix else {prefix: record}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                out[name] = "; ".join(str(v) for v in value if v is not None)
            for number, item in enumerate(value):
                if isinstance(item, dict):
                    out.update(flatten(item, f"{name}.{number}."))
                else:
                    out[f"{name}.{number}"] = item
        else:
            out[name] = value
    return out


def _workbook(path: Path) -> Any:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - a dependency in pyproject.toml
        raise SourceError("reading XLSX files needs openpyxl (pip install openpyxl)") from exc
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror or exc}") from exc
    except Exception as exc:  # openpyxl raises several kinds for a file that is not XLSX
        raise SourceError(f"{path.name} is not an XLSX workbook ({exc})") from exc


def _sheet(book: Any, path: Path, source: Source) -> Any:
    if not source.sheet:
        return book.worksheets[0]
    if source.sheet not in book.sheetnames:
        raise SourceError(
            f"{path.name} has no sheet '{source.sheet}'; it has {', '.join(book.sheetnames)}"
        )
    return book[source.sheet]


def _xlsx_header(path: Path, source: Source) -> tuple[Any, list[str]]:
    book = _workbook(path)
    sheet = _sheet(book, path, source)
    first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    header = [_text(v).strip() for v in first]
    while header and not header[-1]:
        header.pop()
    if not header:
        book.close()
        raise SourceError(f"{path.name} is empty: its first row names no columns")
    return book, header


def _xlsx_rows(path: Path, source: Source) -> Iterator[tuple[str, dict[str, Any]]]:
    book, header = _xlsx_header(path, source)
    try:
        sheet = _sheet(book, path, source)
        width = len(header)
        for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
            cells = [_text(v) for v in values[:width]]
            if not any(c.strip() for c in cells):
                continue  # an empty row
            cells += [""] * (width - len(cells))
            yield f"row {number}", dict(zip(header, cells, strict=True))
    finally:
        book.close()


def _text(value: Any) -> str:
    """A spreadsheet cell as text, as the same sheet saved as CSV would give it: whole numbers
    without '.0', dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
