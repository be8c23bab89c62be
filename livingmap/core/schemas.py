"""Shapes every app's JSON API shares: the one error schema, and how operations declare the
statuses they answer with, so that /api/openapi.json lists every status a response can have.

Every error the API gives is {"detail": "a message for people"} (422s add `errors`, one for each
parameter). Each app's api.py declares its operations' responses with `errors(...)`; the tests in
livingmap/core/tests/test_openapi_conformance.py check that the responses match. See docs/api.md.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import BaseModel, Field

#: The media type of every GeoJSON response (RFC 7946).
GEOJSON = "application/geo+json"


class Problem(Schema):
    """Every error: a message for people."""

    detail: str = Field(examples=["'AB1' is not a postcode. A postcode looks like AB1 2CD."])


class ParameterProblem(Schema):
    parameter: str
    message: str


class BadParameters(Problem):
    """Parameters of the wrong type or out of range (422)."""

    errors: list[ParameterProblem]


#: Statuses any operation can answer with, whatever it does: 400 when the shared input layer
#: refuses a text it cannot store (a NUL byte, other control characters) and 429 when one
#: address sends too many requests (livingmap/accounts/middleware.py).
ALWAYS = (400, 429)


#: What every text parameter may hold, as the OpenAPI documents say it: no C0 control character
#: but tab, line feed and carriage return (core.text.DISALLOWED_CHARACTERS, which the shared
#: input layer, core.middleware, refuses with a 400 wherever it is sent).
TEXT_PATTERN = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*$"


def declare_text_rule(document: dict[str, Any]) -> dict[str, Any]:
    """Say in an OpenAPI document what the input layer refuses: every string parameter with no
    pattern, enum or format of its own gets TEXT_PATTERN, so a client (and schemathesis) knows
    that a control character in a path or query is refused, not accepted. Changes and returns
    `document`."""

    def text_rule(schema: Any) -> None:
        if not isinstance(schema, dict):
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in schema.get(key, ()):
                text_rule(branch)
        if schema.get("type") == "string" and not {"pattern", "enum", "format", "const"} & set(
            schema
        ):
            schema["pattern"] = TEXT_PATTERN

    parameters = list(document.get("components", {}).get("parameters", {}).values())
    for operations in document.get("paths", {}).values():
        if not isinstance(operations, dict):
            continue
        parameters += operations.get("parameters", [])
        for operation in operations.values():
            if isinstance(operation, dict):
                parameters += operation.get("parameters", [])
    for parameter in parameters:
        if isinstance(parameter, dict) and parameter.get("in") in ("path", "query"):
            text_rule(parameter.get("schema"))
    return document


def errors(*statuses: int) -> dict[int, Any]:
    """The error responses of an operation: 400 and 429 (see ALWAYS) and each status given,
    all {"detail": ...}; 422 with its `errors` list."""
    return {
        status: BadParameters if status == 422 else Problem
        for status in sorted({*ALWAYS, *statuses})
    }


def geojson_response(model: type[BaseModel], description: str = "OK") -> dict[str, Any]:
    """`openapi_extra` for an operation that answers 200 with GeoJSON: its body described by
    `model`, under application/geo+json (django-ninja would say application/json). The
    operation declares 200 with no model (it returns its own HttpResponse), and this gives it
    a self-contained schema (the model's nested shapes written in place)."""
    schema = model.model_json_schema(ref_template="#/$defs/{model}")
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return {
        "responses": {
            200: {"description": description, "content": {GEOJSON: {"schema": inline(schema)}}}
        }
    }
