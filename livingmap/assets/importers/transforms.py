"""Named transforms any asset layer may use: the mapping language's `ordinary_case` and
`weekly_hours` (mapping.py), and the built-in importers that need the same."""

from __future__ import annotations

import re

#: Words kept in capitals when a name in CAPITALS is written in ordinary case.
_ACRONYMS = frozenset(
    "UK GB NHS CIC CIO PCC PTA PTFA YMCA YWCA RSPCA RSPB NSPCC FC AFC RFC RUFC CC BME LGBT LGBTQ "  # noqa: SIM905
    "LGBTQ+ GM HQ URC RC CE ICW MS MND ADHD CVS VCS BBC II III IV".split()
)
_SMALL_WORDS = frozenset("a an and as at by for in of on or the to with".split())  # noqa: SIM905
_NOT_ACRONYMS = frozenset({"st", "mr", "mrs", "dr", "mt", "ltd", "rd", "cllr"})


def _word_case(match: re.Match[str]) -> str:
    word = match.group(0)
    upper, lower = word.upper(), word.lower()
    if upper in _ACRONYMS:
        return upper
    if (
        len(word) > 1
        and not re.search(r"[AEIOUY]", upper)
        and lower not in _NOT_ACRONYMS
        and word.isalpha()
    ):
        return upper  # no vowels: an abbreviation (e.g. "PCC", "ICW")
    if word[0].isdigit():
        return lower  # "1ST" -> "1st"
    if lower in _SMALL_WORDS and match.start() > 0:
        return lower
    return word[0].upper() + word[1:].lower()


def ordinary_case(name: str) -> str:
    """'ST MARY'S CHURCH (PCC) OF SALE' -> "St Mary's Church (PCC) of Sale"; names not wholly in
    capitals are left as they are."""
    if not name.isupper():
        return name
    return re.sub(r"[A-Za-z0-9][A-Za-z0-9']*", _word_case, name)


DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def weekly_hours(hours: list[str]) -> str:
    """Seven days' hours as one line, runs of days with the same hours together:
    'Mon–Fri 09:00-18:00; Sat–Sun closed'."""
    runs: list[tuple[int, int, str]] = []
    for day, value in enumerate(hours):
        value = "closed" if value.strip().upper() in {"", "CLOSED"} else value.strip()
        if runs and runs[-1][2] == value and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day, value)
        else:
            runs.append((day, day, value))
    if all(v == "closed" for *_, v in runs):
        return ""
    short = [d[:3].title() for d in DAYS]
    return "; ".join(
        f"{short[a]}{'' if a == b else '–' + short[b]} {value}" for a, b, value in runs
    )
