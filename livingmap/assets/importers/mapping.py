"""The generic CSV importer: any council's register loads through a mapping file, not code.

A mapping file (TOML) says which data set the file is, which of its columns hold which of our
fields, what is the same for every row, and how a column's own words translate into our kinds,
legal forms, tenures and categories. docs/importers.md describes the format with a worked
example (the land and buildings register's mapping in data/mappings/); `livingmap import_csv` runs it.

The mapping is checked before any row is read, and every problem is reported at once, naming
the section and key ("[columns] nmae: there is no field called 'nmae' — did you mean 'name'?").
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from livingmap.core import sources
from livingmap.core.geo import UK_BOUNDS
from livingmap.core.importing import (
    DatasetInfo,
    ImportReport,
    RowRejected,
    SourceError,
    other_delimiter,
    read_csv,
)
from livingmap.core.mapping import (
    DOMAINS,
    MappingDomain,
    register_domain,
    template_columns,
    templated,
    transformed,
)
from livingmap.core.sources import FORMATS, SOURCE_KEYS, SUFFIXES, Source
from livingmap.core.text import clean_postcode, tidy

from ..models import Category
from ..records import ASSET_SCHEMA
from ..services import AssetRecord
from ..taxonomy import CATEGORIES
from ..within import OUTSIDE_CHOICES
from .base import AssetImporter, one_coordinate
from .transforms import ordinary_case, weekly_hours

#: Inputs for a row's location that are not fields of the record: the engine turns them into
#: the record's lon and lat.
LOCATION_INPUTS: dict[str, str] = {
    "easting": "British National Grid easting (metres)",
    "northing": "British National Grid northing (metres)",
    "coordinate_system": "a column saying which system each row's coordinates are in",
}
#: Our fields that a [columns] entry may fill from the file, and what each holds (the assets
#: schema's, records.py, with the location inputs after latitude).
COLUMN_FIELDS: dict[str, str] = {}
for _field in ASSET_SCHEMA:
    if _field.from_column:
        COLUMN_FIELDS[_field.name] = _field.help
        if _field.name == "lat":
            COLUMN_FIELDS.update(LOCATION_INPUTS)
#: Fields given the same value for every row in [fixed].
FIXED_FIELDS = frozenset(ASSET_SCHEMA.names(fixable=True))
#: Fields a [columns] entry may give as a list of columns.
JOINED_FIELDS = frozenset(ASSET_SCHEMA.names(joins=True))
#: The keys of a [[values]] table, in the order the docs give them.
VALUE_KEYS_ORDER = ("field", "column", "match", "map", "default", "unless", "when")
VALUE_KEYS = frozenset(VALUE_KEYS_ORDER)
SECTIONS = ("dataset", "source", "file", "target", "columns", "fixed", "values", "extra", "skip")
TARGET_KEYS = ("domain", "hook", "within", "outside")
DATASET_KEYS = (
    "slug",
    "name",
    "licence",
    "publisher",
    "licence_url",
    "attribution",
    "source_url",
    "release",
)
WGS84_NAMES = frozenset({"", "wgs84", "wgs 84", "epsg:4326", "4326", "lon/lat", "latlong"})
BNG_NAMES = frozenset(
    {"osgb36", "osgb", "bng", "british national grid", "epsg:27700", "27700", "ng"}
)
SOURCE_ID, NAME, POSTCODE = (
    ASSET_SCHEMA["source_id"],
    ASSET_SCHEMA["name"],
    ASSET_SCHEMA["postcode"],
)
#: Fields whose [columns] value is kept as text (cleaned by the schema's cleaner).
TEXT_FIELDS = tuple(
    f.name
    for f in ASSET_SCHEMA
    if f.from_column
    and f.type not in ("choice", "slugs", "number")
    and f.name not in ("source_id", "name", "postcode")
)

#: Fields a template or a named transform may make: the schema's text fields.
TEMPLATE_FIELDS = frozenset(("source_id", "name", *TEXT_FIELDS)) - {"website", "email"}
#: Text fields cut to their length in `transform` (the rest are checked by `check`).
_CUT_FIELDS = tuple(
    n for n in TEXT_FIELDS if ASSET_SCHEMA[n].max_length and ASSET_SCHEMA[n].clean is None
)


def _choices(name: str) -> dict[str, str]:
    """Our codes for a choice field, by code and by label, lower-cased ('public body' too)."""
    found = {}
    for value, label in ASSET_SCHEMA[name].choices:
        found[value.lower()] = value
        found[label.lower()] = value
    return found


#: Fields a [[values]] table may translate a column into: the schema's choices and slugs.
VALUE_FIELDS = tuple(
    f.name for f in ASSET_SCHEMA if f.type in ("choice", "slugs") and f.from_column
)
CHOICES = {name: _choices(name) for name in VALUE_FIELDS if ASSET_SCHEMA[name].type == "choice"}
KINDS = CHOICES["kind"]


def _ordinary_case(values: list[str]) -> str:
    """A name written wholly in capitals in ordinary case ('ST MARY'S CHURCH (PCC) OF SALE'
    -> "St Mary's Church (PCC) of Sale"); the columns' values joined with spaces first."""
    return ordinary_case(" ".join(v for v in values if v))


def _weekly_hours(values: list[str]) -> str:
    """Seven columns of hours, Monday first, as one line ('Mon–Fri 09:00-18:00; Sat–Sun
    closed')."""
    if len(values) != 7:
        raise RowRejected("weekly_hours needs seven columns, Monday to Sunday")
    return weekly_hours(values)


#: The assets domain in the mapping language: its schema, the transforms a mapping may name
#: and the per-row hooks (none built in; a deployment registers its own with register_hook).
ASSETS = register_domain(
    MappingDomain(
        schema=ASSET_SCHEMA,
        transforms={
            "ordinary_case": _ordinary_case,
            "weekly_hours": _weekly_hours,
        },
        command="import_mapped FILE --mapping MAPPING.toml",
    )
)


def register_hook(name: str, hook: Any) -> Any:
    """Let mappings name `hook` ([target] hook = "name"): called with (row, record, label)
    for every row, it returns the record (changed or not), or None to skip the row, or raises
    RowRejected. For the rare row no mapping can describe."""
    ASSETS.hooks[name] = hook
    return hook


def _normal(value: str) -> str:
    return " ".join(value.split()).lower()


_MIN_LON, _MIN_LAT, _MAX_LON, _MAX_LAT = UK_BOUNDS


def cell(row: dict[str, Any], column: str) -> str:
    """One cell, tidied: the same as `AssetImporter.text(row, column)` (blank for NA and the
    like, runs of spaces made one)."""
    return tidy(row.get(column))


def _suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


#: A column reference: one column, or a group of columns joined with spaces.
ColumnGroup = tuple[str, ...]


@dataclass
class ValueMap:
    """A column's own words translated into ours, for one of VALUE_FIELDS.

    `unless`: words that, found whole in the value, make the table give nothing ("former").
    `when`: (column, values): the table is used only for rows with one of those values there.
    """

    field: str
    column: str
    contains: bool
    table: list[tuple[str, list[str]]]
    default: list[str] | None
    unless: frozenset[str] = frozenset()
    when: tuple[str, frozenset[str]] | None = None

    def __post_init__(self) -> None:
        self.exact: dict[str, list[str]] = {}
        for words, ours in self.table:
            self.exact.setdefault(words, ours)
        self._unless = (
            re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(self.unless))) + r")\b")
            if self.unless
            else None
        )

    def give(self, row: dict[str, Any]) -> list[str] | None:
        """Our value(s) for a row, or None when the table says nothing for it."""
        if self.when is not None:
            column, values = self.when
            if cell(row, column).lower() not in values:
                return None
        value = cell(row, self.column)
        if self._unless is not None and self._unless.search(value.lower()):
            return None
        return self.lookup(value)

    def lookup(self, value: str) -> list[str] | None:
        """Our value(s) for a cell (already tidied by `cell`), or the default."""
        key = value.lower()
        if not self.contains:
            return self.exact.get(key, self.default)
        for words, ours in self.table:
            if words in key:
                return ours
        return self.default


@dataclass
class Mapping:
    """A checked mapping file, ready to turn rows into records."""

    path: Path
    dataset: DatasetInfo | None
    #: How to read the file ([source], or [file] for a CSV); its format, when the mapping does
    #: not say, is the file's (by its suffix: .json, .geojson, .xlsx; else CSV).
    source: Source = field(default_factory=Source)
    format_given: bool = False
    columns: dict[str, list[ColumnGroup]] = field(default_factory=dict)
    #: Fields made from a template of columns ("{Name} Library"), and fields a named
    #: transform makes from their columns: field -> template text, or transform name.
    templates: dict[str, str] = field(default_factory=dict)
    transforms: dict[str, str] = field(default_factory=dict)
    #: The per-row hook the mapping names ([target] hook), from the domain's hooks.
    hook: str = ""
    #: Keep only records inside this area ("loaded", or an area's code), and what to do with
    #: one outside it ("leave" it out, or keep it as "serving" the area): see within.py.
    within: str = ""
    outside: str = ""
    fixed: dict[str, Any] = field(default_factory=dict)
    values: list[ValueMap] = field(default_factory=list)
    extra: dict[str, list[ColumnGroup]] = field(default_factory=dict)
    skip: list[tuple[str, frozenset[str]]] = field(default_factory=list)

    @property
    def encoding(self) -> str:
        return self.source.encoding

    @property
    def delimiter(self) -> str:
        return self.source.delimiter

    def for_file(self, path: Path) -> Source:
        """How to read this file: the mapping's [source], its format by the file's suffix
        where the mapping does not give one."""
        if self.format_given:
            return self.source
        return replace(self.source, format=SUFFIXES.get(path.suffix.lower(), "csv"))

    def referenced_columns(self) -> dict[str, str]:
        """Every column the mapping reads, with where in the mapping it is named."""
        found: dict[str, str] = {}
        for name, groups in self.columns.items():
            for group in groups:
                for column in group:
                    found.setdefault(column, f"[columns] {name}")
        for label, groups in self.extra.items():
            for group in groups:
                for column in group:
                    found.setdefault(column, f"[extra] {label}")
        for number, value_map in enumerate(self.values, start=1):
            found.setdefault(value_map.column, f"[[values]] number {number} ({value_map.field})")
            if value_map.when is not None:
                found.setdefault(value_map.when[0], f"[[values]] number {number} when")
        for number, (column, _) in enumerate(self.skip, start=1):
            found.setdefault(column, f"[[skip]] number {number}")
        return found


# -- reading and checking a mapping file -------------------------------------------------------------


def parse_mapping(path: str | Path) -> tuple[Mapping | None, list[str]]:
    """Read a mapping file and check its structure (not yet against a CSV or the database).

    Returns the mapping (None if the file cannot be read as TOML; its `dataset` is None if the
    [dataset] section is unusable) and every problem found."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        return None, [f"cannot open the mapping file {path}: {exc.strerror}"]
    except tomllib.TOMLDecodeError as exc:
        return None, [f"{path.name} is not valid TOML: {exc}"]
    problems: list[str] = []
    if "tags" in data and "tags" not in SECTIONS:
        return None, [
            f"{path.name} maps OpenStreetMap tags ([tags]): load it with "
            f"livingmap import_osm FILE.geojson --mapping {path.name} --dataset-name NAME"
        ]
    for section in data:
        if section not in SECTIONS:
            problems.append(
                f"there is no section [{section}]{_suggest(section, SECTIONS)} "
                f"(the sections are {', '.join(SECTIONS)})"
            )
    dataset = _parse_dataset(data.get("dataset"), problems)
    mapping = Mapping(path=path, dataset=dataset)
    _parse_file(data.get("file", {}), mapping, problems)
    _parse_source(data.get("source", {}), mapping, problems)
    _parse_target(data.get("target", {}), mapping, problems)
    _parse_columns(data.get("columns"), mapping, problems)
    _parse_fixed(data.get("fixed", {}), mapping, problems)
    _parse_values(data.get("values", []), mapping, problems)
    _parse_extra(data.get("extra", {}), mapping, problems)
    _parse_skip(data.get("skip", []), mapping, problems)
    _check_kind_given(mapping, data, problems)
    return mapping, problems


def _table(value: Any, where: str, problems: list[str]) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    problems.append(f"{where} must be a table of keys and values")
    return {}


def _parse_dataset(value: Any, problems: list[str]) -> DatasetInfo | None:
    if value is None:
        problems.append(
            "the [dataset] section is missing: give at least slug, name and licence, "
            "so every asset says where it came from"
        )
        return None
    table = _table(value, "[dataset]", problems)
    for key in table:
        if key not in DATASET_KEYS:
            problems.append(f"[dataset] has no key '{key}'{_suggest(key, DATASET_KEYS)}")
    missing = [k for k in ("slug", "name", "licence") if not str(table.get(k, "")).strip()]
    if missing:
        problems.append(f"[dataset] needs {', '.join(missing)}")
        return None
    slug = str(table["slug"]).strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug) or len(slug) > 100:
        problems.append(
            f"[dataset] slug '{slug}' must be lower-case letters, digits and hyphens "
            "(at most 100), e.g. 'council-land-and-buildings'"
        )
        return None
    values = {k: str(table[k]).strip() for k in DATASET_KEYS if k in table}
    return DatasetInfo(**values)


def _parse_file(value: Any, mapping: Mapping, problems: list[str], section: str = "[file]") -> None:
    table = _table(value, section, problems)
    for key, setting in table.items():
        if key == "encoding":
            try:
                "".encode(str(setting))
            except LookupError:
                problems.append(f"{section} encoding '{setting}' is not an encoding Python knows")
                continue
            encoding = str(setting).lower().replace("_", "-")
            chosen = "utf-8-sig" if encoding in {"utf-8", "utf8"} else str(setting)
            mapping.source = replace(mapping.source, encoding=chosen)
        elif key == "delimiter":
            if not isinstance(setting, str) or len(setting) != 1:
                problems.append(f"{section} delimiter must be one character, e.g. ',' or ';'")
            else:
                mapping.source = replace(mapping.source, delimiter=setting)
        else:
            problems.append(
                f"{section} has no key '{key}'{_suggest(key, ('encoding', 'delimiter'))}"
            )


def _parse_source(value: Any, mapping: Mapping, problems: list[str]) -> None:
    """[source]: format (csv, geojson, json, xlsx), and for CSV encoding and delimiter, for
    JSON records (the path to the list), for XLSX sheet."""
    table = _table(value, "[source]", problems)
    csv_keys = {k: v for k, v in table.items() if k in ("encoding", "delimiter")}
    _parse_file(csv_keys, mapping, problems, "[source]")
    for key, setting in table.items():
        if key in csv_keys:
            continue
        if key not in SOURCE_KEYS:
            problems.append(f"[source] has no key '{key}'{_suggest(key, SOURCE_KEYS)}")
        elif not isinstance(setting, str):
            problems.append(f"[source] {key} must be text")
        elif key == "format":
            if setting not in FORMATS:
                problems.append(
                    f"[source] format '{setting}' is not one we read{_suggest(setting, FORMATS)} "
                    f"(the formats are {', '.join(FORMATS)})"
                )
            else:
                mapping.source = replace(mapping.source, format=setting)
                mapping.format_given = True
        else:
            mapping.source = replace(mapping.source, **{key: setting.strip()})


def _parse_target(value: Any, mapping: Mapping, problems: list[str]) -> None:
    """[target]: the domain whose records the mapping makes (assets here), and the name of a
    per-row hook that domain registers, for the rare row that needs code."""
    table = _table(value, "[target]", problems)
    for key in table:
        if key not in TARGET_KEYS:
            problems.append(f"[target] has no key '{key}'{_suggest(key, TARGET_KEYS)}")
    domain = table.get("domain", ASSETS.schema.domain)
    if domain != ASSETS.schema.domain:
        other = DOMAINS.get(str(domain))
        problems.append(
            f"[target] domain '{domain}': "
            + (
                f"load this mapping with livingmap {other.command}"
                if other is not None and other.command
                else f"there is no domain called '{domain}'{_suggest(str(domain), DOMAINS)}"
                f" (the domains are {', '.join(sorted(DOMAINS))})"
            )
        )
    within, outside = table.get("within"), table.get("outside")
    if within is not None:
        if not isinstance(within, str) or not within.strip():
            problems.append(
                '[target] within must be "loaded" (the area this site holds) or an area\'s '
                'code, e.g. "E06000042"'
            )
        else:
            mapping.within = within.strip()
    if outside is not None:
        if outside not in OUTSIDE_CHOICES:
            problems.append(
                f"[target] outside must be one of {', '.join(OUTSIDE_CHOICES)} "
                "(leave: leave it out; serving: keep it, not located, as serving the area)"
            )
        else:
            mapping.outside = outside
            if within is None:
                problems.append('[target] outside needs within (e.g. within = "loaded")')
    hook = table.get("hook")
    if hook is not None:
        if hook not in ASSETS.hooks:
            known = ", ".join(sorted(ASSETS.hooks)) or "none yet"
            problems.append(
                f"[target] hook '{hook}': the assets domain has no hook called that"
                f"{_suggest(str(hook), ASSETS.hooks)} (its hooks: {known})"
            )
        else:
            mapping.hook = hook


def _groups(value: Any, where: str, problems: list[str], *, allow_list: bool) -> list[ColumnGroup]:
    """'Col' -> [('Col',)]; ['A', ['B', 'C']] -> [('A',), ('B', 'C')] (a group joins with spaces)."""
    if isinstance(value, str) and value.strip():
        return [(value,)]
    if allow_list and isinstance(value, list) and value:
        groups: list[ColumnGroup] = []
        for item in value:
            if isinstance(item, str) and item.strip():
                groups.append((item,))
            elif (
                isinstance(item, list)
                and item
                and all(isinstance(c, str) and c.strip() for c in item)
            ):
                groups.append(tuple(item))
            else:
                problems.append(
                    f"{where}: each item must be a column name, or a list of column names "
                    "to join with spaces"
                )
                return []
        return groups
    problems.append(
        f"{where} must be a column name"
        + (" or a list of column names" if allow_list else "")
        + f", not {value!r}"
    )
    return []


def _parse_columns(value: Any, mapping: Mapping, problems: list[str]) -> None:
    if value is None:
        problems.append('the [columns] section is missing: at least name = "<your column>"')
        return
    table = _table(value, "[columns]", problems)
    for name, columns in table.items():
        if name not in COLUMN_FIELDS:
            problems.append(
                f"[columns] {name}: there is no field called '{name}'"
                f"{_suggest(name, COLUMN_FIELDS)} (the fields are {', '.join(COLUMN_FIELDS)})"
            )
            continue
        where = f"[columns] {name}"
        if isinstance(columns, dict):  # {column(s) = ..., transform = "..."}
            _parse_transformed(name, columns, mapping, problems)
            continue
        if isinstance(columns, str) and ("{" in columns or "}" in columns):
            if name not in TEMPLATE_FIELDS:
                problems.append(
                    f"{where}: a template can make only {', '.join(sorted(TEMPLATE_FIELDS))}"
                )
                continue
            named = template_columns(columns)
            if named is None:
                problems.append(
                    f'{where}: "{columns}" is not a template: name each column in braces, '
                    'e.g. "{Name} Library"'
                )
                continue
            mapping.templates[name] = columns
            mapping.columns[name] = [named]
            continue
        allow_list = name in JOINED_FIELDS
        groups = _groups(columns, where, problems, allow_list=allow_list)
        if groups:
            mapping.columns[name] = groups
    if table and "name" not in table:
        problems.append('[columns] needs name = "<the column holding each asset\'s name>"')
    has = set(mapping.columns)
    for first, second in (("lon", "lat"), ("easting", "northing")):
        if (first in has) != (second in has):
            problems.append(f"[columns] give both {first} and {second}, or neither")
    if {"lon", "lat"} & has and {"easting", "northing"} & has:
        problems.append("[columns] give longitude/latitude or easting/northing, not both")
    if "coordinate_system" in has and not ({"lon", "easting"} & has):
        problems.append("[columns] coordinate_system needs lon/lat or easting/northing columns")


def _parse_transformed(
    name: str, table: dict[str, Any], mapping: Mapping, problems: list[str]
) -> None:
    """[columns] field = {column = "..." (or columns = [...]), transform = "..."}."""
    where = f"[columns] {name}"
    unknown = set(table) - {"column", "columns", "transform"}
    for key in sorted(unknown):
        problems.append(f"{where} has no key '{key}' (keys: column or columns, transform)")
    transform = table.get("transform")
    if name not in TEMPLATE_FIELDS:
        problems.append(f"{where}: a transform can make only {', '.join(sorted(TEMPLATE_FIELDS))}")
        return
    if transform not in ASSETS.transforms:
        problems.append(
            f"{where}: transform must be one of {', '.join(sorted(ASSETS.transforms))}"
            + (_suggest(str(transform), ASSETS.transforms) if isinstance(transform, str) else "")
        )
        return
    given = table.get("columns", table.get("column"))
    if isinstance(given, str):
        given = [given]
    if (
        not isinstance(given, list)
        or not given
        or not all(isinstance(c, str) and c.strip() for c in given)
    ):
        problems.append(f'{where}: give column = "..." or columns = ["...", ...]')
        return
    mapping.transforms[name] = transform
    mapping.columns[name] = [tuple(given)]


def _check_choice(name: str, value: Any, where: str, problems: list[str]) -> list[str] | None:
    """Our value(s) for a choice field, or None (with a problem noted) if not ours."""
    if name == "categories":
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(i, str) for i in items):
            problems.append(f"{where}: categories must be category slugs (text)")
            return None
        return [str(i).strip() for i in items if str(i).strip()]
    choices = CHOICES[name]
    if not isinstance(value, str):
        problems.append(f"{where}: {name} must be text")
        return None
    code = choices.get(_normal(value))
    if code is None:
        options = sorted({v for v in choices.values() if v})
        problems.append(
            f"{where}: '{value}' is not a {name.replace('_', ' ')}"
            f"{_suggest(_normal(value), options)} (use one of: {', '.join(options)})"
        )
        return None
    return [code]


def _parse_fixed(value: Any, mapping: Mapping, problems: list[str]) -> None:
    table = _table(value, "[fixed]", problems)
    for name, setting in table.items():
        if name not in FIXED_FIELDS:
            problems.append(
                f"[fixed] {name}: no field called '{name}' can be fixed"
                f"{_suggest(name, FIXED_FIELDS)} (these can: {', '.join(sorted(FIXED_FIELDS))})"
            )
            continue
        if name in VALUE_FIELDS:
            ours = _check_choice(name, setting, f"[fixed] {name}", problems)
            if ours is not None:
                mapping.fixed[name] = ours if name == "categories" else ours[0]
        elif isinstance(setting, str):
            mapping.fixed[name] = setting.strip()
        else:
            problems.append(f"[fixed] {name} must be text")


def _parse_values(value: Any, mapping: Mapping, problems: list[str]) -> None:
    if not isinstance(value, list):
        problems.append("[[values]] must be written as one or more [[values]] tables")
        return
    for number, table in enumerate(value, start=1):
        where = f"[[values]] number {number}"
        if not isinstance(table, dict):
            problems.append(f"{where} must be a table")
            continue
        unknown = set(table) - VALUE_KEYS
        for key in sorted(unknown):
            problems.append(f"{where} has no key '{key}' (keys: {', '.join(VALUE_KEYS_ORDER)})")
        name = table.get("field")
        if name not in VALUE_FIELDS:
            problems.append(f"{where}: field must be one of {', '.join(VALUE_FIELDS)}")
            continue
        column = table.get("column")
        if not isinstance(column, str) or not column.strip():
            problems.append(f"{where}: give the column whose values are translated")
            continue
        match = table.get("match", "exact")
        if match not in ("exact", "contains"):
            problems.append(f"{where}: match must be 'exact' or 'contains'")
            continue
        words = table.get("map")
        if not isinstance(words, dict) or not words:
            problems.append(f"{where}: map must be a table of your words = our value")
            continue
        entries: list[tuple[str, list[str]]] = []
        for theirs, ours in words.items():
            checked = _check_choice(name, ours, f"{where} map '{theirs}'", problems)
            if checked is not None:
                entries.append((_normal(theirs), checked))
        default = None
        if "default" in table:
            default = _check_choice(name, table["default"], f"{where} default", problems)
        unless = table.get("unless", [])
        if not isinstance(unless, list) or not all(
            isinstance(w, str) and w.strip() for w in unless
        ):
            problems.append(f'{where}: unless must be a list of words, e.g. ["former", "vacant"]')
            continue
        when = None
        if "when" in table:
            when = _column_and_values(table["when"], f"{where} when", problems)
            if when is None:
                continue
        mapping.values.append(
            ValueMap(
                name,
                column,
                match == "contains",
                entries,
                default,
                unless=frozenset(_normal(w) for w in unless),
                when=when,
            )
        )


def _parse_extra(value: Any, mapping: Mapping, problems: list[str]) -> None:
    table = _table(value, "[extra]", problems)
    for label, columns in table.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", label):
            problems.append(
                f"[extra] {label}: labels are lower-case words joined by _ (e.g. building_size_m2)"
            )
            continue
        groups = _groups(columns, f"[extra] {label}", problems, allow_list=True)
        if groups:
            mapping.extra[label] = groups


def _parse_skip(value: Any, mapping: Mapping, problems: list[str]) -> None:
    if not isinstance(value, list):
        problems.append("[[skip]] must be written as one or more [[skip]] tables")
        return
    for number, table in enumerate(value, start=1):
        where = f"[[skip]] number {number}"
        found = _column_and_values(table, where, problems)
        if found is not None:
            mapping.skip.append(found)


def _column_and_values(
    table: Any, where: str, problems: list[str]
) -> tuple[str, frozenset[str]] | None:
    """{column = "...", values = ["...", …]} (a [[skip]] table, a [[values]] `when`)."""
    if isinstance(table, dict) and not set(table) - {"column", "values"}:
        column, values = table.get("column"), table.get("values")
        if isinstance(column, str) and column.strip() and isinstance(values, list) and values:
            return column, frozenset(_normal(str(v)) for v in values)
    problems.append(f'{where} needs exactly: column = "...", values = ["..."]')
    return None


def _check_kind_given(mapping: Mapping, data: dict[str, Any], problems: list[str]) -> None:
    """Every row needs a kind: fixed, from a column, or from a [[values]] table (a kind given
    but misspelt is reported where it is, not here as well)."""
    for section in ("fixed", "columns"):
        if isinstance(data.get(section), dict) and "kind" in data[section]:
            return
    values = data.get("values")
    if isinstance(values, list) and any(
        isinstance(v, dict) and v.get("field") == "kind" for v in values
    ):
        return
    problems.append(
        'say what kind of asset each row is: [fixed] kind = "physical" (or a kind column, or '
        f"a [[values]] table for kind); the kinds are {', '.join(sorted(set(KINDS.values())))}"
    )


def check_against(mapping: Mapping, header: list[str], known_categories: set[str]) -> list[str]:
    """Problems with a structurally sound mapping given the CSV's columns and our categories."""
    problems: list[str] = []
    present = set(header)
    for column, where in mapping.referenced_columns().items():
        if column not in present:
            problems.append(
                f"{where}: the file has no column '{column}'{_suggest(column, present)}"
            )
    if problems:  # the file's columns, said once after the columns it lacks
        problems.append(f"the file's columns are {', '.join(header)}")
    wanted: list[tuple[str, str]] = [
        (slug, "[fixed] categories") for slug in mapping.fixed.get("categories", [])
    ]
    for number, value_map in enumerate(mapping.values, start=1):
        if value_map.field == "categories":
            for _, slugs in value_map.table:
                wanted += [(s, f"[[values]] number {number}") for s in slugs]
            for slug in value_map.default or []:
                wanted.append((slug, f"[[values]] number {number} default"))
    for slug, where in wanted:
        if slug not in known_categories:
            problems.append(
                f"{where}: there is no category '{slug}'{_suggest(slug, known_categories)} "
                "(see livingmap/assets/taxonomy.py for the list)"
            )
    return sorted(set(problems), key=problems.index)


# -- the importer ----------------------------------------------------------------------------------


class MappedImporter(AssetImporter):
    """Loads any register through a mapping file (see the module docstring): CSV, or the
    GeoJSON, JSON or XLSX its [source] names (core/sources.py)."""

    name = "csv"
    description = (
        "Any register (CSV, GeoJSON, JSON, XLSX), through a mapping file "
        "(livingmap import_csv, livingmap import_mapped)."
    )
    source_format = "csv"
    # `transform` keeps nothing for `load`: a large register is read beside the writing.
    load_in_parts_of = 50_000

    def __init__(self, source: str | Path, *, mapping: str | Path, **options: Any) -> None:
        super().__init__(source, **options)
        self.mapping_path = Path(mapping)
        self.mapping, self.problems = parse_mapping(self.mapping_path)
        # Each mapping is its own data set, with its own import history.
        self.dataset = self.mapping.dataset if self.mapping else None
        self.source_spec = self.mapping.for_file(self.source) if self.mapping else Source()
        if self.mapping is not None:  # the command's --within and --outside win over the file's
            if self.mapping.within and not self.options.get("within"):
                self.options["within"] = self.mapping.within
            if self.mapping.outside and not self.options.get("outside"):
                self.options["outside"] = self.mapping.outside
        if self.dataset is not None:
            self.name = f"{self.source_spec.format}:{self.dataset.slug}"[:100]

    # -- checks --------------------------------------------------------------------------------
    def _header(self) -> list[str]:
        assert self.mapping is not None
        if self.source_spec.format != "csv":
            return sources.columns(self.source, self.source_spec)
        try:
            with self.source.open(newline="", encoding=self.mapping.encoding) as handle:
                header = next(csv.reader(handle, delimiter=self.mapping.delimiter), [])
        except OSError as exc:
            raise SourceError(f"cannot open {self.source}: {exc.strerror}") from exc
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SourceError(
                f"{self.source.name} cannot be read as {self.mapping.encoding} CSV ({exc}); "
                'set [file] encoding in the mapping (e.g. "cp1252" for an Excel export)'
            ) from exc
        if not header:
            raise SourceError(f"{self.source.name} is empty: it has no header row")
        other = other_delimiter(header, self.mapping.delimiter)
        if other:
            raise SourceError(
                f"{self.source.name} seems to have {other!r} between its values, not "
                f"{self.mapping.delimiter!r}: set delimiter = {json.dumps(other)} in the "
                "mapping's [file] section, or save the file again as CSV (comma delimited)"
            )
        return [h.strip() for h in header]

    def before(self, report: ImportReport) -> None:
        problems = list(self.problems)
        if self.mapping is not None:  # readable: check it against the file too, all at once
            super().before(report)  # the taxonomy exists from here on
            known = set(CATEGORIES) | set(Category.objects.values_list("slug", flat=True))
            problems += check_against(self.mapping, self._header(), known)
        if problems:
            raise SourceError(
                f"the mapping {self.mapping_path.name} has problems:\n- " + "\n- ".join(problems)
            )
        self._compile()

    # -- reading -------------------------------------------------------------------------------
    def read_rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        assert self.mapping is not None
        if self.source_spec.format == "csv":
            yield from read_csv(
                self.source, encoding=self.mapping.encoding, delimiter=self.mapping.delimiter
            )
        else:
            yield from sources.read_rows(self.source, self.source_spec)

    # -- turning a row into a record -----------------------------------------------------------
    def _compile(self) -> None:
        """Work out once what each row needs, so that `transform` does no lookups."""
        mapping = self.mapping
        assert mapping is not None

        def joined(groups: list[ColumnGroup], sep: str) -> Callable[[dict[str, Any]], str]:
            if len(groups) == 1 and len(groups[0]) == 1:
                column = groups[0][0]
                return lambda row: cell(row, column)
            return lambda row: sep.join(
                p
                for p in (" ".join(v for v in (cell(row, c) for c in g) if v) for g in groups)
                if p
            )

        made: dict[str, Callable[[dict[str, Any]], str]] = {}
        for name, template in mapping.templates.items():
            made[name] = templated(template, mapping.columns[name][0])
        for name, transform in mapping.transforms.items():
            made[name] = transformed(ASSETS.transforms[transform], mapping.columns[name][0])

        def reader(name: str, sep: str) -> Callable[[dict[str, Any]], str]:
            return made.get(name) or joined(mapping.columns[name], sep)

        self._text = [(name, reader(name, ", ")) for name in TEXT_FIELDS if name in mapping.columns]
        self._hook = ASSETS.hooks[mapping.hook] if mapping.hook else None
        self._geometry = self.source_spec.format == "geojson"
        self._fixed_text = [(k, v) for k, v in mapping.fixed.items() if k not in VALUE_FIELDS and v]
        self._name = reader("name", " ")
        self._source_id = reader("source_id", "/") if "source_id" in mapping.columns else None
        self._postcode = mapping.columns.get("postcode", [("",)])[0][0]
        self._extra = [(label, joined(groups, ", ")) for label, groups in mapping.extra.items()]
        self._choice_columns = [
            (name, mapping.columns[name][0][0])
            for name in ("kind", "legal_form", "tenure", "categories")
            if name in mapping.columns
        ]
        self._grid = None
        if "easting" in mapping.columns:
            from pyproj import Transformer

            self._grid = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
            self._xy = (mapping.columns["easting"][0][0], mapping.columns["northing"][0][0])
        elif "lon" in mapping.columns:
            self._xy = (mapping.columns["lon"][0][0], mapping.columns["lat"][0][0])
        else:
            self._xy = None
        system = mapping.columns.get("coordinate_system")
        self._system_column = system[0][0] if system else ""

    def _coordinates(self, row: dict[str, Any]) -> tuple[float | None, float | None]:
        if self._xy is None:
            return None, None
        if self._system_column:
            system = _normal(cell(row, self._system_column))
            allowed = (BNG_NAMES | {""}) if self._grid else WGS84_NAMES
            if system not in allowed:
                reads = "British National Grid" if self._grid else "WGS84 longitude/latitude"
                raise RowRejected(
                    f"coordinates are in {cell(row, self._system_column)}; "
                    f"this mapping reads {reads}"
                )
        if self._grid is None:
            lon_text, lat_text = cell(row, self._xy[0]), cell(row, self._xy[1])
            if not lon_text and not lat_text:
                return None, None
            if not lon_text or not lat_text:
                raise RowRejected(one_coordinate(lon_text, lat_text, "longitude", "latitude"))
            try:
                lon, lat = float(lon_text), float(lat_text)
            except ValueError as exc:
                raise RowRejected(f"coordinates '{lon_text}, {lat_text}' are not numbers") from exc
            if not (_MIN_LON <= lon <= _MAX_LON and _MIN_LAT <= lat <= _MAX_LAT):
                return self.point({"lon": lon_text, "lat": lat_text})  # refused, with the reason
            return lon, lat
        x_text, y_text = cell(row, self._xy[0]), cell(row, self._xy[1])
        if not x_text and not y_text:
            return None, None
        if not x_text or not y_text:
            raise RowRejected(one_coordinate(x_text, y_text, "easting", "northing"))
        try:
            easting, northing = float(x_text), float(y_text)
        except ValueError as exc:
            raise RowRejected(f"easting/northing '{x_text}, {y_text}' are not numbers") from exc
        if not (0 <= easting <= 700_000 and 0 <= northing <= 1_300_000):
            raise RowRejected(
                f"easting/northing ({x_text}, {y_text}) are not in Great Britain: are they "
                "longitude and latitude? Then map them as lon and lat"
            )
        lon, lat = self._grid.transform(easting, northing)
        return self.point({"lon": str(lon), "lat": str(lat)})

    def _choice(self, name: str, raw: str) -> list[str]:
        if name == "categories":
            return [s.strip() for s in re.split(r"[;,]", raw) if s.strip()]
        code = CHOICES[name].get(_normal(raw))
        if code is None:
            raise RowRejected(f"{name.replace('_', ' ')} '{raw}' is not one of ours")
        return [code]

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord | None:
        mapping = self.mapping
        assert mapping is not None
        for column, skipped in mapping.skip:
            if cell(row, column).lower() in skipped:
                return None
        name = self._name(row)
        if not name:
            raise RowRejected(f"no name (column {', '.join(mapping.columns['name'][0])} is blank)")
        values: dict[str, Any] = dict(self._fixed_text)
        for field_name, read in self._text:
            value = read(row)
            if value:
                values[field_name] = value
        # A partial postcode ('WA15') is left out; the row is reported if it is then without a
        # location (services.locate_by_postcode), as the built-in importers report it.
        postcode = clean_postcode(cell(row, self._postcode)) if self._postcode else ""
        kind = mapping.fixed.get("kind", "")
        legal_form = mapping.fixed.get("legal_form", "")
        tenure = mapping.fixed.get("tenure", "")
        categories = list(mapping.fixed.get("categories", []))
        chosen: dict[str, str] = {}
        for field_name, column in self._choice_columns:
            raw = cell(row, column)
            if raw:
                ours = self._choice(field_name, raw)
                if field_name == "categories":
                    categories += ours
                else:
                    chosen[field_name] = ours[0]
        for value_map in mapping.values:
            ours = value_map.give(row)
            if ours is None:
                continue
            if value_map.field == "categories":
                categories += ours
            elif value_map.field not in chosen:
                chosen[value_map.field] = ours[0]
        kind = chosen.get("kind", kind)
        if not kind:
            column = next((v.column for v in mapping.values if v.field == "kind"), "")
            raise RowRejected(
                f"no kind: '{cell(row, column)}' in column {column} is not in the mapping"
                if column
                else "no kind"
            )
        if self._source_id is not None:
            source_id = self._source_id(row)
            if not source_id:
                raise RowRejected("no id (the source_id column is blank)")
        else:
            source_id = _source_key(name, postcode)
        lon, lat = self._coordinates(row)
        footprint = None
        if lon is None and self._geometry:  # a GeoJSON feature: its point, or its polygon's
            lon, lat, footprint = self.geometry_point(row)
        extra = {}
        for label_name, read in self._extra:
            value = read(row)
            if value:
                extra[label_name] = value
        text = {f: values.get(f, "") for f in TEXT_FIELDS}
        for f in _CUT_FIELDS:  # the checked fields are cleaned (and cut) by `check`
            if text[f]:
                text[f] = ASSET_SCHEMA[f].cleaned(text[f])
        record = AssetRecord(
            source_id=SOURCE_ID.cleaned(source_id),
            name=NAME.cleaned(name),
            kind=kind,
            legal_form=chosen.get("legal_form", legal_form),
            tenure=chosen.get("tenure", tenure),
            categories=list(dict.fromkeys(categories)),
            postcode=postcode,
            lon=lon,
            lat=lat,
            footprint=footprint,
            extra=extra,
            **text,
        )
        if self._hook is not None:  # the mapping's per-row hook: the record, changed, or None
            return self._hook(row, record, label)
        return record

    def load(self, records: list[tuple[str, Any]], report: ImportReport) -> None:
        known = set(Category.objects.values_list("slug", flat=True))
        kept = []
        for label, record in records:
            unknown = [c for c in record.categories if c not in known]
            if unknown:  # from a categories column: checked here, in one query for the file
                report.reject(label, f"no category called {', '.join(unknown)}")
            else:
                kept.append((label, record))
        super().load(kept, report)


#: The name `livingmap import_csv` and the demo loader know it by.
MappedCSVImporter = MappedImporter


def _source_key(*parts: str) -> str:
    """The id of a row whose register has none: its name and postcode, normalised."""
    words = [re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts if p]
    return "/".join(w for w in words if w)
