"""The periods indicator figures are about, read from the words publishers use.

Pure functions (no database), so that importers, the API's `?period=` and the data migration that
gave existing figures their period all read a period the same way.

* a reference date: ``2024-06-30`` or ``mid-2024`` (ONS mid-year estimates are at 30 June);
* a calendar year: ``2019``;
* a financial year (1 April to 31 March): ``2024/25``, ``2024-25`` or ``FY2024/25``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

DATE = "date"
YEAR = "year"
FINANCIAL_YEAR = "financial_year"


class PeriodError(ValueError):
    """The text does not name a period; the message says what would."""


@dataclass(frozen=True)
class Span:
    start: date
    end: date
    granularity: str
    label: str

    @property
    def key(self) -> str:
        """The period as the API and downloads name it (see IndicatorPeriod.key)."""
        if self.granularity == YEAR:
            return str(self.start.year)
        if self.granularity == FINANCIAL_YEAR:
            return f"{self.start.year}-{str(self.end.year)[2:]}"
        return self.end.isoformat()


def reference_date(day: date) -> Span:
    """A figure at one date; 30 June reads as "mid-2024" (the ONS mid-year estimate)."""
    label = f"mid-{day.year}" if (day.month, day.day) == (6, 30) else f"{day.day} {day:%B %Y}"
    return Span(day, day, DATE, label)


def calendar_year(year: int) -> Span:
    return Span(date(year, 1, 1), date(year, 12, 31), YEAR, str(year))


def financial_year(first_year: int) -> Span:
    """The financial year that starts on 1 April of `first_year` ("2024/25")."""
    return Span(
        date(first_year, 4, 1),
        date(first_year + 1, 3, 31),
        FINANCIAL_YEAR,
        f"{first_year}/{str(first_year + 1)[2:]}",
    )


def parse_period(text: str) -> Span:
    """A period from "2024-06-30", "mid-2024", "2019", "2024/25" or "FY2024-25"."""
    value = (text or "").strip()
    if found := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value):
        try:
            return reference_date(date(*map(int, found.groups())))
        except ValueError as exc:
            raise PeriodError(f"'{value}' is not a real date") from exc
    if found := re.fullmatch(r"(?i)mid[- ]?(\d{4})", value):
        return reference_date(date(int(found.group(1)), 6, 30))
    if found := re.fullmatch(r"\d{4}", value):
        return calendar_year(int(value))
    if found := re.fullmatch(r"(?i)(?:FY\s*)?(\d{4})\s*[/-]\s*(\d{2}|\d{4})", value):
        first, second = int(found.group(1)), found.group(2)
        if int(second[-2:]) != (first + 1) % 100:
            raise PeriodError(f"'{value}' is not a financial year (the years must follow on)")
        return financial_year(first)
    raise PeriodError(
        f"'{value}' is not a period: give a date (2024-06-30), a mid-year (mid-2024), a year "
        "(2019) or a financial year (2024/25)"
    )
