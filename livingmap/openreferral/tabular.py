"""HSDS 3.0 nested JSON <-> the tabular data package (one CSV per object type).

Both directions follow the official documents rather than a hand-written list: the table of each
nested key and the columns of each table come from the official `datapackage.json`; which objects
nest where comes from the compiled service / organization schemas.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from functools import cache
from typing import Any

from . import schemas

#: Nested key -> table (resource name).
KEY_TABLE = {
    "phones": "phone",
    "schedules": "schedule",
    "service_areas": "service_area",
    "service_at_locations": "service_at_location",
    "languages": "language",
    "funding": "funding",
    "cost_options": "cost_option",
    "required_documents": "required_document",
    "contacts": "contact",
    "attributes": "attribute",
    "metadata": "metadata",
    "addresses": "address",
    "accessibility": "accessibility",
    "organization_identifiers": "organization_identifier",
    "services": "service",
    "programs": "program",
    "locations": "location",
    "location": "location",
    "organization": "organization",
    "program": "program",
    "service": "service",
    "taxonomy_term": "taxonomy_term",
    "taxonomy_detail": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
}
#: A single nested object and the field of its parent row that points at it.
OBJECT_REF = {
    "location": "location_id",
    "organization": "organization_id",
    "program": "program_id",
    "service": "service_id",
    "taxonomy_term": "taxonomy_term_id",
    "taxonomy_detail": "taxonomy_id",
}
#: A nested list whose rows point at their parent by a field not named <parent table>_id.
LIST_FK = {"attribute": "link_id", "metadata": "resource_id"}


@cache
def datapackage() -> dict[str, Any]:
    return schemas.load("hsds", "datapackage.json")


@cache
def table_fields() -> dict[str, list[str]]:
    return {
        r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in datapackage()["resources"]
    }


@cache
def table_paths() -> dict[str, str]:
    return {r["name"]: r["path"] for r in datapackage()["resources"]}


# -- JSON -> tables ------------------------------------------------------------------------------


def flatten(objects: list[dict[str, Any]], table: str) -> dict[str, list[dict[str, Any]]]:
    """Rows per table from nested objects of one type; each id once per table."""
    tables: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)

    def add(obj: dict[str, Any], name: str, parent: tuple[str, dict[str, Any]] | None) -> None:
        fields = table_fields().get(name)
        if fields is None or not isinstance(obj, dict):
            return
        row = {k: obj[k] for k in fields if k in obj and not isinstance(obj[k], dict | list)}
        if parent is not None:
            pname, pobj = parent
            fk = LIST_FK.get(name, f"{pname}_id")
            if fk in fields and fk not in row and "id" in pobj:
                row[fk] = pobj["id"]
        key = str(row.get("id", len(tables[name])))
        tables[name].setdefault(key, {}).update(row)
        for k, value in obj.items():
            child = KEY_TABLE.get(k)
            if child is None:
                continue
            if isinstance(value, list):
                for item in value:
                    add(item, child, (name, obj))
            elif isinstance(value, dict):
                add(value, child, None)

    for obj in objects:
        add(obj, table, None)
    return {name: list(rows.values()) for name, rows in tables.items()}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return str(value)


def to_csv(name: str, rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=table_fields()[name], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue()


# -- tables -> JSON ------------------------------------------------------------------------------


def _convert(value: str, spec: dict[str, Any]) -> Any:
    kind = spec.get("type")
    try:
        if kind == "number":
            number = float(value)
            return int(number) if number.is_integer() and "." not in value else number
        if kind == "integer":
            return int(float(value))
        if kind == "boolean":
            return value.strip().lower() in ("true", "1", "yes")
    except ValueError:
        return value
    return value


class Nester:
    """Builds nested objects from tables (lists of CSV rows as dicts of strings)."""

    def __init__(self, tables: dict[str, list[dict[str, str]]]) -> None:
        self.tables = tables
        self.by_id: dict[str, dict[str, dict[str, str]]] = {
            name: {r["id"]: r for r in rows if r.get("id")} for name, rows in tables.items()
        }
        self.children: dict[tuple[str, str], dict[str, list[dict[str, str]]]] = {}
        #: (table, id) of every row placed in an object.
        self.used: set[tuple[str, str]] = set()

    def _rows_pointing(self, table: str, fk: str, value: str) -> list[dict[str, str]]:
        index = self.children.get((table, fk))
        if index is None:
            index = defaultdict(list)
            for row in self.tables.get(table, []):
                if row.get(fk):
                    index[row[fk]].append(row)
            self.children[(table, fk)] = index
        return index.get(value, [])

    def build(self, row: dict[str, str], table: str, schema: dict[str, Any]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        self.used.add((table, row.get("id", "")))
        props = schema.get("properties", {})
        for key, spec in props.items():
            kind = spec.get("type")
            if kind == "array" and isinstance(spec.get("items"), dict):
                child = KEY_TABLE.get(key)
                if child is None or "properties" not in spec["items"]:
                    continue
                fk = LIST_FK.get(child, f"{table}_id")
                if not row.get("id") or fk not in table_fields().get(child, []):
                    continue
                items = [
                    self.build(r, child, spec["items"])
                    for r in self._rows_pointing(child, fk, row["id"])
                ]
                if items:
                    obj[key] = items
            elif kind == "object" and "properties" in spec:
                ref = OBJECT_REF.get(key)
                child = KEY_TABLE.get(key)
                target = self.by_id.get(child or "", {}).get(row.get(ref or "", "") or "")
                if target is not None:
                    obj[key] = self.build(target, child, spec)  # type: ignore[arg-type]
            else:
                value = row.get(key)
                if value not in (None, ""):
                    obj[key] = _convert(value, spec)
        return obj


def nest_all(
    tables: dict[str, list[dict[str, str]]],
) -> tuple[dict[str, list[dict[str, Any]]], list[tuple[str, str]]]:
    """Services, taxonomies and taxonomy terms from tables, and the (table, id) of every row
    that belongs to none of them (a row linked to nothing in the package)."""
    nester = Nester(tables)
    out = {}
    for table, schema_file in (
        ("taxonomy", "taxonomy.json"),
        ("taxonomy_term", "taxonomy_term.json"),
        ("service", "compiled/service.json"),
    ):
        schema = schemas.load("hsds", schema_file)
        out[table] = [nester.build(r, table, schema) for r in tables.get(table, [])]
    ignored = {"meta_table_description"}
    orphans = [
        (table, row.get("id", ""))
        for table, rows in tables.items()
        if table not in ignored
        for row in rows
        if (table, row.get("id", "")) not in nester.used
    ]
    return out, orphans
