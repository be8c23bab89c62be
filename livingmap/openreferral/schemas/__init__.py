"""The official HSDS 3.0 and Open Referral UK schemas, and validation against them (offline).

The compiled schemas carry no `$schema`, so they are validated as Draft 2020-12 explicitly, with
format checking on. Every `$ref` resolves to the copies in this package (a `referencing`
Registry): nothing is fetched over the network. A `*_list.json` schema is the schema of one item
of a list page's `contents`.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HERE = Path(__file__).resolve().parent
STANDARDS = ("hsds", "oruk")
_DIRS = {"hsds": HERE / "hsds-3.0", "oruk": HERE / "oruk-3.0"}
#: Where the official documents say their schemas live (their $refs use these bases).
_BASES = {
    "hsds": (
        "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/",
        "https://raw.githubusercontent.com/openreferral/specification/main/schema/",
    ),
    "oruk": (
        "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/",
        "https://raw.githubusercontent.com/OpenReferralUK/uk-profile/main/schema/",
    ),
}
#: Object kind -> schema file (relative to the standard's directory).
SCHEMA_FILES = {
    "service": "compiled/service.json",
    "service_list": "compiled/service_list.json",
    "organization": "compiled/organization.json",
    "organization_list": "compiled/organization_list.json",
    "service_at_location": "compiled/service_at_location.json",
    "service_at_location_list": "compiled/service_at_location_list.json",
    "taxonomy": "taxonomy.json",
    "taxonomy_term": "taxonomy_term.json",
}


@cache
def load(standard: str, name: str) -> dict[str, Any]:
    with (_DIRS[standard] / name).open(encoding="utf-8") as handle:
        return json.load(handle)


@cache
def registry() -> Registry:
    """Every local schema under every URL the official documents use for it."""
    resources = []
    for standard, folder in _DIRS.items():
        for path in sorted(folder.rglob("*.json")):
            rel = path.relative_to(folder).as_posix()
            if rel == "openapi.json":
                continue
            resource = Resource.from_contents(
                load(standard, rel), default_specification=DRAFT202012
            )
            for base in _BASES[standard]:
                resources.append((base + rel, resource))
    return Registry().with_resources(resources)


@cache
def validator(standard: str, kind: str) -> Draft202012Validator:
    rel = SCHEMA_FILES[kind]
    schema = dict(load(standard, rel))
    schema.setdefault("$id", _BASES[standard][0] + rel)
    return Draft202012Validator(
        schema, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def errors(kind: str, instance: Any, standards: tuple[str, ...] = STANDARDS) -> list[str]:
    """Every schema error of one object, as 'standard: path: message' lines (empty if valid)."""
    found = []
    for standard in standards:
        for error in validator(standard, kind).iter_errors(instance):
            where = "/".join(str(p) for p in error.absolute_path) or "(top)"
            found.append(f"{standard}: {where}: {error.message[:300]}")
    return found


@cache
def openapi_document() -> dict[str, Any]:
    """The ORUK profile's OpenAPI document, as published (a fresh copy each call is the caller's)."""
    return load("oruk", "openapi.json")


def _fix_errata(doc: dict[str, Any]) -> dict[str, Any]:
    """The one correction to the published document: start_time and end_time are given
    `"type": "time"`, which is no JSON Schema / OpenAPI type (tools refuse the document);
    they are served as `"type": "string", "format": "time"`, which is what is meant. Then
    what this server adds to the standard's description (_describe_this_server)."""
    for param in doc.get("components", {}).get("parameters", {}).values():
        schema = param.get("schema") or {}
        if schema.get("type") == "time":
            param["schema"] = {"type": "string", "format": "time"}
    return _describe_this_server(doc)


#: This server's errors, as the Living Map API's: {"detail": "a message for people"}.
PROBLEM = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string"}},
    "description": "An error: a message for people.",
}


def _describe_this_server(doc: dict[str, Any]) -> dict[str, Any]:
    """The standard's document lists only each operation's 200. This server also answers 400
    (a parameter it cannot use, with the reason) on every operation and 404 (no such record) on
    each one for a record by id, both {"detail": ...}; and its page and per_page have bounds.
    Declared here, so that the document says what the responses are."""
    from livingmap.core.schemas import declare_text_rule
    from livingmap.openreferral.selectors import MAX_PAGE, MAX_PER_PAGE

    components = doc.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for path, operations in doc.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.setdefault("400", {"description": "Bad Request", **error})
            if "{id}" in path:
                responses.setdefault("404", {"description": "Not Found", **error})
    # What the code takes (selectors._time, the format check): a time as 09:30 or 09:30:00,
    # and format json; each may be left empty, as if not given.
    time = {
        "type": "string",
        "pattern": "^(([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?)?$",
        "description": "A time of day, such as 09:30 or 09:30:00.",
    }
    for name, param in components.get("parameters", {}).items():
        if name in ("start_time", "end_time"):
            param["schema"] = dict(time)
        elif name == "format" and (param.get("schema") or {}).get("type") == "string":
            param["schema"] = {**param["schema"], "enum": ["", "json"]}
    bounds = {"page": MAX_PAGE, "per_page": MAX_PER_PAGE}
    for name, param in components.get("parameters", {}).items():
        schema = param.get("schema") or {}
        if name in bounds and schema.get("type") == "integer":
            schema = param["schema"] = {**schema, "minimum": 1, "maximum": bounds[name]}
        # A number or true/false left empty (?page=) is taken as not given, as a form sends it.
        if param.get("in") == "query" and schema.get("type") in ("integer", "number", "boolean"):
            param["schema"] = {"anyOf": [schema, {"type": "string", "enum": [""]}]}
    return declare_text_rule(doc)


def served_openapi(schema_base: str, server_url: str) -> dict[str, Any]:
    """The ORUK OpenAPI document with its server set to this site, its schema references
    pointed at our copies of the same files (so a client never needs GitHub), and the
    erratum in _fix_errata corrected."""
    doc = _fix_errata(copy.deepcopy(openapi_document()))
    doc["servers"] = [{"url": server_url, "description": "Living Map"}]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                for base in _BASES["oruk"]:
                    if ref.startswith(base):
                        node["$ref"] = schema_base + ref[len(base) :]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return doc


def schema_file(name: str) -> Path | None:
    """A served ORUK schema file by its relative name, or None if there is no such file."""
    path = (_DIRS["oruk"] / name).resolve()
    if path.suffix != ".json" or _DIRS["oruk"] not in path.parents or not path.is_file():
        return None
    return path


def bundled_openapi(server_url: str, standard: str = "oruk") -> dict[str, Any]:
    """The ORUK OpenAPI document with every external schema it points at copied into
    components/schemas, so a tool can read it with no network at all (used by the
    schemathesis test; the same files the served document links to)."""
    doc = _fix_errata(copy.deepcopy(load(standard, "openapi.json")))
    doc["servers"] = [{"url": server_url}]
    components = doc.setdefault("components", {}).setdefault("schemas", {})

    def name_for(rel: str) -> str:
        return f"{standard}_" + rel.removesuffix(".json").replace("/", "_")

    def include(rel: str) -> str:
        name = name_for(rel)
        if name not in components:
            components[name] = {}
            body = copy.deepcopy(load(standard, rel))
            folder = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
            rewrite(body, folder)
            components[name] = body
        return f"#/components/schemas/{name}"

    def rewrite(node: Any, folder: str = "") -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                rel = next(
                    (ref[len(b) :] for b in _BASES[standard] if ref.startswith(b)), folder + ref
                )
                node["$ref"] = include(rel)
            for key, value in list(node.items()):
                if key != "$ref":
                    rewrite(value, folder)
        elif isinstance(node, list):
            for value in node:
                rewrite(value, folder)

    rewrite(doc["paths"])
    return doc
