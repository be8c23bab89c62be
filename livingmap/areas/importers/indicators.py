"""Indicators of need on areas: the English Indices of Deprivation 2019 and mid-year population."""

from __future__ import annotations

import re
from collections import defaultdict
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
)
from livingmap.core.models import Dataset
from livingmap.core.text import null_if_blank

from ..models import Area, AreaLevel, Indicator, IndicatorValue

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
    publisher="Office for National Statistics, via Trafford Data Lab",
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
    """Values for areas found by GSS code; rows for areas not loaded are counted, not listed."""

    level: str = AreaLevel.LSOA
    vintage: int = 2021

    def before(self, report: ImportReport) -> None:
        self.areas = dict(
            Area.objects.filter(level=self.level, vintage=self.vintage).values_list(
                "gss_code", "id"
            )
        )
        self.outside = 0

    def area_id(self, code: str) -> int | None:
        if not code:
            raise RowRejected("no area code")
        area_id = self.areas.get(code)
        if area_id is None:
            self.outside += 1
        return area_id

    def save_values(
        self, values: dict[tuple[str, int], tuple[float, str]], report: ImportReport
    ) -> None:
        indicators = {i.slug: i for i in Indicator.objects.filter(slug__in={s for s, _ in values})}
        existing = {
            (v.indicator.slug, v.area_id): v
            for v in IndicatorValue.objects.filter(
                indicator__in=indicators.values(), area_id__in={a for _, a in values}
            ).select_related("indicator")
        }
        to_create, to_update = [], []
        for (slug, area_id), (value, note) in values.items():
            row = existing.get((slug, area_id))
            if row is None:
                to_create.append(
                    IndicatorValue(
                        indicator=indicators[slug], area_id=area_id, value=value, note=note
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
        if self.outside:
            report.warn("file", f"{self.outside} rows are for areas that are not loaded; skipped")


class IMD2019Importer(_AreaValueImporter):
    """IMD 2019 ranks and deciles, overall and for the seven domains, on 2011 LSOAs."""

    name = "imd2019"
    description = "English Indices of Deprivation 2019 by LSOA (2011 codes)."
    dataset = IMD_DATASET
    default_path = "imd2019/imd2019_lsoa_trafford.csv"
    required_columns = frozenset(
        ["lsoa_code"] + [f"{c}_{k}" for c, _, _ in IMD_DOMAINS for k in ("rank", "decile")]
    )
    vintage = 2011

    def before(self, report: ImportReport) -> None:
        super().before(report)
        for order, (_, slug, name) in enumerate(IMD_DOMAINS):
            for kind, unit, rollup, offset in (
                ("rank", "rank of 32,844 (1 = most deprived)", Indicator.Rollup.RANK, 0),
                ("decile", "decile (1 = most deprived 10%)", Indicator.Rollup.DECILE, 1),
            ):
                Indicator.objects.update_or_create(
                    slug=f"{slug}-{kind}",
                    defaults={
                        "name": f"{name} ({kind})",
                        "unit": unit,
                        "source": self.dataset_row,
                        "release": "2019",
                        "rollup": rollup,
                        "lower_is_more_deprived": True,
                        "order": 10 + order * 2 + offset,
                    },
                )

    def transform(self, row: dict[str, Any], label: str) -> Any:
        area_id = self.area_id(null_if_blank(row.get("lsoa_code")))
        if area_id is None:
            return None
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
                values[(f"{slug}-{kind}", area_id)] = (float(value), "")
        return values

    def load(self, records: list[tuple[str, Any]], report: ImportReport) -> None:
        merged: dict[tuple[str, int], tuple[float, str]] = {}
        for _, values in records:
            merged.update(values)
        self.save_values(merged, report)


def population_release(period: str) -> str:
    """The release an ONS population file's `period` names: "2024-06-30" is "mid-2024"."""
    found = re.fullmatch(r"(\d{4})-06-30", period)
    return f"mid-{found.group(1)}" if found else period


class PopulationImporter(_AreaValueImporter):
    """Mid-year population (all ages, persons) on 2021 LSOAs; also apportioned to 2011 LSOAs
    (each 2021 LSOA's people to the 2011 LSOA holding its centre) so that IMD 2019 can be
    population-weighted.

    The release shown beside the figures ("mid-2024") is read from the file's `period` column,
    so next year's file is labelled as next year's; a file holding several dates is refused.
    """

    name = "population"
    description = "ONS mid-year population estimates by LSOA (2021 codes)."
    dataset = POPULATION_DATASET
    default_path = "population/mid-year_2024_population_estimates_lsoa.csv"
    required_columns = frozenset({"area_code", "geography", "sex", "all_ages"})
    vintage = 2021

    def before(self, report: ImportReport) -> None:
        super().before(report)
        self.indicator, _ = Indicator.objects.update_or_create(
            slug="population",
            defaults={
                "name": "Population (mid-2024)",
                "unit": "people",
                "source": self.dataset_row,
                "release": "mid-2024",
                "rollup": Indicator.Rollup.SUM,
                "order": 0,
            },
        )

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
        periods = sorted({period for _, (_, _, period) in records})
        if len(periods) > 1:
            raise SourceError(
                f"the file holds estimates for {len(periods)} dates ({', '.join(periods[:4])}"
                f"{', …' if len(periods) > 4 else ''}): give the file of one year"
            )
        self._label(population_release(periods[0]) if periods else "")
        values = {("population", area_id): (float(n), "") for _, (area_id, n, _) in records}
        values.update(self._apportion_to_2011({a: n for _, (a, n, _) in records}))
        self.save_values(values, report)

    def _label(self, release: str) -> None:
        """Name the indicator and its data set by the release loaded (blank: not stated)."""
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
