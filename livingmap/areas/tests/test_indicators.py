"""Indicators of need on the real Trafford data, and their roll-up to neighbourhoods, checked
against figures worked out here from the raw CSV files and the stored component shares."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from pathlib import Path

import pytest
from shapely.geometry import shape

from livingmap.areas.importers.indicators import IMD2019Importer, PopulationImporter
from livingmap.areas.models import Area, AreaComponent, AreaLevel, Indicator, IndicatorValue
from livingmap.areas.selectors import neighbourhood_indicators
from livingmap.areas.services import build_neighbourhood

#: The demo's files (data/), which the importers no longer default to: the manifest names them.
IMD_FILE = "imd2019/imd2019_lsoa_trafford.csv"
POPULATION_FILE = "population/mid-year_2024_population_estimates_lsoa.csv"

pytestmark = pytest.mark.django_db

#: Column stems of the IMD 2019 file and the indicator slugs they become.
IMD_COLUMNS = {
    "IMD": "imd",
    "Income": "income",
    "Employment": "employment",
    "Education": "education",
    "Health": "health",
    "Crime": "crime",
    "Housing_and_Access": "barriers",
    "Environment": "environment",
}
LSOAS_IN_ENGLAND_2011 = 32_844


# -- the raw files, read here ------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def imd_rows() -> dict[str, dict[str, str]]:
    from django.conf import settings

    rows = read_csv(Path(settings.LIVINGMAP_DATA_DIR) / "imd2019/imd2019_lsoa_trafford.csv")
    return {r["lsoa_code"]: r for r in rows}


@pytest.fixture(scope="module")
def population_2021() -> dict[str, int]:
    from django.conf import settings

    path = (
        Path(settings.LIVINGMAP_DATA_DIR) / "population/mid-year_2024_population_estimates_lsoa.csv"
    )
    return {
        r["area_code"]: int(r["all_ages"])
        for r in read_csv(path)
        if r["sex"] == "Persons" and r["geography"] == "LSOA"
    }


@pytest.fixture(scope="module")
def population_2011(population_2021) -> dict[str, float]:
    """Residents of each 2011 LSOA: its own figure where the code carried over to 2021; for a
    2011 LSOA split in 2021, the sum of the new LSOAs that lie inside it (from the GeoJSON)."""
    from django.conf import settings

    geography = Path(settings.LIVINGMAP_DATA_DIR) / "trafford-geography"
    old = {
        f["properties"]["area_code"]: shape(f["geometry"])
        for f in json.loads((geography / "lsoa_2011.geojson").read_text())["features"]
    }
    new = {
        f["properties"]["area_code"]: shape(f["geometry"])
        for f in json.loads((geography / "lsoa_2021.geojson").read_text())["features"]
    }
    people: dict[str, float] = {code: population_2021[code] for code in old if code in new}
    for code, geom in new.items():
        if code in old:
            continue
        holders = [o for o, g in old.items() if g.intersection(geom).area > 0.9 * geom.area]
        assert len(holders) == 1, (code, holders)
        people[holders[0]] = people.get(holders[0], 0) + population_2021[code]
    return people


def shares(hood: Area, vintage: int) -> dict[str, float]:
    return dict(
        AreaComponent.objects.filter(
            neighbourhood=hood, component__level=AreaLevel.LSOA, component__vintage=vintage
        ).values_list("component__gss_code", "share")
    )


def summaries(hood: Area) -> dict[str, object]:
    return {s.indicator.slug: s for s in neighbourhood_indicators(hood)}


# -- values on areas ----------------------------------------------------------------------------


def test_imd_2019_values_on_2011_lsoas_equal_the_file(imd_rows):
    stored = defaultdict(dict)
    for slug, code, value, vintage in IndicatorValue.objects.filter(
        indicator__slug__regex=r"-(rank|decile)$"
    ).values_list("indicator__slug", "area__gss_code", "value", "area__vintage"):
        assert vintage == 2011, "IMD 2019 uses 2011 LSOA codes"
        stored[slug][code] = value
    expected = {
        f"{slug}-{kind}": {code: float(row[f"{column}_{kind}"]) for code, row in imd_rows.items()}
        for column, slug in IMD_COLUMNS.items()
        for kind in ("rank", "decile")
    }
    assert stored == expected
    assert len(imd_rows) == 138


def test_every_indicator_says_where_it_came_from():
    indicators = list(Indicator.objects.select_related("source"))
    assert {i.slug for i in indicators} == {"population"} | {
        f"{slug}-{kind}" for slug in IMD_COLUMNS.values() for kind in ("rank", "decile")
    }
    for indicator in indicators:
        assert indicator.unit and indicator.release
        assert indicator.source.licence == "Open Government Licence v3.0"
        assert indicator.source.publisher and indicator.source.source_url
        assert indicator.source.attribution
    imd = Indicator.objects.get(slug="imd-rank")
    assert imd.rollup == Indicator.Rollup.RANK and imd.lower_is_more_deprived
    assert imd.source.release == "2019-09-26"
    assert Indicator.objects.get(slug="imd-decile").rollup == Indicator.Rollup.DECILE
    population = Indicator.objects.get(slug="population")
    assert population.rollup == Indicator.Rollup.SUM and population.unit == "people"


def test_population_on_2021_lsoas_equals_the_file(population_2021):
    stored = dict(
        IndicatorValue.objects.filter(
            indicator__slug="population", area__level="lsoa", area__vintage=2021
        ).values_list("area__gss_code", "value")
    )
    assert stored == {code: float(n) for code, n in population_2021.items()}
    assert len(stored) == 139


def test_population_apportioned_to_2011_lsoas_keeps_everyone(population_2021, population_2011):
    stored = dict(
        IndicatorValue.objects.filter(
            indicator__slug="population", area__level="lsoa", area__vintage=2011
        ).values_list("area__gss_code", "value")
    )
    assert stored == population_2011
    assert sum(stored.values()) == sum(population_2021.values()) == 241_025
    notes = set(
        IndicatorValue.objects.filter(indicator__slug="population", area__vintage=2011).values_list(
            "note", flat=True
        )
    )
    assert notes == {"apportioned from 2021 LSOAs whose centre lies in this 2011 LSOA"}


# -- roll-ups to neighbourhoods -------------------------------------------------------------------


def neighbourhoods_to_check() -> list[Area]:
    wards = list(Area.objects.filter(level="ward", gss_code__in=["E05015253", "E05015247"]))
    built, _ = build_neighbourhood(name="Old Trafford and Gorse Hill", components=wards)
    return [*Area.objects.neighbourhoods().exclude(pk=built.pk), built]


def test_neighbourhood_population_is_the_sum_of_lsoa_people_times_the_share_inside(
    population_2021,
):
    for hood in neighbourhoods_to_check():
        expected = sum(population_2021[c] * s for c, s in shares(hood, 2021).items())
        summary = summaries(hood)["population"]
        assert summary.value == round(expected), hood.name
        assert "Sum" in summary.method


def test_the_localities_add_up_to_trafford(population_2021):
    total = sum(population_2021.values())
    localities = sum(summaries(h)["population"].value for h in Area.objects.neighbourhoods())
    # Generalised boundaries do not meet exactly, and slivers under 2% are left out.
    assert localities == pytest.approx(total, rel=0.01)


@pytest.mark.parametrize("domain", list(IMD_COLUMNS))
def test_average_rank_is_the_population_weighted_mean_of_lsoa_ranks(
    imd_rows, population_2011, domain
):
    slug = f"{IMD_COLUMNS[domain]}-rank"
    for hood in neighbourhoods_to_check():
        weights = {c: population_2011[c] * s for c, s in shares(hood, 2011).items()}
        expected = sum(int(imd_rows[c][f"{domain}_rank"]) * w for c, w in weights.items()) / sum(
            weights.values()
        )
        summary = summaries(hood)[slug]
        assert summary.value == pytest.approx(expected, rel=1e-9), hood.name
        assert summary.note == ""
        assert summary.decile_of_value == math.ceil(expected / (LSOAS_IN_ENGLAND_2011 / 10))


@pytest.mark.parametrize("domain", list(IMD_COLUMNS))
def test_deciles_become_the_share_of_residents_in_each_decile_never_an_average(
    imd_rows, population_2011, domain
):
    slug = f"{IMD_COLUMNS[domain]}-decile"
    for hood in neighbourhoods_to_check():
        weights = {c: population_2011[c] * s for c, s in shares(hood, 2011).items()}
        total = sum(weights.values())
        expected: dict[int, float] = defaultdict(float)
        for code, weight in weights.items():
            expected[int(imd_rows[code][f"{domain}_decile"])] += weight / total
        summary = summaries(hood)[slug]
        assert set(summary.distribution) == set(expected)
        for decile, share in expected.items():
            assert summary.distribution[decile] == pytest.approx(share, rel=1e-9)
        assert sum(summary.distribution.values()) == pytest.approx(1.0)
        assert set(summary.distribution) <= set(range(1, 11))
        # The headline figure is the share in the most deprived decile, not a mean decile.
        assert summary.value == pytest.approx(expected.get(1, 0.0))
        assert 0 <= summary.value <= 1
        assert summary.decile_of_value is None
        assert "never averaged" in summary.method


def test_the_localities_differ_in_need_as_the_file_says(imd_rows):
    """North (Old Trafford, Stretford) is the most deprived locality, South the least."""
    ranks = {h.name: summaries(h)["imd-rank"].value for h in Area.objects.neighbourhoods()}
    assert min(ranks, key=ranks.get) == "North"
    assert max(ranks, key=ranks.get) == "South"


def test_the_population_roll_up_does_not_depend_on_the_order_areas_were_stored(
    data_dir, population_2021
):
    # Load the 2021 LSOAs (and their population) again, so that they are stored after the 2011
    # ones: a boundary set reloaded after a correction is stored in just this order.
    from livingmap.areas.importers.boundaries import BoundaryImporter

    Area.objects.filter(level=AreaLevel.LSOA, vintage=2021).delete()
    BoundaryImporter(
        data_dir / "trafford-geography/lsoa_2021.geojson", level=AreaLevel.LSOA, vintage=2021
    ).run(commit=True)
    PopulationImporter(data_dir / POPULATION_FILE).run(commit=True)
    for hood in Area.objects.neighbourhoods():
        expected = round(sum(population_2021[c] * s for c, s in shares(hood, 2021).items()))
        assert summaries(hood)["population"].value == expected, hood.name


def test_a_neighbourhood_without_population_figures_is_weighted_by_land_and_says_so(imd_rows):
    IndicatorValue.objects.filter(indicator__slug="population").delete()
    hood = Area.objects.get(level=AreaLevel.NEIGHBOURHOOD, name="West")
    weights = shares(hood, 2011)
    expected = sum(int(imd_rows[c]["IMD_rank"]) * w for c, w in weights.items()) / sum(
        weights.values()
    )
    summary = summaries(hood)["imd-rank"]
    assert summary.value == pytest.approx(expected)
    assert "land share" in summary.note


# -- the indicator importers -----------------------------------------------------------------


def test_a_second_import_of_the_real_files_changes_nothing(data_dir):
    imd = IMD2019Importer(data_dir / IMD_FILE).run(commit=True)
    assert (imd.created, imd.updated, imd.unchanged) == (0, 0, 138 * 16)
    population = PopulationImporter(data_dir / POPULATION_FILE).run(commit=True)
    assert (population.created, population.updated, population.unchanged) == (0, 0, 139 + 138)
    assert population.skipped == 2 * 139  # the Females and Males rows
    assert population.read == 3 * 139


def test_imd_rows_that_are_wrong_are_rejected_with_reasons(tmp_path, imd_rows):
    header = list(next(iter(imd_rows.values())))
    good = dict(imd_rows["E01006074"])
    bad_rank = {**imd_rows["E01006075"], "Income_rank": "12,3"}
    out_of_range = {**imd_rows["E01006076"], "Crime_decile": "11"}
    elsewhere = {**good, "lsoa_code": "E01000001"}  # City of London: not loaded here
    no_code = {**good, "lsoa_code": ""}
    path = tmp_path / "imd.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows([good, bad_rank, out_of_range, elsewhere, no_code])
    IndicatorValue.objects.filter(indicator__slug__endswith="-rank").delete()

    report = IMD2019Importer(path).run(commit=True)

    assert {p.row: p.reason for p in report.rejected} == {
        "line 3": "Income_rank '12,3' is not a whole number",
        "line 4": "Crime_decile 11 is not between 1 and 10",
        "line 6": "no area code",
    }
    assert report.skipped == 1
    assert [w.reason for w in report.warnings] == [
        "1 rows are for areas that are not loaded; skipped"
    ]
    assert report.created == 8  # the good row's eight ranks
    assert report.unchanged == 8  # and its deciles, kept from the demo


def test_a_population_file_with_a_bad_figure_rejects_that_row(tmp_path, population_2021):
    path = tmp_path / "pop.csv"
    path.write_text(
        "area_code,geography,sex,all_ages\n"
        'E01006074,LSOA,Persons,"1,700"\n'
        "E01006075,LSOA,Persons,lots\n"
        "E01006076,LSOA,Persons,-5\n"
        "E01006077,LSOA,Females,900\n"
        "E02001259,MSOA,Persons,9000\n"
    )
    undated = PopulationImporter(path).run()
    assert undated.error == (
        "the file does not say the date of its estimates (no `period` column, or it is "
        "blank): give it with --period, e.g. --period 2024-06-30"
    )
    report = PopulationImporter(path, period="2024-06-30").run()
    assert {p.row: p.reason for p in report.rejected} == {
        "line 3": "all_ages 'lots' is not a whole number",
        "line 4": "all_ages -5 is negative",
    }
    assert report.skipped == 2
    assert report.updated >= 1  # E01006074 now 1,700 people


def test_the_population_release_is_read_from_the_files_period(tmp_path, population_2021, client):
    population = Indicator.objects.get(slug="population")
    assert (population.name, population.release) == ("Population (mid-2024)", "mid-2024")
    assert population.source.name == "Mid-2024 population estimates (LSOA, MSOA, ward)"

    path = tmp_path / "pop-2025.csv"
    rows = "".join(
        f"2025-06-30,{code},LSOA,Persons,{n + 7}\n" for code, n in population_2021.items()
    )
    path.write_text("period,area_code,geography,sex,all_ages\n" + rows)
    report = PopulationImporter(path).run(commit=True)
    assert not report.error and report.committed
    population.refresh_from_db()
    assert (population.name, population.release) == ("Population (mid-2025)", "mid-2025")
    assert population.source.release == "mid-2025"
    assert population.source.name == "Mid-2025 population estimates (LSOA, MSOA, ward)"
    listing = client.get("/neighbourhoods/").content.decode()
    assert "Population (mid-2025)" in listing and "mid-2024" not in listing
    hood = Area.objects.filter(level=AreaLevel.NEIGHBOURHOOD).first()
    page = client.get(f"/neighbourhoods/{hood.slug}/").content.decode()
    assert "(mid-2025 estimate)" in page and "mid-2024" not in page
    profile = client.get(f"/neighbourhoods/{hood.slug}/profile/").content.decode()
    assert "Mid-2025 estimates for the LSOAs" in profile and "id-2024" not in profile


def test_a_population_file_of_several_dates_is_refused_and_changes_nothing(tmp_path):
    before = list(
        IndicatorValue.objects.filter(indicator__slug="population").values_list("area_id", "value")
    )
    path = tmp_path / "pop-mixed.csv"
    path.write_text(
        "period,area_code,geography,sex,all_ages\n"
        "2024-06-30,E01006074,LSOA,Persons,1700\n"
        "2025-06-30,E01006075,LSOA,Persons,1500\n"
    )
    report = PopulationImporter(path).run(commit=True)
    assert report.error == (
        "the file holds estimates for 2 dates (2024-06-30, 2025-06-30): give the file of one year"
    )
    assert not report.committed
    assert Indicator.objects.get(slug="population").release == "mid-2024"
    after = IndicatorValue.objects.filter(indicator__slug="population").values_list(
        "area_id", "value"
    )
    assert sorted(after) == sorted(before)
