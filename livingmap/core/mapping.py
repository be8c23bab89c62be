"""What the mapping language (docs/importers.md) needs of a domain, and gives every domain.

A domain that can be loaded through mapping files registers a `MappingDomain`: its record
schema (core/records.py, declared once), the named transforms a mapping may apply to a column
(`ordinary_case`, `weekly_hours`, …) and the per-row hooks a mapping may name for the rare
row that needs code. The assets domain registers its own (assets/importers/mapping.py).

Here too are the pieces of the language that are the same for every domain: templates
("{name} Library"), which columns a template or a transformed field reads, and how they
become a value.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .records import RecordSchema
from .text import tidy

#: A named transform: the values of its columns (tidied), in order, to the field's value.
Transform = Callable[[list[str]], str]
#: A per-row hook: (row, record, label) -> the record (changed or not), or None to skip the
#: row; it may raise RowRejected.
Hook = Callable[[dict[str, Any], Any, str], Any]


@dataclass
class MappingDomain:
    """A domain's part in the mapping language."""

    schema: RecordSchema
    transforms: dict[str, Transform] = field(default_factory=dict)
    hooks: dict[str, Hook] = field(default_factory=dict)
    #: The command that loads this domain's mappings (for messages).
    command: str = ""


DOMAINS: dict[str, MappingDomain] = {}


def register_domain(domain: MappingDomain) -> MappingDomain:
    DOMAINS[domain.schema.domain] = domain
    return domain


def suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def cell(row: dict[str, Any], column: str) -> str:
    """One cell, tidied (blank for NA and the like, runs of spaces made one)."""
    return tidy(row.get(column))


def template_columns(template: str) -> tuple[str, ...] | None:
    """The columns a template names ("{Name} Library" -> ("Name",)), or None if the text is
    not a well-formed template (an unclosed brace, a format spec, an empty {})."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return None
    names: list[str] = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.strip() or spec or conversion:
            return None
        names.append(name)
    return tuple(dict.fromkeys(names)) or None


def templated(template: str, columns: tuple[str, ...]) -> Callable[[dict[str, Any]], str]:
    """A row's value from a template: each {column} the row's tidied cell; '' when every
    column it names is blank (so "{Name} Library" gives nothing, not " Library")."""
    formatter = string.Formatter()
    parts = list(formatter.parse(template))

    def read(row: dict[str, Any]) -> str:
        values = {c: cell(row, c) for c in columns}
        if not any(values.values()):
            return ""
        return " ".join(
            "".join(
                literal + (values[name] if name is not None else "") for literal, name, *_ in parts
            ).split()
        )

    return read


def transformed(transform: Transform, columns: tuple[str, ...]) -> Callable[[dict[str, Any]], str]:
    """A row's value from a named transform of its columns' cells."""
    return lambda row: tidy(transform([cell(row, c) for c in columns]))
