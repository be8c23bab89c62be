"""Small text helpers in the users' terms: postcodes and names as people write them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# The UK postcode format: outward code (area, district) then inward code (sector digit, unit letters).
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


class PostcodeError(ValueError):
    """A postcode that is not in the UK format."""


def _no_example() -> str:
    return ""


#: A real postcode of the loaded area, for messages ("A postcode looks like …"); "" when no
#: area is loaded. The areas app sets it when it starts (its example comes from the data).
example_postcode: Callable[[], str] = _no_example


def postcode_example_hint() -> str:
    """' A postcode looks like X.' with a real postcode of the area, or '' if none is known."""
    example = example_postcode()
    return f" A postcode looks like {example}." if example else ""


def _postcode(text: str | None) -> str:
    """'ab12cd', ' AB1  2CD ' -> 'AB1 2CD'; '' for anything not a postcode."""
    match = _POSTCODE.match("".join((text or "").split()).upper())
    return f"{match.group(1)} {match.group(2)}" if match else ""


def normalise_postcode(text: str) -> str:
    """'ab12cd', ' AB1  2CD ' -> 'AB1 2CD'. Raises PostcodeError for anything not a postcode,
    saying what one looks like (with a real postcode of the loaded area)."""
    postcode = _postcode(text)
    if postcode:
        return postcode
    compact = "".join((text or "").split()).upper()
    if not compact:
        example = example_postcode()
        raise PostcodeError(
            f"Enter a postcode, like {example}." if example else "Enter a postcode."
        )
    shown = " ".join(text.split())
    if len(shown) > 20:
        shown = shown[:20] + "…"
    raise PostcodeError(f"'{shown}' is not a postcode.{postcode_example_hint()}")


def clean_postcode(text: str | None) -> str:
    """Normalise a postcode if it is one; return '' for blank or partial ones (an outward code alone)."""
    return _postcode(text)


_NOISE_WORDS = frozenset({"the", "and", "of", "a", "at", "in", "ltd", "limited", "cic", "centre"})
#: Short forms written both ways in open data.
_SAME_AS = {"fc": ("football", "club"), "rc": ("catholic",), "cofe": ("ce",), "st": ("saint",)}
#: Words that, added to a name, make it a different body or place: "Moss Park School PTA" is
#: not "Moss Park School", nor "Friends of Victoria Park" the park, nor the council's "Hale
#: Library Site" (vacant land) or "Former Lostock Library" the library that is open today.
_SEPARATE_BODY_WORDS = frozenset(
    {
        "pta",
        "friends",
        "association",
        "parents",
        "fund",
        "club",
        "pharmacy",
        "school",
        "primary",
        "academy",
        "nursery",
        "college",
        "society",
        "trust",
        "foundation",
        "appeal",
        "surgery",
        "practice",
        "medical",
        "church",
        "chapel",
        "mosque",
        "hall",
        "house",
        "site",
        "former",
    }
)


@lru_cache(maxsize=1 << 16)  # an import compares each name with many others
def name_tokens(name: str) -> frozenset[str]:
    """The words of a name that tell it apart, for matching the same asset across data sets.

    Text in brackets is an aside ("Lostock Library (In College)") and is left out.
    """
    folded = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"\([^)]*\)", " ", folded)
    folded = folded.replace("&", " and ").replace("'", "")
    words: list[str] = []
    for word in re.findall(r"[a-z0-9]+", folded):
        words.extend(_SAME_AS.get(word, (word,)))
    return frozenset(w for w in words if w not in _NOISE_WORDS)


def names_match(a: str, b: str) -> bool:
    """True when two names plausibly name the same thing ("Coppice Library" ~ "Coppice Avenue
    Library", "Broadheath Central FC" ~ "Broadheath Central Football Club").

    Either they share most of their words, or every word of the shorter (at least two words) is
    in the longer and what the longer adds does not mark a separate body ("… PTA", "Friends of …").
    """
    ta, tb = name_tokens(a), name_tokens(b)
    if not ta or not tb:
        return False
    if ta == tb:
        return True
    small, large = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if len(small) >= 2 and small <= large and not (large - small) & _SEPARATE_BODY_WORDS:
        return True
    shared = ta & tb
    differing = ta ^ tb
    return len(shared) / len(ta | tb) >= 0.6 and not differing & _SEPARATE_BODY_WORDS


def null_if_blank(value: object) -> str:
    """Empty for the many spellings of 'nothing' in open data (NA, N/A, null, -)."""
    if not value:
        return ""
    text = (value if isinstance(value, str) else str(value)).strip()
    # Only short values can be one of the spellings (most values are longer: skip the upper()).
    return "" if len(text) <= 4 and text.upper() in _BLANKS else text


_BLANKS = frozenset({"NA", "N/A", "NULL", "NONE", "-", "NAN"})


def tidy(value: object) -> str:
    """A cell of open data as clean text: white space trimmed and every run of it made one
    space; empty for blank and for the spellings of 'nothing' (NA, N/A, null, -).

    Importers call it for every cell of every row, so it is kept to one split and one join
    (faster than looking for untidy space first)."""
    if not value:
        return ""
    text = " ".join((value if isinstance(value, str) else str(value)).split())
    return "" if len(text) <= 4 and text.upper() in _BLANKS else text


#: A spreadsheet treats a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """One cell of a CSV people will open in a spreadsheet: text starting with = + - @, a tab
    or a carriage return gets a leading single quote, so it is shown as text and never run as
    a formula (OWASP's advice); None is empty. Numbers are written as they are (-1.5 stays a
    number). Every CSV a person downloads goes through this."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


#: Characters no text may hold, wherever it comes from: the C0 control characters other than
#: tab, line feed and carriage return, and lone surrogates. PostgreSQL cannot store NUL at all;
#: the others are never typed. Requests are checked by core.middleware, rows read from files by
#: core.importing, both with this one pattern.
DISALLOWED_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def describe_character(char: str) -> str:
    if char == "\x00":
        return "a NUL character (U+0000)"
    if "\ud800" <= char <= "\udfff":
        return f"an unpaired surrogate (U+{ord(char):04X})"
    return f"a control character (U+{ord(char):04X})"


def control_character_problem(row: dict) -> str:
    """Why a row read from a file cannot be stored because of a character in it ('' if it
    can). One search over the row's text, so it costs little per row."""
    if not DISALLOWED_CHARACTERS.search("".join(v for v in row.values() if isinstance(v, str))):
        return ""
    for column, value in row.items():
        if isinstance(value, str) and (match := DISALLOWED_CHARACTERS.search(value)):
            return f'the column "{column}" contains {describe_character(match.group())}'
    return ""
