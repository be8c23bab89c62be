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

    detail: str = Field(examples=["'WA14' is not a postcode. A postcode looks like M32 0TH."])


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
