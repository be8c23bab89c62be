"""Indicators of need on areas: the English Indices of Deprivation 2019 and mid-year population."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import shapely

from livingmap.core.geo import geometry_from_geojson
from livingmap.core.importing import (
    OGL,
    DatasetInfo,
    Importer,
    ImportReport,
    RowRejected,
    SourceError,
    read_csv,
)
from livingmap.core.models import Dataset
from livingmap.core.text import null_if_blank

from ..models import Area, AreaLevel, Indicator, IndicatorPeriod, IndicatorValue
from ..periods import PeriodError, Span, calendar_year, parse_period
from ..services import mark_latest_period, record_period

IMD_DATASET = DatasetInfo(
    slug="imd-2019",
    name="English Indices of Deprivation 2019 (LSOA level)",
    publisher="Ministry of Housing, Communities and Local Government",
    source_url="https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019",
    release="2019-09-26",
    attribution="Contains public sector information licensed under the Open Government Licence v3.0.",
    **OGL,
)
POPULATION_DATASET = DatasetInfo(
    slug="ons-mid-2024-population",
    name="Mid-2024 population estimates (LSOA, MSOA, ward)",
    publisher="Office for National Statistics",
    source_url="https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates",
    release="mid-2024",
    attribution="Source: Office for National Statistics licensed under the Open Government Licence v3.0.",
    **OGL,
)

#: (column stem in the IMD file, indicator slug stem, name)
IMD_DOMAINS = [
    ("IMD", "imd", "Index of Multiple Deprivation"),
    ("Income", "income", "Income deprivation"),
    ("Employment", "employment", "Employment deprivation"),
    ("Education", "education", "Education, skills and training deprivation"),
    ("Health", "health", "Health deprivation and disability"),
    ("Crime", "crime", "Crime"),
    ("Housing_and_Access", "barriers", "Barriers to housing and services"),
    ("Environment", "environment", "Living environment deprivation"),
]


class _AreaValueImporter(Importer):
    """Values for areas found by GSS code, each in its indicator's period; rows for areas not
    loaded are counted, and the report says why none matched when none did."""

    level: str = AreaLevel.LSOA
    vintage: int = 2021

    def before(self, report: ImportReport) -> None:
        self.areas = dict(
            Area.objects.filter(level=self.level, vintage=self.vintage).values_list(
                "gss_code", "id"
            )
        )
        self.outside = 0
        self.matched = 0
        #: {indicator slug: the period this run's values are for}
        self.periods: dict[str, IndicatorPeriod] = {}

    def area_id(self, code: str) -> int | None:
        if not code:
            raise RowRejected("no area code")
        area_id = self.areas.get(code)
        if area_id is None:
            self.outside += 1
        else:
            self.matched += 1
        return area_id

    def set_period(self, indicator: Indicator, span: Span, release: str) -> None:
        self.periods[indicator.slug] = record_period(
            indicator=indicator, span=span, source=self.dataset_row, release=release
        )

    def save_values(
        self, values: dict[tuple[str, int], tuple[float, str]], report: ImportReport
    ) -> None:
        """Write values into their indicator's period: a new period's values are added beside
        the other periods'; a period loaded before is updated in place (unchanged if equal)."""
        periods = self.periods
        existing = {
            (v.indicator_id, v.area_id): v
            for v in IndicatorValue.objects.filter(
                period__in=periods.values(), area_id__in={a for _, a in values}
            )
        }
        to_create, to_update = [], []
        for (slug, area_id), (value, note) in values.items():
            period = periods[slug]
            row = existing.get((period.indicator_id, area_id))
            if row is None:
                to_create.append(
                    IndicatorValue(
                        indicator_id=period.indicator_id,
                        period=period,
                        area_id=area_id,
                        value=value,
                        note=note,
                    )
                )
            elif row.value != value or row.note != note:
                row.value, row.note = value, note
                to_update.append(row)
            else:
                report.unchanged += 1
        IndicatorValue.objects.bulk_create(to_create, batch_size=2000)
        IndicatorValue.objects.bulk_update(to_update, ["value", "note"], batch_size=2000)
        report.created += len(to_create)
        report.updated += len(to_update)
        for period in periods.values():
            mark_latest_period(indicator=period.indicator)
        if self.outside:
            report.warn("file", f"{self.outside} rows are for areas that are not loaded; skipped")

    def no_match_reason(self) -> str:
        """Why no row of the file matched a loaded area, in words that say what to do."""
        loaded = sorted(
            set(
                Area.objects.filter(level=self.level)
                .exclude(gss_code="")
                .values_list("vintage", flat=True)
            )
        )
        level = {"lsoa": "LSOA", "msoa": "MSOA", "oa": "output area"}.get(self.level, self.level)
        if not loaded:
            return f"no {level}s are loaded: import the boundaries first"
        if self.vintage not in loaded:
            vintages = " and ".join(str(v) for v in loaded)
            return (
                f"these rows are {self.vintage} {level}s; you loaded {vintages} {level}s"
                + self.no_match_hint(loaded)
            )
        return (
            f"none of the file's {self.outside} area codes is a loaded {self.vintage} {level}: "
            "is the file for another area?"
        )

    def no_match_hint(self, loaded: list[int]) -> str:
        return f": load the {self.vintage} boundaries"


#: ONS "LSOA (2011) to LSOA (2021)" lookup: the columns read, and what CHGIND says.
LOOKUP_COLUMNS = frozenset({"LSOA11CD", "LSOA21CD", "CHGIND"})
CHANGES = {"U": "unchanged", "S": "split", "M": "merged", "X": "complex change"}
IMD_DECILE_SIZE = 32_844 / 10


def read_lsoa_lookup(path: str | Path) -> dict[str, list[tuple[str, str]]]:
    """{2021 LSOA code: [(2011 LSOA code, change), …]} from the ONS lookup (columns LSOA11CD,
    LSOA21CD, CHGIND; others ignored; upper or lower case)."""
    lookup: dict[str, list[tuple[str, str]]] = defaultdict(list)
    problems = []
    for label, row in read_csv(Path(path), frozenset()):
        row = {k.upper(): v for k, v in row.items() if k}
        if not set(row) >= LOOKUP_COLUMNS:
            missing = ", ".join(sorted(LOOKUP_COLUMNS - set(row)))
            raise SourceError(f"the lookup {Path(path).name} has no column {missing}")
        old, new = (row["LSOA11CD"] or "").strip(), (row["LSOA21CD"] or "").strip()
        change = (row["CHGIND"] or "").strip().upper()
        if not old or not new or change not in CHANGES:
            problems.append(label)
            continue
        lookup[new].append((old, change))
    if problems:
        raise SourceError(
            f"the lookup {Path(path).name} has {len(problems)} rows without both codes or with a "
            f"CHGIND other than U, S, M or X ({', '.join(problems[:5])})"
        )
    if not lookup:
        raise SourceError(f"the lookup {Path(path).name} has no rows")
    return lookup


#: From overlap: a 2021 LSOA that lies this much in one 2011 LSOA comes from it alone (unchanged
#: or split); 2011 LSOAs that hold less than MIN_OVERLAP of it are slivers of generalised lines.
WHOLLY_WITHIN = 0.95
MIN_OVERLAP = 0.05


def lookup_from_overlap() -> dict[str, list[tuple[str, str]]]:
    """The 2011 to 2021 LSOA lookup derived from the two boundary sets loaded, where the ONS file
    is not to hand ("--lookup overlap"): for each 2021 LSOA, the 2011 LSOAs that cover at least
    5% of it. One covering 95% or more: that one alone, U if the code is the same, else S (a
    split). Otherwise several: M (merged) when each of them lies 95% or more inside it, else X."""
    old = list(Area.objects.filter(level=AreaLevel.LSOA, vintage=2011).exclude(gss_code=""))
    new = list(Area.objects.filter(level=AreaLevel.LSOA, vintage=2021).exclude(gss_code=""))
    if not old or not new:
        raise SourceError(
            "--lookup overlap needs the 2011 and the 2021 LSOA boundaries loaded, to derive the "
            "lookup from them; or give the ONS lookup file"
        )
    old_shapes = [geometry_from_geojson(a.geometry) for a in old]
    tree = shapely.STRtree(old_shapes)
    lookup: dict[str, list[tuple[str, str]]] = {}
    for area in new:
        shape = geometry_from_geojson(area.geometry)
        if shape.area == 0:
            continue
        shares = []
        for i in tree.query(shape, predicate="intersects"):
            inside = shape.intersection(old_shapes[i]).area
            if inside / shape.area >= MIN_OVERLAP:
                shares.append((i, inside / shape.area, inside / (old_shapes[i].area or 1)))
        if not shares:
            continue
        best = max(shares, key=lambda s: s[1])
        if best[1] >= WHOLLY_WITHIN:
            code = old[best[0]].gss_code
            lookup[area.gss_code] = [(code, "U" if code == area.gss_code else "S")]
        else:
            change = "M" if all(s[2] >= WHOLLY_WITHIN for s in shares) else "X"
            lookup[area.gss_code] = [(old[i].gss_code, change) for i, _, _ in shares]
    return lookup


def carry_to_2021(
    ranks: dict[str, dict[str, int]], lookup: dict[str, list[tuple[str, str]]]
) -> dict[str, tuple[dict[str, float], str]]:
    """IMD values of 2011 LSOAs carried to 2021 LSOAs: {2021 code: ({measure: value}, note)}.

    `ranks` is {2011 code: {"imd-rank": 14785, "imd-decile": 5, …}}.
    * unchanged (U) and split (S): the 2021 LSOA takes its 2011 LSOA's ranks and deciles as
      they are (a split LSOA's parts share its rank: IMD 2019 was not worked out for them);
    * merged (M) and complex (X), where a 2021 LSOA draws on several 2011 LSOAs: each rank is
      the mean of their ranks, and each decile the national decile that mean rank falls in
      (never an average of deciles).
    A 2021 LSOA none of whose 2011 LSOAs is in the file gets nothing.
    """
    carried = {}
    for new, olds in lookup.items():
        found = [(old, change) for old, change in olds if old in ranks]
        if not found:
            continue
        changes = sorted({change for _, change in found})
        codes = sorted({old for old, _ in found})
        if len(codes) == 1:
            note = "" if changes == ["U"] else f"carried from 2011 LSOA {codes[0]} (split)"
            carried[new] = ({k: float(v) for k, v in ranks[codes[0]].items()}, note)
            continue
        measures: dict[str, float] = {}
        for key in ranks[codes[0]]:
            if key.endswith("-rank"):
                mean = sum(ranks[c][key] for c in codes) / len(codes)
                measures[key] = mean
                stem = key.removesuffix("-rank")
                measures[f"{stem}-decile"] = float(
                    min(10, max(1, math.ceil(mean / IMD_DECILE_SIZE)))
                )
        kind = " and ".join(CHANGES[c] for c in changes if c != "U")
        note = f"mean rank of 2011 LSOAs {', '.join(codes)} ({kind})"
        carried[new] = (measures, note[:200])
    return carried


class IMD2019Importer(_AreaValueImporter):
    """IMD 2019 ranks and deciles, overall and for the seven domains, on 2011 LSOAs, for the
    year 2019; with `lookup` (the ONS LSOA 2011 to 2021 lookup file, or "overlap" to derive it
    from the two boundary sets loaded) also on 2021 LSOAs."""

    name = "imd2019"
    description = "English Indices of Deprivation 2019 by LSOA (2011 codes)."
    dataset = IMD_DATASET
    required_columns = frozenset(
        ["lsoa_code"] + [f"{c}_{k}" for c, _, _ in IMD_DOMAINS for k in ("rank", "decile")]
    )
    vintage = 2011
    period = calendar_year(2019)

    def before(self, report: ImportReport) -> None:
        super().before(report)
        lookup_path = self.options.get("lookup")
        if str(lookup_path or "").lower() == "overlap":
            self.lookup = lookup_from_overlap()
        else:
            self.lookup = read_lsoa_lookup(lookup_path) if lookup_path else None
        self.new_areas = dict(
            Area.objects.filter(level=self.level, vintage=2021).values_list("gss_code", "id")
        )
        #: {2011 code: {measure slug: value}}: every row, for the lookup to 2021 LSOAs
        self.by_code: dict[str, dict[str, int]] = {}
        for order, (_, slug, name) in enumerate(IMD_DOMAINS):
            for kind, unit, rollup, offset in (
                ("rank", "rank of 32,844 (1 = most deprived)", Indicator.Rollup.RANK, 0),
                ("decile", "decile (1 = most deprived 10%)", Indicator.Rollup.DECILE, 1),
            ):
                indicator, _ = Indicator.objects.update_or_create(
                    slug=f"{slug}-{kind}",
                    defaults={
                        "name": f"{name} ({kind})",
                        "unit": unit,
                        "source": self.dataset_row,
                        "rollup": rollup,
                        "lower_is_more_deprived": True,
                        "order": 10 + order * 2 + offset,
                    },
                )
                self.set_period(indicator, self.period, self.dataset.release)

    def transform(self, row: dict[str, Any], label: str) -> Any:
        code = null_if_blank(row.get("lsoa_code"))
        if not code:
            raise RowRejected("no area code")
        values = {}
        for column, slug, _ in IMD_DOMAINS:
            for kind, top in (("rank", 32_844), ("decile", 10)):
                text = null_if_blank(row.get(f"{column}_{kind}"))
                try:
                    value = int(text)
                except ValueError as exc:
                    raise RowRejected(f"{column}_{kind} '{text}' is not a whole number") from exc
                if not 1 <= value <= top:
                    raise RowRejected(f"{column}_{kind} {value} is not between 1 and {top}")
                values[f"{slug}-{kind}"] = value
        if self.lookup is not None:
            self.by_code[code] = values
        area_id = self.area_id(code)
        if area_id is None:
            return None
        return {(slug, area_id): (float(v), "") for slug, v in values.items()}

    def load(self, records: list[tuple[str, Any]], report: ImportReport) -> None:
        merged: dict[tuple[str, int], tuple[float, str]] = {}
        for _, values in records:
            merged.update(values)
        if self.lookup is not None:
            used: set[str] = set()
            carried = carry_to_2021(self.by_code, self.lookup)
            for code, (values, note) in carried.items():
                area_id = self.new_areas.get(code)
                if area_id is None:
                    continue
                used.update(old for old, _ in self.lookup[code])
                for slug, value in values.items():
                    merged[(slug, area_id)] = (value, note)
            # a row is outside the area only if it reached no loaded LSOA of either vintage
            self.outside = sum(1 for c in self.by_code if c not in self.areas and c not in used)
            reached = sum(1 for c in carried if c in self.new_areas)
            report.warn("file", f"{reached} 2021 LSOAs took their values through the lookup")
        if not merged:
            raise SourceError(f"no row was loaded: {self.no_match_reason()}")
        self.save_values(merged, report)

    def no_match_hint(self, loaded: list[int]) -> str:
        if 2021 in loaded:
            return (
                "; give the ONS LSOA 2011 to 2021 lookup with --lookup FILE (columns LSOA11CD, "
                "LSOA21CD, CHGIND), or load the 2011 LSOA boundaries"
            )
        return super().no_match_hint(loaded)


class PopulationImporter(_AreaValueImporter):
    """Mid-year population (all ages, persons) on 2021 LSOAs; also apportioned to 2011 LSOAs
    (each 2021 LSOA's people to the 2011 LSOA holding its centre) so that IMD 2019 can be
    population-weighted.

    The period (30 June 2024, "mid-2024") is read from the file's `period` column, or given with
    `period`; each year loaded is kept beside the others, and the latest is the one shown and
    named ("Population (mid-2024)"). A file holding several dates is refused.
    """

    name = "population"
    description = "ONS mid-year population estimates by LSOA (2021 codes)."
    dataset = POPULATION_DATASET
    required_columns = frozenset({"area_code", "geography", "sex", "all_ages"})
    vintage = 2021

    def before(self, report: ImportReport) -> None:
        super().before(report)
        self.indicator, _ = Indicator.objects.update_or_create(
            slug="population",
            defaults={
                "name": "Population",
                "unit": "people",
                "source": self.dataset_row,
                "rollup": Indicator.Rollup.SUM,
                "order": 0,
            },
        )
        given = self.options.get("period")
        try:
            self.given_period = parse_period(given) if given else None
        except PeriodError as exc:
            raise SourceError(f"--period: {exc}") from exc

    def transform(self, row: dict[str, Any], label: str) -> Any:
        if (row.get("sex") or "").strip().lower() not in {"persons", "all"}:
            return None
        if (row.get("geography") or "").strip().upper() != "LSOA":
            return None
        area_id = self.area_id(null_if_blank(row.get("area_code")))
        if area_id is None:
            return None
        text = null_if_blank(row.get("all_ages")).replace(",", "")
        try:
            people = int(text)
        except ValueError as exc:
            raise RowRejected(f"all_ages '{text}' is not a whole number") from exc
        if people < 0:
            raise RowRejected(f"all_ages {people} is negative")
        return area_id, people, (row.get("period") or "").strip()

    def load(self, records: list[tuple[str, Any]], report: ImportReport) -> None:
        periods = sorted({period for _, (_, _, period) in records} - {""})
        if len(periods) > 1:
            raise SourceError(
                f"the file holds estimates for {len(periods)} dates ({', '.join(periods[:4])}"
                f"{', …' if len(periods) > 4 else ''}): give the file of one year"
            )
        if not records:
            raise SourceError(f"no row was loaded: {self.no_match_reason()}")
        span = self.given_period
        if span is None:
            if not periods:
                raise SourceError(
                    "the file does not say the date of its estimates (no `period` column, or "
                    "it is blank): give it with --period, e.g. --period 2024-06-30"
                )
            try:
                span = parse_period(periods[0])
            except PeriodError as exc:
                raise SourceError(f"the file's period: {exc}") from exc
        elif periods and parse_period(periods[0]) != span:
            raise SourceError(
                f"--period {span.key} is not the file's own period ({periods[0]}): leave "
                "--period out, or give the file of that year"
            )
        self.set_period(self.indicator, span, span.label)
        values = {("population", area_id): (float(n), "") for _, (area_id, n, _) in records}
        values.update(self._apportion_to_2011({a: n for _, (a, n, _) in records}))
        self.save_values(values, report)
        self._label()

    def _label(self) -> None:
        """Name the indicator and its data set by the latest period held ("mid-2024"), which
        is not always the one just loaded (an older year can be added to the history)."""
        latest = IndicatorPeriod.objects.filter(indicator=self.indicator, is_latest=True).first()
        release = latest.label if latest else ""
        Indicator.objects.filter(pk=self.indicator.pk).update(
            name=f"Population ({release or 'mid-year estimate'})", release=release
        )
        stated = release[:1].upper() + release[1:] if release else "Mid-year"
        Dataset.objects.filter(pk=self.dataset_row.pk).update(
            name=f"{stated} population estimates (LSOA, MSOA, ward)", release=release
        )

    def _apportion_to_2011(
        self, people: dict[int, int]
    ) -> dict[tuple[str, int], tuple[float, str]]:
        old = list(Area.objects.filter(level=AreaLevel.LSOA, vintage=2011))
        if not old or not people:
            return {}
        new = Area.objects.filter(id__in=people).values_list("id", "point_lon", "point_lat")
        ids, lons, lats = zip(*new, strict=True)
        tree = shapely.STRtree([geometry_from_geojson(a.geometry) for a in old])
        point_idx, area_idx = tree.query(shapely.points(lons, lats), predicate="intersects")
        totals: dict[int, float] = defaultdict(float)
        for p, a in zip(point_idx, area_idx, strict=True):
            totals[old[a].id] += people[ids[p]]
        note = "apportioned from 2021 LSOAs whose centre lies in this 2011 LSOA"
        return {("population", area_id): (total, note) for area_id, total in totals.items()}
