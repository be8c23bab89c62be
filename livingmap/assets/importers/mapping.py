"""The generic CSV importer: any council's register loads through a mapping file, not code.

A mapping file (TOML) says which data set the file is, which of its columns hold which of our
fields, what is the same for every row, and how a column's own words translate into our kinds,
legal forms, tenures and categories. docs/importers.md describes the format with a worked
example (data/mappings/trafford-land-and-buildings.toml); `livingmap import_csv` runs it.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livingmap.core.geo import UK_BOUNDS
from livingmap.core.importing import (
    DatasetInfo,
    ImportReport,
    RowRejected,
    SourceError,
    other_delimiter,
    read_csv,
)
from livingmap.core.text import clean_postcode, tidy

from ..models import AssetKind, Category, LegalForm, Tenure
from ..services import AssetRecord
from ..taxonomy import CATEGORIES
from .base import AssetImporter, one_coordinate

#: Our fields that a [columns] entry may fill from the file, and what each holds.
COLUMN_FIELDS: dict[str, str] = {
    "source_id": "the row's id in your register (a column, or a list of columns)",
    "name": "the asset's name (required)",
    "description": "what it is or does",
    "address": "the address (a list of columns is joined with ', ')",
    "postcode": "its postcode",
    "lon": "longitude (WGS84 decimal degrees)",
    "lat": "latitude (WGS84 decimal degrees)",
    "easting": "British National Grid easting (metres)",
    "northing": "British National Grid northing (metres)",
    "coordinate_system": "a column saying which system each row's coordinates are in",
    "website": "web address",
    "email": "email address",
    "phone": "telephone number",
    "opening_hours": "opening times",
    "accessibility": "access notes",
    "uprn": "Unique Property Reference Number",
    "charity_number": "registered charity number",
    "tenure_detail": "more about the tenure (e.g. 'Leasehold out')",
    "kind": "a column whose values are our kinds (or see [[values]])",
    "legal_form": "a column whose values are our legal forms (or see [[values]])",
    "tenure": "a column whose values are our tenures (or see [[values]])",
    "categories": "a column of our category slugs, several separated by ';' or ','",
}
#: Fields given the same value for every row in [fixed].
FIXED_FIELDS = frozenset(
    {
        "kind",
        "legal_form",
        "tenure",
        "categories",
        "description",
        "website",
        "email",
        "phone",
        "opening_hours",
        "accessibility",
        "tenure_detail",
    }
)
#: The keys of a [[values]] table, in the order the docs give them.
VALUE_KEYS_ORDER = ("field", "column", "match", "map", "default", "unless", "when")
VALUE_KEYS = frozenset(VALUE_KEYS_ORDER)
#: Fields a [[values]] table may translate a column into.
VALUE_FIELDS = ("kind", "legal_form", "tenure", "categories")
SECTIONS = ("dataset", "file", "columns", "fixed", "values", "extra", "skip")
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
TEXT_FIELDS = (
    "description",
    "address",
    "website",
    "email",
    "phone",
    "opening_hours",
    "accessibility",
    "uprn",
    "charity_number",
    "tenure_detail",
)


def _choices(enum: Any) -> dict[str, str]:
    """Our codes for a choice field, by code and by label, lower-cased ('public body' too)."""
    found = {}
    for value, label in enum.choices:
        found[str(value).lower()] = str(value)
        found[str(label).lower()] = str(value)
    return found


KINDS = _choices(AssetKind)
LEGAL_FORMS = _choices(LegalForm)
TENURES = _choices(Tenure)
CHOICES = {"kind": KINDS, "legal_form": LEGAL_FORMS, "tenure": TENURES}


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
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    columns: dict[str, list[ColumnGroup]] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    values: list[ValueMap] = field(default_factory=list)
    extra: dict[str, list[ColumnGroup]] = field(default_factory=dict)
    skip: list[tuple[str, frozenset[str]]] = field(default_factory=list)

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
            "(at most 100), e.g. 'trafford-council-land-and-buildings'"
        )
        return None
    values = {k: str(table[k]).strip() for k in DATASET_KEYS if k in table}
    return DatasetInfo(**values)


def _parse_file(value: Any, mapping: Mapping, problems: list[str]) -> None:
    table = _table(value, "[file]", problems)
    for key, setting in table.items():
        if key == "encoding":
            try:
                "".encode(str(setting))
            except LookupError:
                problems.append(f"[file] encoding '{setting}' is not an encoding Python knows")
                continue
            encoding = str(setting).lower().replace("_", "-")
            mapping.encoding = "utf-8-sig" if encoding in {"utf-8", "utf8"} else str(setting)
        elif key == "delimiter":
            if not isinstance(setting, str) or len(setting) != 1:
                problems.append("[file] delimiter must be one character, e.g. ',' or ';'")
            else:
                mapping.delimiter = setting
        else:
            problems.append(f"[file] has no key '{key}'{_suggest(key, ('encoding', 'delimiter'))}")


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
        allow_list = name in {"source_id", "address", "description"}
        groups = _groups(columns, f"[columns] {name}", problems, allow_list=allow_list)
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


class MappedCSVImporter(AssetImporter):
    """Loads any CSV register through a mapping file (see the module docstring)."""

    name = "csv"
    description = "Any CSV register, through a mapping file (livingmap import_csv)."
    source_format = "csv"
    # `transform` keeps nothing for `load`: a large register is read beside the writing.
    load_in_parts_of = 50_000

    def __init__(self, source: str | Path, *, mapping: str | Path, **options: Any) -> None:
        super().__init__(source, **options)
        self.mapping_path = Path(mapping)
        self.mapping, self.problems = parse_mapping(self.mapping_path)
        # Each mapping is its own data set, with its own import history.
        self.dataset = self.mapping.dataset if self.mapping else None
        if self.dataset is not None:
            self.name = f"csv:{self.dataset.slug}"[:100]

    # -- checks --------------------------------------------------------------------------------
    def _header(self) -> list[str]:
        assert self.mapping is not None
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
        yield from read_csv(
            self.source, encoding=self.mapping.encoding, delimiter=self.mapping.delimiter
        )

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

        self._text = [
            (name, joined(mapping.columns[name], ", "))
            for name in TEXT_FIELDS
            if name in mapping.columns
        ]
        self._fixed_text = [(k, v) for k, v in mapping.fixed.items() if k not in VALUE_FIELDS and v]
        self._name = joined(mapping.columns["name"], " ")
        self._source_id = (
            joined(mapping.columns["source_id"], "/") if "source_id" in mapping.columns else None
        )
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
        extra = {}
        for label_name, read in self._extra:
            value = read(row)
            if value:
                extra[label_name] = value
        return AssetRecord(
            source_id=source_id[:200],
            name=name[:300],
            kind=kind,
            legal_form=chosen.get("legal_form", legal_form),
            tenure=chosen.get("tenure", tenure),
            categories=list(dict.fromkeys(categories)),
            postcode=postcode,
            lon=lon,
            lat=lat,
            description=values.get("description", ""),
            address=values.get("address", "")[:300],
            website=self.website(values["website"]) if "website" in values else "",
            email=self.email(values["email"]) if "email" in values else "",
            phone=values.get("phone", "")[:50],
            opening_hours=values.get("opening_hours", ""),
            accessibility=values.get("accessibility", ""),
            uprn=values.get("uprn", "")[:12],
            charity_number=values.get("charity_number", "")[:20],
            tenure_detail=values.get("tenure_detail", "")[:200],
            extra=extra,
        )

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


def _source_key(*parts: str) -> str:
    """The id of a row whose register has none: its name and postcode, normalised."""
    words = [re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts if p]
    return "/".join(w for w in words if w)
