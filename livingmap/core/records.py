"""Record schemas: a domain's fields, declared once.

A domain (assets now; grants, contracts and others later) declares the record its data sets
give as a `RecordSchema`: each field's name, type, label, whether it is required, its length,
and how a value given for it is cleaned and checked. Everything else reads the declaration:
the record class importers return, the forms people edit, the import's bulk writes, the
mapping language (which fields a mapping may fill, fix or translate) and the benchmark.

A value that cannot be used (an email address that is not one, a web address that is not one)
raises `UnusableValue` from the field's cleaner; an import reports it as a warning with its row
and keeps the rest of the record (docs/importers.md).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .text import PostcodeError, normalise_postcode, tidy

#: The types a field may have. Text types hold str ('' when blank); the rest say what they hold.
FIELD_TYPES = frozenset(
    {
        "text",  # one line
        "long_text",  # paragraphs (a textarea)
        "email",
        "url",
        "phone",
        "postcode",
        "identifier",  # a register's number or reference (UPRN, charity number)
        "choice",  # one of `choices`
        "slugs",  # a list of slugs (categories)
        "number",  # a float or None (a coordinate)
        "geojson",  # a GeoJSON object or None
        "mapping",  # a dict of further attributes
    }
)
TEXT_TYPES = frozenset(
    {"text", "long_text", "email", "url", "phone", "postcode", "identifier", "choice"}
)


class UnusableValue(ValueError):
    """A value given for a field that cannot be used; the message says why, in the data
    officer's terms ("email 'info at example' is not an email address")."""


Cleaner = Callable[[str], str]


@dataclass(frozen=True)
class RecordField:
    """One field of a domain's record."""

    name: str
    type: str
    label: str
    #: What the field holds, in a sentence (the mapping language's list of fields).
    help: str = ""
    required: bool = False
    #: Longest value kept (longer text is cut to it), or None.
    max_length: int | None = None
    #: Longest value a person may type on a form (default: `max_length`).
    input_max_length: int | None = None
    #: Cleans a given (non-blank, tidied) value and returns it, or raises UnusableValue. The
    #: cleaner is idempotent: a clean value passes unchanged.
    clean: Cleaner | None = None
    #: (value, label) pairs, for a `choice` field.
    choices: tuple[tuple[str, str], ...] = ()
    #: Set by imports on the stored record (a model column of the same name).
    stored: bool = True
    #: A mapping's [columns] may fill it from a column.
    from_column: bool = True
    #: A mapping's [columns] may give a list of columns for it, joined with `joiner`.
    joins: bool = False
    joiner: str = ", "
    #: A mapping's [fixed] may give it one value for every row.
    fixable: bool = False
    #: People edit it on the site's forms.
    editable: bool = False
    #: The record's value when the data set gives none (None: the type's blank).
    default: Any = None

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:  # a programming error in a domain's declaration
            raise ValueError(f"{self.name}: there is no field type '{self.type}'")

    @property
    def longest_input(self) -> int | None:
        return self.input_max_length if self.input_max_length is not None else self.max_length

    @property
    def blank(self) -> Any:
        """The value of this field in a record that gives none."""
        if self.default is not None:
            return self.default
        if self.type in TEXT_TYPES:
            return ""
        if self.type == "slugs":
            return []
        if self.type == "mapping":
            return {}
        return None

    def cleaned(self, value: Any) -> Any:
        """A given value as the record keeps it: tidied text, cleaned and cut to length.
        Raises UnusableValue for a value that cannot be used."""
        if self.type not in TEXT_TYPES:
            return value
        text = value if isinstance(value, str) else tidy(value)
        if not text:
            return ""
        if self.clean is not None:
            text = self.clean(text)
        if self.max_length is not None and len(text) > self.max_length:
            text = text[: self.max_length]
        return text


class RecordSchema:
    """A domain's record, declared once: its fields in order (see RecordField)."""

    def __init__(self, domain: str, fields: Iterable[RecordField], *, key: str = "source_id"):
        self.domain = domain
        self.fields: tuple[RecordField, ...] = tuple(fields)
        self.by_name = {f.name: f for f in self.fields}
        if len(self.by_name) != len(self.fields):
            raise ValueError(f"{domain}: a field is declared twice")
        #: The field holding the row's id in its data set.
        self.key = key

    def __getitem__(self, name: str) -> RecordField:
        return self.by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __iter__(self) -> Iterator[RecordField]:
        return iter(self.fields)

    def names(self, **flags: bool) -> tuple[str, ...]:
        """The names of the fields whose attributes have these values, in order
        (`names(stored=True)`, `names(editable=True)`)."""
        return tuple(
            f.name for f in self.fields if all(getattr(f, k) == v for k, v in flags.items())
        )

    def of_type(self, *types: str) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.type in types)

    def labels(self) -> dict[str, str]:
        return {f.name: f.label for f in self.fields}

    def record_class(self, name: str, module: str, namespace: dict[str, Any] | None = None) -> type:
        """A dataclass with a field for each of the schema's, in order: the fields with no
        default (required ones) first, as dataclasses need."""
        required = [f for f in self.fields if f.required]
        optional = [f for f in self.fields if not f.required]
        spec: list[Any] = [(f.name, _annotation(f)) for f in required]
        for f in optional:
            blank = f.blank
            if isinstance(blank, list | dict):
                spec.append(
                    (f.name, _annotation(f), dataclasses.field(default_factory=type(blank)))
                )
            else:
                spec.append((f.name, _annotation(f), dataclasses.field(default=blank)))
        cls = dataclasses.make_dataclass(name, spec, namespace=namespace or {})
        cls.__module__ = module
        return cls

    def clean_record(self, record: Any, warn: Callable[[str], None], names: Iterable[str]) -> None:
        """Clean these fields of a record in place: each unusable value is reported by
        `warn(reason)` and left blank (the rest of the record is kept)."""
        for name in names:
            value = getattr(record, name)
            if not value:
                continue
            field = self.by_name[name]
            try:
                setattr(record, name, field.cleaned(value))
            except UnusableValue as exc:
                warn(f"{exc}: imported without it")
                setattr(record, name, field.blank)


def form_field(field: RecordField, **overrides: Any) -> Any:
    """The Django form field for a record field people edit: its type, label, whether it is
    required and how long it may be, from the declaration (`overrides` for the form's own
    choices, widgets and messages)."""
    from django import forms

    options: dict[str, Any] = {"label": field.label, "required": field.required}
    if field.longest_input is not None and field.type not in ("choice", "slugs"):
        options["max_length"] = field.longest_input
    if field.type == "long_text":
        options["widget"] = forms.Textarea
    if field.type == "choice":
        options["choices"] = field.choices
    options.update(overrides)
    if field.type == "url":
        return forms.URLField(assume_scheme="https", **options)
    if field.type == "email":
        return forms.EmailField(**options)
    if field.type == "choice":
        return forms.ChoiceField(**options)
    if field.type == "slugs":
        options.setdefault("widget", forms.CheckboxSelectMultiple)
        return forms.MultipleChoiceField(**{"choices": (), **options})
    return forms.CharField(**options)


def _annotation(field: RecordField) -> str:
    return {
        "slugs": "list[str]",
        "number": "float | None",
        "geojson": "dict[str, Any] | None",
        "mapping": "dict[str, Any]",
    }.get(field.type, "str")


#: Every domain's schema, by domain name (a domain registers its own: assets/records.py).
SCHEMAS: dict[str, RecordSchema] = {}


def register_schema(schema: RecordSchema) -> RecordSchema:
    SCHEMAS[schema.domain] = schema
    return schema


# -- cleaners a domain may use -------------------------------------------------------------------

_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def clean_email(value: str) -> str:
    """An email address as people write it in a register ('mailto:' and angle brackets
    taken off), or UnusableValue."""
    text = value.strip().strip("<>").strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].strip()
    if not _EMAIL.match(text) or ".." in text or len(text) > 254:
        shown = value if len(value) <= 60 else value[:60] + "…"
        raise UnusableValue(f"email '{shown}' is not an email address")
    return text


_HOST = re.compile(
    r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?(?::\d{1,5})?$"
)


#: An http(s) address with a host name: the usual case, checked in one match.
_WEB_ADDRESS = re.compile(
    r"https?://(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}\.?(?::\d{1,5})?(?:[/?#]|$)",
    re.IGNORECASE,
)


def clean_url(value: str) -> str:
    """A web address: http(s) with a host name. One given without its scheme
    ('www.example.org/x') gains https://, as the site's forms do; anything else (a sentence, a
    file path, another scheme such as javascript:) is UnusableValue."""
    if _WEB_ADDRESS.match(value) and value == value.strip():
        return value  # already clean (an import checks every record's: kept fast)
    text = value.strip()
    shown = text if len(text) <= 60 else text[:60] + "…"
    lowered = text.lower()
    if lowered.startswith(("http://", "https://")):
        rest = text.split("://", 1)[1]
    elif "://" in text or re.match(r"^[a-z][a-z0-9+.-]*:(?!\d)", lowered):
        raise UnusableValue(f"web address '{shown}' is not an http or https address")
    else:
        rest = text.lstrip("/")
        text = "https://" + rest
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in host:  # a user name before the host: https://trusted.org@elsewhere.example
        raise UnusableValue(f"web address '{shown}' names a user before its host")
    if not _HOST.match(host):
        raise UnusableValue(f"web address '{shown}' is not a web address")
    return text


def clean_postcode_strictly(value: str) -> str:
    """A full UK postcode, normalised ('sw1a1aa' -> 'SW1A 1AA'), or UnusableValue for anything
    else (a partial postcode such as 'WA15', a place name)."""
    try:
        return normalise_postcode(value)
    except PostcodeError as exc:
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise UnusableValue(f"postcode '{shown}' is not a full postcode") from exc


def digits_cleaner(what: str, most: int) -> Cleaner:
    """A cleaner for a number of at most `most` digits (a UPRN), as a spreadsheet may have
    written it ('100012345678.0', '1.00012E+11' is refused: its digits are lost)."""

    def clean(value: str) -> str:
        text = value.strip().replace(" ", "")
        if text.endswith(".0"):
            text = text[:-2]
        if not text.isdigit() or len(text) > most:
            raise UnusableValue(f"{what} '{value}' is not a {what} (at most {most} digits)")
        return text

    return clean


_CHARITY = re.compile(r"^(?:SC|NI)?\d{5,8}(?:-\d{1,3})?$|^NIC\d{5,6}$")


def clean_charity_number(value: str) -> str:
    """A registered charity number: England and Wales (digits, perhaps with a '-1' linked
    charity suffix), Scotland (SC…) or Northern Ireland (NIC… or NI…); or UnusableValue."""
    text = value.strip().upper().replace(" ", "")
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not _CHARITY.match(text):
        raise UnusableValue(f"charity number '{value}' is not a registered charity number")
    return text
