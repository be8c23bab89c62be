"""Every figure has a period: two years of the real population file kept side by side, the pages
and the API showing the latest and saying which, the history download holding both; and IMD 2019
(on 2011 LSOAs) reaching 2021 LSOAs through the ONS lookup."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import F

from livingmap.areas.importers.indicators import (
    IMD2019Importer,
    PopulationImporter,
    carry_to_2021,
    lookup_from_overlap,
    read_lsoa_lookup,
)
from livingmap.areas.models import Area, AreaLevel, Indicator, IndicatorPeriod, IndicatorValue
from livingmap.areas.periods import PeriodError, parse_period
from livingmap.areas.selectors import neighbourhood_indicators

pytestmark = pytest.mark.django_db

POPULATION = (
    Path(settings.LIVINGMAP_DATA_DIR) / "population/mid-year_2024_population_estimates_lsoa.csv"
)
IMD = Path(settings.LIVINGMAP_DATA_DIR) / "imd2019/imd2019_lsoa_trafford.csv"
#: Trafford 001E (2011) was split in 2021 into Trafford 001G and 001H.
SPLIT_2011, SPLIT_2021 = "E01006185", ("E01034000", "E01034001")


def earlier_year(tmp_path: Path, *, date: str = "2023-06-30", scale: float = 0.98) -> Path:
    """The real mid-2024 file as another year's: every row, every column, the period changed and
    each count scaled (as a year's change in population would)."""
    with POPULATION.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames
        rows = list(reader)
    counts = [
        f for f in fields if f not in {"period", "area_code", "area_name", "geography", "sex"}
    ]
    for row in rows:
        row["period"] = date
        for f in counts:
            if row[f].strip():
                row[f] = str(round(int(row[f].replace(",", "")) * scale))
    path = tmp_path / f"population-{date}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def persons_2024() -> dict[str, int]:
    with POPULATION.open(newline="", encoding="utf-8-sig") as handle:
        return {
            r["area_code"]: int(r["all_ages"])
            for r in csv.DictReader(handle)
            if r["sex"] == "Persons" and r["geography"] == "LSOA"
        }


def population_values(end: str) -> dict[str, float]:
    return dict(
        IndicatorValue.objects.filter(
            indicator__slug="population", period__end=end, area__vintage=2021
        ).values_list("area__gss_code", "value")
    )


# -- periods read from words -------------------------------------------------------------------


def test_periods_are_read_from_the_words_publishers_use():
    mid = parse_period("2024-06-30")
    assert (mid.start.isoformat(), mid.end.isoformat(), mid.granularity, mid.label) == (
        "2024-06-30",
        "2024-06-30",
        "date",
        "mid-2024",
    )
    assert parse_period("mid-2024") == mid
    year = parse_period("2019")
    assert (year.start.isoformat(), year.end.isoformat(), year.key) == (
        "2019-01-01",
        "2019-12-31",
        "2019",
    )
    fy = parse_period("2024/25")
    assert (fy.start.isoformat(), fy.end.isoformat(), fy.label, fy.key) == (
        "2024-04-01",
        "2025-03-31",
        "2024/25",
        "2024-25",
    )
    assert parse_period("FY2024-2025") == fy
    for bad in ("2024/26", "2024-02-30", "last year", ""):
        with pytest.raises(PeriodError):
            parse_period(bad)


def test_the_demo_loads_with_every_value_in_a_period_and_one_latest_each():
    assert not IndicatorValue.objects.filter(period__isnull=True).exists()
    assert not IndicatorValue.objects.exclude(period__indicator=F("indicator")).exists()
    for indicator in Indicator.objects.filter(values__isnull=False).distinct():
        latest = list(indicator.periods.filter(is_latest=True))
        assert len(latest) == 1
        assert indicator.release == latest[0].label
    population = IndicatorPeriod.objects.get(indicator__slug="population")
    assert (population.key, population.label, population.granularity) == (
        "2024-06-30",
        "mid-2024",
        "date",
    )
    imd = IndicatorPeriod.objects.get(indicator__slug="imd-rank")
    assert (imd.key, imd.granularity, imd.release) == ("2019", "year", "2019-09-26")


def test_the_gaps_page_says_which_period_its_need_is_for(client):
    html = client.get("/gaps/", {"need": "imd-rank"}).content.decode()
    assert (
        "Index of Multiple Deprivation (rank)</strong> (2019, the latest release we hold)" in html
    )


def test_the_migration_gives_existing_values_the_period_their_release_names():
    """The data migration's reading of an indicator's release (0002_indicator_periods)."""
    import importlib

    migration = importlib.import_module("livingmap.areas.migrations.0002_indicator_periods")
    population = SimpleNamespace(
        release="mid-2024", source_id=1, source=SimpleNamespace(release="")
    )
    imd = SimpleNamespace(release="2019", source_id=1, source=SimpleNamespace(release="2019-09-26"))
    only_dataset = SimpleNamespace(
        release="", source_id=1, source=SimpleNamespace(release="2023-04-04")
    )
    assert migration._span(population)[0] == parse_period("2024-06-30")
    assert migration._span(imd) == (parse_period("2019"), "2019-09-26")
    assert migration._span(only_dataset)[0] == parse_period("2023-04-04")
    unstated = SimpleNamespace(release="synthetic", source_id=None, source=None)
    assert migration._span(unstated)[0].label == "not stated"


# -- two years of population -------------------------------------------------------------------


def test_an_earlier_year_is_added_beside_the_latest_and_both_are_kept(tmp_path, client):
    real = persons_2024()
    before = IndicatorValue.objects.filter(indicator__slug="population").count()
    hood = Area.objects.neighbourhoods().order_by("name").first()
    imd_before = {s.indicator.slug: s.value for s in neighbourhood_indicators(hood)}
    path = earlier_year(tmp_path)

    report = PopulationImporter(path).run(commit=True)
    assert report.committed and not report.error
    assert report.created == before and report.updated == 0

    periods = list(IndicatorPeriod.objects.filter(indicator__slug="population").order_by("end"))
    assert [(p.key, p.label, p.is_latest) for p in periods] == [
        ("2023-06-30", "mid-2023", False),
        ("2024-06-30", "mid-2024", True),
    ]
    assert population_values("2024-06-30") == {c: float(n) for c, n in real.items()}
    assert population_values("2023-06-30") == {c: float(round(n * 0.98)) for c, n in real.items()}
    # The latest is still shown and named.
    population = Indicator.objects.get(slug="population")
    assert (population.name, population.release) == ("Population (mid-2024)", "mid-2024")

    # The same release again changes nothing.
    again = PopulationImporter(path).run(commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, before)
    assert IndicatorValue.objects.filter(indicator__slug="population").count() == 2 * before

    # An LSOA's page shows the latest and says which.
    lsoa = Area.objects.get(level=AreaLevel.LSOA, vintage=2021, gss_code="E01006074")
    page = client.get(lsoa.get_absolute_url()).content.decode()
    assert f"{real['E01006074']:,}" in page and "mid-2024" in page
    assert f"{round(real['E01006074'] * 0.98):,}" not in page

    # The API gives the latest by default, one period, or every period.
    data = client.get(f"/api/areas/{lsoa.slug}").json()
    people = [i for i in data["indicators"] if i["slug"] == "population"]
    assert [(i["value"], i["period"]["key"], i["period"]["is_latest"]) for i in people] == [
        (real["E01006074"], "2024-06-30", True)
    ]
    data = client.get(f"/api/areas/{lsoa.slug}?period=mid-2023").json()
    assert {i["slug"]: i["value"] for i in data["indicators"]} == {
        "population": round(real["E01006074"] * 0.98)
    }
    data = client.get(f"/api/areas/{lsoa.slug}?period=all").json()
    people = [
        (i["period"]["key"], i["value"]) for i in data["indicators"] if i["slug"] == "population"
    ]
    assert people == [
        ("2024-06-30", real["E01006074"]),
        ("2023-06-30", round(real["E01006074"] * 0.98)),
    ]
    missing = client.get(f"/api/areas/{lsoa.slug}?period=2020")
    assert missing.status_code == 404
    assert "2023-06-30" in missing.json()["detail"] and "2024-06-30" in missing.json()["detail"]
    bad = client.get(f"/api/areas/{lsoa.slug}?period=soon")
    assert bad.status_code == 400 and "is not a period" in bad.json()["detail"]

    # Neighbourhood roll-ups are per period: each year summed on its own; ranks are still
    # weighted by the latest population, so an older year loaded changes none of them.
    assert {s.indicator.slug: s.value for s in neighbourhood_indicators(hood)} == imd_before
    by_period = {
        s.period.key: s.value
        for s in neighbourhood_indicators(hood, history=True)
        if s.indicator.slug == "population"
    }
    latest = next(s for s in neighbourhood_indicators(hood) if s.indicator.slug == "population")
    assert latest.period.key == "2024-06-30" and by_period["2024-06-30"] == latest.value
    assert by_period["2023-06-30"] == pytest.approx(latest.value * 0.98, rel=0.002)
    page = client.get(hood.get_absolute_url()).content.decode()
    assert "(mid-2024 estimate)" in page
    api = client.get(f"/api/neighbourhoods/{hood.slug}?period=2023-06-30").json()
    assert api["population"] is None  # `population` is the latest only
    assert [(i["slug"], i["period"]["key"], i["value"]) for i in api["indicators"]] == [
        ("population", "2023-06-30", by_period["2023-06-30"])
    ]
    api = client.get(f"/api/neighbourhoods/{hood.slug}").json()
    assert api["population"] == round(latest.value)
    assert {i["period"]["key"] for i in api["indicators"] if i["slug"] == "population"} == {
        "2024-06-30"
    }

    # The open-data indicators file is the latest; the history file has both years.
    latest_csv = client.get("/open-data/indicators-csv/")
    rows = list(csv.DictReader(io.StringIO(b"".join(latest_csv.streaming_content).decode())))
    people = [r for r in rows if r["indicator"] == "population" and r["vintage"] == "2021"]
    assert {r["release"] for r in people} == {"mid-2024"} and len(people) == len(real)
    history = client.get("/open-data/indicator-population-history-csv/")
    assert history.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(history.streaming_content).decode())))
    lsoas = [r for r in rows if r["vintage"] == "2021"]
    assert {(r["period"], r["is_latest"]) for r in lsoas} == {
        ("2023-06-30", "no"),
        ("2024-06-30", "yes"),
    }
    found = {(r["period"], r["area_code"]): float(r["value"]) for r in lsoas}
    assert found[("2023-06-30", "E01006074")] == round(real["E01006074"] * 0.98)
    assert found[("2024-06-30", "E01006074")] == real["E01006074"]
    assert len(found) == 2 * len(real)
    assert "indicator-population-history-csv" in client.get("/open-data/").content.decode()


def test_a_newer_year_becomes_the_latest_and_the_last_is_kept(tmp_path, client):
    real = persons_2024()
    report = PopulationImporter(earlier_year(tmp_path, date="2025-06-30", scale=1.02)).run(
        commit=True
    )
    assert report.committed
    latest = IndicatorPeriod.objects.get(indicator__slug="population", is_latest=True)
    assert latest.label == "mid-2025"
    assert population_values("2024-06-30") == {c: float(n) for c, n in real.items()}
    assert Indicator.objects.get(slug="population").name == "Population (mid-2025)"
    hood = Area.objects.neighbourhoods().order_by("name").first()
    assert "(mid-2025 estimate)" in client.get(hood.get_absolute_url()).content.decode()


def test_a_period_given_that_is_not_the_files_own_is_refused(tmp_path):
    report = PopulationImporter(POPULATION, period="2023-06-30").run(commit=True)
    assert report.error == (
        "--period 2023-06-30 is not the file's own period (2024-06-30): leave --period out, "
        "or give the file of that year"
    )
    assert IndicatorPeriod.objects.filter(indicator__slug="population").count() == 1


# -- IMD 2019 across boundary vintages ---------------------------------------------------------


def write_lookup(tmp_path: Path) -> Path:
    """A lookup in the ONS 'LSOA (2011) to LSOA (2021) to LAD (2022)' layout, for Trafford's
    LSOAs: the 137 whose code carried over (U) and Trafford 001E, split (S) in two."""
    old = set(
        Area.objects.filter(level=AreaLevel.LSOA, vintage=2011).values_list("gss_code", flat=True)
    )
    new = dict(
        Area.objects.filter(level=AreaLevel.LSOA, vintage=2021).values_list("gss_code", "name")
    )
    lines = ["LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,LAD22CD,LAD22NM,LAD22NMW,ObjectId"]
    for i, code in enumerate(sorted(old & set(new)), 1):
        lines.append(f"{code},{new[code]},{code},{new[code]},U,E08000009,Trafford,,{i}")
    for j, code in enumerate(SPLIT_2021):
        lines.append(
            f"{SPLIT_2011},Trafford 001E,{code},{new[code]},S,E08000009,Trafford,,{900 + j}"
        )
    path = tmp_path / "LSOA11_LSOA21_LAD22_EW_LU.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def imd_values(vintage: int) -> dict[tuple[str, str], tuple[float, str]]:
    return {
        (slug, code): (value, note)
        for slug, code, value, note in IndicatorValue.objects.filter(
            indicator__slug__in=["imd-rank", "imd-decile", "income-rank"], area__vintage=vintage
        ).values_list("indicator__slug", "area__gss_code", "value", "note")
    }


def test_imd_on_2011_lsoas_tells_an_area_of_2021_lsoas_to_give_the_lookup(tmp_path):
    lookup = write_lookup(tmp_path)
    Area.objects.filter(level=AreaLevel.LSOA, vintage=2011).delete()
    report = IMD2019Importer(IMD).run(commit=True)
    assert report.error == (
        "no row was loaded: these rows are 2011 LSOAs; you loaded 2021 LSOAs; give the ONS LSOA "
        "2011 to 2021 lookup with --lookup FILE (columns LSOA11CD, LSOA21CD, CHGIND), or load "
        "the 2011 LSOA boundaries"
    )
    with IMD.open(newline="") as handle:
        raw = {r["lsoa_code"]: r for r in csv.DictReader(handle)}

    report = IMD2019Importer(IMD, lookup=lookup).run(commit=True)
    assert report.committed and not report.error, report.error
    assert not [w for w in report.warnings if "not loaded" in w.reason]
    values = imd_values(2021)
    new_codes = set(
        Area.objects.filter(level=AreaLevel.LSOA, vintage=2021).values_list("gss_code", flat=True)
    )
    assert {code for _, code in values} == new_codes  # all 139, the two new ones too
    for code in new_codes - set(SPLIT_2021):
        assert values[("imd-rank", code)] == (float(raw[code]["IMD_rank"]), "")
        assert values[("income-rank", code)] == (float(raw[code]["Income_rank"]), "")
    for code in SPLIT_2021:
        rank, note = values[("imd-rank", code)]
        assert rank == float(raw[SPLIT_2011]["IMD_rank"])
        assert values[("imd-decile", code)][0] == float(raw[SPLIT_2011]["IMD_decile"])
        assert note == f"carried from 2011 LSOA {SPLIT_2011} (split)"
    # The neighbourhoods now roll IMD up over 2021 LSOAs, weighted by 2021 population.
    hood = Area.objects.neighbourhoods().order_by("name").first()
    imd = next(s for s in neighbourhood_indicators(hood) if s.indicator.slug == "imd-rank")
    assert imd.value is not None and not imd.note

    again = IMD2019Importer(IMD, lookup=lookup).run(commit=True)
    assert again.created == again.updated == 0 and again.unchanged == len(values) // 3 * 16


def test_without_the_ons_file_the_lookup_is_derived_from_the_two_boundary_sets(tmp_path):
    """--lookup overlap, on Trafford's real 2011 and 2021 LSOAs, finds what the ONS lookup says:
    137 unchanged, and Trafford 001E split into 001G and 001H."""
    derived = lookup_from_overlap()
    written = read_lsoa_lookup(write_lookup(tmp_path))
    assert derived == written
    report = IMD2019Importer(IMD, lookup="overlap").run(commit=True)
    assert report.committed and not report.error
    assert (
        IndicatorValue.objects.filter(indicator__slug="imd-rank", area__vintage=2021).count() == 139
    )


def test_merged_and_complex_lsoas_take_the_mean_rank_and_its_decile():
    """Merged (M) and complex (X) changes, where one 2021 LSOA draws on several 2011 LSOAs."""
    ranks = {
        "E01006074": {"imd-rank": 14_785, "imd-decile": 5},
        "E01006075": {"imd-rank": 3_000, "imd-decile": 1},
        "E01006076": {"imd-rank": 30_000, "imd-decile": 10},
    }
    lookup = {
        "E01099001": [("E01006074", "M"), ("E01006075", "M")],
        "E01099002": [("E01006076", "X"), ("E01006075", "X")],
        "E01099003": [("E01000000", "U")],  # not in the file: nothing
    }
    carried = carry_to_2021(ranks, lookup)
    assert set(carried) == {"E01099001", "E01099002"}
    measures, note = carried["E01099001"]
    mean = (14_785 + 3_000) / 2
    assert measures == {"imd-rank": mean, "imd-decile": float(math.ceil(mean / 3284.4))}
    assert measures["imd-decile"] == 3.0
    assert note == "mean rank of 2011 LSOAs E01006074, E01006075 (merged)"
    measures, note = carried["E01099002"]
    assert measures["imd-rank"] == 16_500 and measures["imd-decile"] == 6.0
    assert note == "mean rank of 2011 LSOAs E01006075, E01006076 (complex change)"


def test_a_lookup_without_the_ons_columns_is_refused(tmp_path):
    path = tmp_path / "lookup.csv"
    path.write_text("lsoa11,lsoa21\nE01006185,E01034000\n")
    report = IMD2019Importer(IMD, lookup=path).run(commit=True)
    assert report.error == "the lookup lookup.csv has no column CHGIND, LSOA11CD, LSOA21CD"


def test_import_indicators_without_a_file_is_refused():
    with pytest.raises(CommandError, match="the following arguments are required: file"):
        call_command("import_indicators", "imd2019")


MIGRATION_CHECK = """
import django, json, os
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

def at(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    executor.loader.build_graph()
    return executor.loader.project_state(target).apps

call_command("migrate", verbosity=0)
old = at([("areas", "0001_initial")])
Dataset = old.get_model("core", "Dataset")
Area = old.get_model("areas", "Area")
Indicator = old.get_model("areas", "Indicator")
Value = old.get_model("areas", "IndicatorValue")
pop_ds = Dataset.objects.create(slug="ons-mid-2024-population", name="Mid-2024", licence="OGL",
                                release="mid-2024")
imd_ds = Dataset.objects.create(slug="imd-2019", name="IMD", licence="OGL", release="2019-09-26")
area = Area.objects.create(level="lsoa", gss_code="E01006074", vintage=2021, name="Trafford 025A",
                           slug="e01006074-2021", geometry={}, min_lon=0, min_lat=0, max_lon=1,
                           max_lat=1, point_lon=0, point_lat=0)
pop = Indicator.objects.create(slug="population", name="Population (mid-2024)", unit="people",
                               source=pop_ds, release="mid-2024", rollup="sum")
imd = Indicator.objects.create(slug="imd-rank", name="IMD", unit="rank", source=imd_ds,
                               release="2019", rollup="population_weighted_rank")
Value.objects.create(indicator=pop, area=area, value=1634)
Value.objects.create(indicator=imd, area=area, value=14785, note="kept")
new = at([("areas", "0002_indicator_periods")])
Period = new.get_model("areas", "IndicatorPeriod")
forward = sorted(
    [v.indicator.slug, v.value, v.note, str(v.period.start), str(v.period.end),
     v.period.granularity, v.period.label, v.period.release, v.period.is_latest]
    for v in new.get_model("areas", "IndicatorValue").objects.select_related("period", "indicator")
)
back = at([("areas", "0001_initial")])
kept = sorted(back.get_model("areas", "IndicatorValue").objects.values_list("value", flat=True))
print(json.dumps({"forward": forward, "back": kept}))
"""


def test_the_data_migration_gives_existing_values_their_period_and_loses_none(tmp_path):
    """Migration 0002 run for real, on a fresh SQLite database of the old schema with values in
    it: each value gets its indicator's period, none is lost, and going back keeps them."""
    import json
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'migrate.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "livingmap.settings",
        "PYTHONPATH": str(Path(settings.BASE_DIR)),
    }
    done = subprocess.run(
        [sys.executable, "-c", MIGRATION_CHECK],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["forward"] == [
        [
            "imd-rank",
            14785.0,
            "kept",
            "2019-01-01",
            "2019-12-31",
            "year",
            "2019",
            "2019-09-26",
            True,
        ],
        [
            "population",
            1634.0,
            "",
            "2024-06-30",
            "2024-06-30",
            "date",
            "mid-2024",
            "mid-2024",
            True,
        ],
    ]
    assert found["back"] == [1634.0, 14785.0]
