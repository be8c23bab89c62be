"""Making real feeds' HSDS objects valid: tolerant where a repair is safe, strict where not.

Repairs (each one reported): ids that are not UUIDs become stable uuid5s (the same source id
always gives the same uuid, so references stay joined); HTML in text becomes plain text; an
empty or null optional value is dropped; an enum in the wrong case ("Venue", "ACTIVE") takes
the schema's spelling; an empty required enum takes its default (status: active, location and
address type: physical); a number given as text becomes a number, and the reverse.

Everything else the official schemas refuse — a missing name, an email or URL that is not
one — is not guessed at: the object is rejected with the schema's reasons.
"""

from __future__ import annotations

import copy
import html
import re
import uuid
from typing import Any

from django.utils.html import strip_tags

from . import schemas
from .mapping import NAMESPACE

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
_NOT_TEXT = {"url", "uri", "website", "logo", "schedule_link", "term_uri", "profile"}
#: Fields named like references that are not: kept as given.
NOT_IDS = {"tax_id"}
REQUIRED_DEFAULTS = {"status": "active", "location_type": "physical", "address_type": "physical"}
#: Values real feeds use for an enum's value (ORUK v1 spellings).
SYNONYMS = {"venue": "physical", "building": "physical", "online": "virtual", "web": "virtual"}
MAX_PASSES = 8


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def stable_uuid(value: Any) -> str:
    return str(uuid.uuid5(NAMESPACE, f"hsds-source-id:{value}"))


def _prepass(node: Any, path: str, repairs: list[str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            where = f"{path}/{key}" if path else key
            if (
                (key == "id" or key.endswith("_id"))
                and key not in NOT_IDS
                and isinstance(value, str | int)
                and not isinstance(value, bool)
            ):
                text = str(value).strip()
                if text and not _is_uuid(text):
                    repairs.append(f"{where}: id '{text[:40]}' is not a UUID: given a stable one")
                    value = stable_uuid(text)
                elif text:
                    value = text
            elif isinstance(value, str):
                if not value.strip():
                    value = ""  # blank: dropped below if the schema refuses it
                elif key not in _NOT_TEXT and _TAG.search(value):
                    value = html.unescape(strip_tags(value)).strip()
                    repairs.append(f"{where}: HTML removed")
            else:
                value = _prepass(value, where, repairs)
            out[key] = value
        return out
    if isinstance(node, list):
        return [_prepass(v, f"{path}/{i}", repairs) for i, v in enumerate(node)]
    return node


def _container(obj: Any, path: list[Any]) -> Any:
    for step in path:
        obj = obj[step]
    return obj


def _fix(obj: dict[str, Any], error: Any, repairs: list[str]) -> bool:
    """Repair one schema error in place; False if it cannot be repaired safely."""
    path = list(error.absolute_path)
    where = "/".join(str(p) for p in path) or "(top)"
    value = error.instance
    if error.validator == "required":
        return False
    if not path:
        return False
    parent, key = _container(obj, path[:-1]), path[-1]
    if not isinstance(parent, dict):
        return False
    required = key in REQUIRED_DEFAULTS
    if value is None or (isinstance(value, str) and value == "" and error.validator != "required"):
        if required and error.validator in ("enum", "type"):
            parent[key] = REQUIRED_DEFAULTS[key]
            repairs.append(f"{where}: empty, so '{REQUIRED_DEFAULTS[key]}' (the default)")
            return True
        if key in ("id", "name"):
            return False
        del parent[key]
        repairs.append(f"{where}: empty value dropped")
        return True
    if error.validator == "enum" and isinstance(value, str):
        options = {str(o).casefold(): o for o in error.validator_value}
        folded = value.casefold()
        match = options.get(folded.replace("_", " ")) or options.get(folded)
        if match is None and SYNONYMS.get(folded) in error.validator_value:
            match = SYNONYMS[folded]
        if match is not None:
            parent[key] = match
            repairs.append(f"{where}: '{value}' read as '{match}'")
            return True
        return False
    if error.validator == "type":
        wanted = error.validator_value
        wanted = wanted if isinstance(wanted, list) else [wanted]
        if isinstance(value, str) and ({"number", "integer"} & set(wanted)):
            try:
                number = float(value)
            except ValueError:
                return False
            parent[key] = int(number) if "integer" in wanted or number.is_integer() else number
            repairs.append(f"{where}: text '{value}' read as a number")
            return True
        if isinstance(value, int | float) and not isinstance(value, bool) and "string" in wanted:
            parent[key] = str(value)
            repairs.append(f"{where}: number read as text")
            return True
    return False


def normalise(kind: str, obj: Any) -> tuple[dict[str, Any] | None, list[str], list[str]]:
    """(the repaired object or None, repairs made, errors left): errors mean reject."""
    if not isinstance(obj, dict):
        return None, [], [f"a {kind} must be a JSON object"]
    repairs: list[str] = []
    data = _prepass(copy.deepcopy(obj), "", repairs)
    for _ in range(MAX_PASSES):
        found = []
        for standard in schemas.STANDARDS:
            found += list(schemas.validator(standard, kind).iter_errors(data))
        if not found:
            return data, repairs, []
        progressed = False
        for error in sorted(found, key=lambda e: -len(e.absolute_path)):
            try:
                progressed = _fix(data, error, repairs) or progressed
            except (KeyError, IndexError, TypeError):
                continue
            if progressed:
                break  # paths may have moved: validate again
        if not progressed:
            break
    left = schemas.errors(kind, data)
    return (data if not left else None), repairs, left
