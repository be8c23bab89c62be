"""The generic CSV importer: the worked example on the real land register, mapping checks,
and the row rules, on both databases."""

from __future__ import annotations

import csv
import random
import tomllib
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pyproj import Transformer

from livingmap.areas.models import AreaLevel, Postcode
from livingmap.assets.importers import REGISTRY
from livingmap.assets.importers.mapping import MappedCSVImporter
from livingmap.assets.models import Asset, AssetKind, AssetSource, Tenure
from livingmap.core.models import Dataset, ImportEvent

pytestmark = pytest.mark.django_db

EXAMPLE = Path(settings.BASE_DIR) / "data/mappings/trafford-land-and-buildings.toml"
REGISTER = (
    Path(settings.LIVINGMAP_DATA_DIR) / "trafford-council/trafford_land_and_building_assets.csv"
)


def example_text(**replace: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def own_slug(tmp_path: Path, slug: str = "test-land-register") -> Path:
    """The worked example under a data set slug of its own (so it is not the demo's layer)."""
    return write(
        tmp_path / "register.toml",
        example_text(**{'slug = "trafford-council-land-and-buildings"': f'slug = "{slug}"'}),
    )


def counts() -> tuple[int, int]:
    return Asset.objects.count(), AssetSource.objects.count()


# -- the worked example ----------------------------------------------------------------------------


def test_the_worked_example_loads_the_register_exactly_as_the_built_in_importer_does():
    built_in = REGISTRY["trafford-land-and-buildings"]().run()
    mapped = MappedCSVImporter(REGISTER, mapping=EXAMPLE).run(commit=True)
    assert not mapped.error
    # Same data set, same ids: every record is identical to the one the demo loaded.
    assert mapped.read == built_in.read
    assert (mapped.created, mapped.updated) == (0, 0)
    assert mapped.unchanged == built_in.unchanged == built_in.read - len(built_in.rejected)
    assert [p.row for p in mapped.rejected] == [p.row for p in built_in.rejected]
    assert [p.as_dict() for p in mapped.warnings] == [p.as_dict() for p in built_in.warnings]


def test_the_worked_example_under_its_own_slug_joins_the_assets_the_register_already_made(
    tmp_path,
):
    with REGISTER.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    report = MappedCSVImporter(REGISTER, mapping=own_slug(tmp_path)).run(commit=True)
    assert report.read == len(rows)
    kept = report.read - len(report.rejected)
    assert report.created + report.updated == kept
    dataset = Dataset.objects.get(slug="test-land-register")
    assert (dataset.publisher, dataset.licence) == (
        "Trafford Council",
        "Open Government Licence v3.0",
    )
    sources = AssetSource.objects.filter(dataset=dataset)
    refused = {rows[int(p.row.removeprefix("line ")) - 2]["AssetCode"] for p in report.rejected}
    assert (
        set(sources.values_list("source_id", flat=True)) == {r["AssetCode"] for r in rows} - refused
    )
    # A row with a UPRN is the asset the built-in register import made from the same row.
    town_hall = next(r for r in rows if r["PropertyName"] == "Altrincham Town Hall")
    asset = Asset.objects.get(sources__dataset=dataset, sources__source_id=town_hall["AssetCode"])
    assert asset.uprn == town_hall["UPRN"]
    assert set(asset.sources.values_list("dataset__slug", flat=True)) >= {
        "test-land-register",
        "trafford-council-land-and-buildings",
    }
    assert asset.tenure == Tenure.FREEHOLD and asset.kind == AssetKind.PHYSICAL
    assert asset.extra["holding_type"] == town_hall["HoldingType"]
    assert asset.area_links.filter(area__level=AreaLevel.WARD).count() == 1
    again = MappedCSVImporter(REGISTER, mapping=own_slug(tmp_path)).run(commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, kept)


def test_the_command_runs_the_worked_example_as_a_dry_run():
    out = StringIO()
    before = counts()
    call_command("import_csv", str(REGISTER), mapping=str(EXAMPLE), stdout=out)
    assert "DRY RUN" in out.getvalue()
    assert "line 387" in out.getvalue()  # the one row refused, with its reason
    assert counts() == before


# -- checking the mapping ------------------------------------------------------------------------


BROKEN_MAPPINGS = {
    "unknown field": (
        {'name = "PropertyName"': 'nmae = "PropertyName"'},
        "[columns] nmae: there is no field called 'nmae' — did you mean 'name'?",
    ),
    "column not in the file": (
        {'name = "PropertyName"': 'name = "PropertyNmae"'},
        "[columns] name: the file has no column 'PropertyNmae' — did you mean 'PropertyName'?",
    ),
    "unknown category": (
        {'"librar" = "library"': '"librar" = "libary"'},
        "there is no category 'libary' — did you mean 'library'?",
    ),
    "unknown kind": (
        {'kind = "physical"': 'kind = "building"'},
        "[fixed] kind: 'building' is not a kind",
    ),
    "unknown tenure": (
        {'Freehold = "freehold"': 'Freehold = "owned"'},
        "'owned' is not a tenure",
    ),
    "unknown section": (
        {"[columns]": "[colums]"},
        "there is no section [colums] — did you mean 'columns'?",
    ),
    "no dataset": (
        {"[dataset]": "[ignored]"},
        "the [dataset] section is missing",
    ),
    "not TOML": (
        {"[extra]": "[extra"},
        "is not valid TOML",
    ),
    "unless not a list of words": (
        {
            'unless = ["former", "vacant", "disused", "demolished", "staff toilet", "staff toilets", "school road", "school lane"]\nwhen': 'unless = "former"\nwhen'
        },
        '[[values]] number 3: unless must be a list of words, e.g. ["former", "vacant"]',
    ),
    "when without values": (
        {
            'when = { column = "HoldingType", values = ["Buildings", "Land/Buildings"] }': 'when = { column = "HoldingType" }'
        },
        '[[values]] number 3 when needs exactly: column = "...", values = ["..."]',
    ),
    "when on a column not in the file": (
        {'when = { column = "HoldingType"': 'when = { column = "HoldingTyp"'},
        "[[values]] number 3 when: the file has no column 'HoldingTyp' — did you mean",
    ),
}


@pytest.mark.parametrize("case", BROKEN_MAPPINGS)
def test_a_mapping_with_a_problem_is_refused_with_a_message_naming_it_and_writes_nothing(
    case, tmp_path
):
    replace, message = BROKEN_MAPPINGS[case]
    mapping = write(tmp_path / "broken.toml", example_text(**replace))
    before = counts()
    report = MappedCSVImporter(REGISTER, mapping=mapping).run(commit=True)
    assert message in report.error
    assert report.read == 0 and not report.committed
    assert counts() == before
    assert ImportEvent.objects.get(pk=report.event_id).status == ImportEvent.Status.FAILED
    with pytest.raises(CommandError, match=r"broken\.toml"):
        call_command(
            "import_csv", str(REGISTER), mapping=str(mapping), commit=True, stdout=StringIO()
        )


def test_every_problem_in_a_mapping_is_reported_at_once(tmp_path):
    mapping = write(
        tmp_path / "broken.toml",
        example_text(
            **{
                'kind = "physical"': 'kind = "building"',
                'postcode = "PostCode"': 'postcode = "Postcode"\nphonenumber = "Phone"',
            }
        ),
    )
    report = MappedCSVImporter(REGISTER, mapping=mapping).run()
    assert "[fixed] kind: 'building' is not a kind" in report.error
    assert "there is no field called 'phonenumber' — did you mean 'phone'?" in report.error
    # ... and, checked against the file in the same run, the misspelt column.
    assert "[columns] postcode: the file has no column 'Postcode'" in report.error
    # A kind that is given but wrong is not also reported as missing.
    assert "say what kind" not in report.error


def test_a_mapping_for_another_file_lists_each_missing_column_and_the_files_columns_once():
    leisure = Path(settings.LIVINGMAP_DATA_DIR) / "trafford-council/trafford_leisure_centres.csv"
    report = MappedCSVImporter(leisure, mapping=EXAMPLE).run()
    problems = report.error.split("\n- ")[1:]
    assert "[columns] name: the file has no column 'PropertyName'" in problems
    assert "[columns] postcode: the file has no column 'PostCode' — did you mean 'postcode'?" in (
        problems
    )
    listed = [p for p in problems if "the file's columns are" in p]
    assert listed == [
        "the file's columns are name, address, postcode, telephone, website, opening_hours, "
        "facilities, managed_by, lon, lat"
    ]
    assert report.error.count("telephone") == 1


def test_an_openstreetmap_mapping_given_for_a_csv_says_which_command_takes_it():
    osm = Path(settings.BASE_DIR) / "data/mappings/osm.toml"
    report = MappedCSVImporter(REGISTER, mapping=osm).run()
    assert "load it with livingmap import_osm FILE.geojson --mapping osm.toml" in report.error
    assert not report.committed


def test_a_mapping_must_say_what_kind_of_asset_the_rows_are(tmp_path):
    mapping = write(tmp_path / "m.toml", example_text(**{'kind = "physical"': ""}))
    report = MappedCSVImporter(REGISTER, mapping=mapping).run()
    assert "say what kind of asset each row is" in report.error


def test_a_mapping_error_part_way_through_a_commit_leaves_nothing_behind(tmp_path, monkeypatch):
    before = counts()

    def fail(self: MappedCSVImporter, records: list, report: Any) -> None:
        MappedCSVImporter.__mro__[1].load(self, records, report)  # written by now
        raise RuntimeError("disk full")

    monkeypatch.setattr(MappedCSVImporter, "load", fail)
    report = MappedCSVImporter(REGISTER, mapping=own_slug(tmp_path)).run(commit=True)
    assert "disk full" in report.error
    assert counts() == before
    assert not Dataset.objects.filter(slug="test-land-register").exists()


# -- the rules for rows, on small files ---------------------------------------------------------------


DATASET = """
[dataset]
slug = "test-register"
name = "Test register"
licence = "Open Government Licence v3.0"
"""


def small_csv(
    path: Path, rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def run(
    tmp_path: Path,
    mapping: str,
    rows: list[list[str]],
    commit: bool = False,
    slug: str = "test-register",
    **kw: Any,
):
    csv_path = small_csv(tmp_path / "register.csv", rows, **kw)
    dataset = DATASET.replace("test-register", slug)
    mapping_path = write(tmp_path / "register.toml", dataset + mapping)
    return MappedCSVImporter(csv_path, mapping=mapping_path).run(commit=commit)


def a_trafford_postcode() -> Postcode:
    return Postcode.objects.filter(lat__isnull=False, ward_code__startswith="E05").order_by(
        "postcode"
    )[100]


def test_without_an_id_column_a_row_is_known_by_its_name_and_postcode(tmp_path):
    place = a_trafford_postcode()
    rows = [
        ["Name", "Postcode"],
        ["Hall of Test", place.postcode.replace(" ", "").lower()],
        ["Hall of Test", place.postcode],  # the same again: refused
        ["", place.postcode],
    ]
    report = run(
        tmp_path,
        '[columns]\nname = "Name"\npostcode = "Postcode"\n[fixed]\nkind = "physical"\n',
        rows,
        commit=True,
    )
    assert [(p.row, p.reason) for p in report.rejected] == [
        ("line 4", "no name (column Name is blank)"),
        (
            "line 3",
            f"id hall-of-test/{place.postcode.lower().replace(' ', '-')} appears more than once in the file",
        ),
    ]
    asset = Asset.objects.get(sources__dataset__slug="test-register")
    assert (asset.lon, asset.lat) == (place.lon, place.lat)  # placed at its postcode
    assert asset.area_links.filter(
        area__level=AreaLevel.WARD, area__gss_code=place.ward_code
    ).exists()


def test_value_maps_translate_a_columns_words_and_unknown_words_are_reported(tmp_path):
    place = a_trafford_postcode()
    mapping = """
[columns]
source_id = "Ref"
name = "Name"
postcode = "Postcode"
categories = "Tags"

[[values]]
field = "kind"
column = "Type"
map = { "Community Group" = "association", "Building" = "physical", "Park" = "physical" }

[[values]]
field = "categories"
column = "Type"
map = { "Park" = "green-space" }

[[values]]
field = "legal_form"
column = "Form"
map = { "CIO" = "charity", "CIC" = "cic" }

[[skip]]
column = "Status"
values = ["Disposed", "Sold"]
"""
    rows = [
        ["Ref", "Name", "Type", "Form", "Tags", "Status", "Postcode"],
        ["1", "Friends of Test Park", "community group", "CIO", "", "", place.postcode],
        ["2", "Test Park", "PARK", "", "play-space", "", place.postcode],
        ["3", "Old Depot", "Building", "", "", "sold", place.postcode],
        ["4", "Spaceport", "Spaceship", "", "", "", place.postcode],
        ["5", "Test Hall", "Building", "", "community-building; lunar-base", "", place.postcode],
    ]
    report = run(tmp_path, mapping, rows, commit=True)
    assert report.skipped == 1
    assert {p.row: p.reason for p in report.rejected} == {
        "line 5": "no kind: 'Spaceship' in column Type is not in the mapping",
        "line 6": "no category called lunar-base",
    }
    friends = Asset.objects.get(sources__dataset__slug="test-register", sources__source_id="1")
    assert (friends.kind, friends.legal_form) == (AssetKind.ASSOCIATION, "charity")
    park = Asset.objects.get(sources__dataset__slug="test-register", sources__source_id="2")
    assert park.kind == AssetKind.PHYSICAL
    assert set(park.categories.values_list("slug", flat=True)) == {"green-space", "play-space"}


def test_a_value_map_can_say_nothing_for_some_words_or_apply_only_to_some_rows(tmp_path):
    place = a_trafford_postcode()
    mapping = """
[columns]
source_id = "Ref"
name = "Name"
postcode = "Postcode"

[fixed]
kind = "physical"

[[values]]
field = "categories"
column = "Name"
match = "contains"
unless = ["former", "Vacant"]
when = { column = "Holding", values = ["Building"] }
map = { "library" = "library", "school" = "school" }
"""
    rows = [
        ["Ref", "Name", "Holding", "Postcode"],
        ["1", "Test Library", "building", place.postcode],
        ["2", "Former Test Library", "Building", place.postcode],
        ["3", "Test School (VACANT)", "Building", place.postcode],
        ["4", "Land behind Test School", "Land", place.postcode],
        ["5", "Test Schoolhouse Library (formerly the Old Bank)", "Building", place.postcode],
    ]
    report = run(tmp_path, mapping, rows, commit=True)
    assert report.created == 5 and not report.rejected

    def categories(ref: str) -> set[str]:
        asset = Asset.objects.get(sources__dataset__slug="test-register", sources__source_id=ref)
        return set(asset.categories.values_list("slug", flat=True))

    assert categories("1") == {"library"}
    assert categories("2") == set()  # "former", a whole word
    assert categories("3") == set()  # any case
    assert categories("4") == set()  # not a building
    assert categories("5") == {"library"}  # "formerly" is not "former"; first listed wins


def test_a_spreadsheet_export_with_semicolons_and_windows_characters_is_read(tmp_path):
    place = a_trafford_postcode()
    mapping = """
[file]
encoding = "cp1252"
delimiter = ";"

[columns]
name = "Name"
postcode = "Postcode"
address = [["No", "Street"], "Town"]

[fixed]
kind = "physical"
categories = ["community-building"]
"""
    rows = [
        ["Name", "No", "Street", "Town", "Postcode"],
        ["Café Hall – Test", "12", "Test Street", "Sale", place.postcode],
    ]
    report = run(tmp_path, mapping, rows, commit=True, delimiter=";", encoding="cp1252")
    assert report.created + report.updated == 1 and not report.rejected
    asset = Asset.objects.get(sources__dataset__slug="test-register")
    assert asset.name == "Café Hall – Test"
    assert asset.address == "12 Test Street, Sale"


def test_a_row_with_more_values_than_the_header_is_refused(tmp_path):
    rows = [["Name", "Postcode"], ["Test Hall", "M32 0TH", "surplus"]]
    report = run(tmp_path, '[columns]\nname = "Name"\n[fixed]\nkind = "physical"\n', rows)
    assert [p.row for p in report.rejected] == ["line 2"]
    assert "more value(s) than the header has columns" in report.rejected[0].reason


def test_a_row_with_one_coordinate_of_two_or_not_a_number_is_refused_not_put_at_its_postcode(
    tmp_path,
):
    place = a_trafford_postcode()
    mapping = (
        '[columns]\nname = "Name"\nlon = "Lon"\nlat = "Lat"\npostcode = "Postcode"\n'
        '[fixed]\nkind = "physical"\n'
    )
    rows = [
        ["Name", "Lon", "Lat", "Postcode"],
        ["Half Hall", "inf", "nan", place.postcode],  # "nan" is a blank spelling
        ["Other Half Hall", "", str(place.lat), place.postcode],
        ["Infinite Hall", "inf", "-inf", place.postcode],
        ["Postcode Hall", "", "", place.postcode],
    ]
    report = run(tmp_path, mapping, rows, commit=True)
    assert {p.row: p.reason for p in report.rejected} == {
        "line 2": "longitude inf is given but no latitude: give both, or neither",
        "line 3": f"latitude {place.lat} is given but no longitude: give both, or neither",
        "line 4": "(inf, -inf) is not in the UK: are longitude and latitude swapped?",
    }
    hall = Asset.objects.get(sources__dataset__slug="test-register")
    assert (hall.name, hall.lon, hall.lat) == ("Postcode Hall", place.lon, place.lat)


def test_a_file_with_semicolons_between_values_says_so_once_and_how_to_read_it(tmp_path):
    rows = [["Name", "Postcode", "Town"], ["Test Hall", "M32 0TH", "Stretford"]]
    report = run(
        tmp_path,
        '[columns]\nname = "Name"\npostcode = "Postcode"\n[fixed]\nkind = "physical"\n',
        rows,
        delimiter=";",
    )
    assert report.error == (
        "register.csv seems to have ';' between its values, not ',': set delimiter = \";\" "
        "in the mapping's [file] section, or save the file again as CSV (comma delimited)"
    )


def test_lines_of_only_commas_are_passed_over_and_a_quote_left_open_is_refused(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(
        "Ref,Name,Postcode\n"
        "A1,First Hall,M32 0TH\n"
        ',"Second Hall,M32 0TH\n'  # the quote is never closed: it takes the next row
        "A3,Third Hall,M32 0TH\n"
        ",,\n"
    )
    mapping = write(
        tmp_path / "register.toml",
        DATASET
        + '[columns]\nsource_id = "Ref"\nname = "Name"\npostcode = "Postcode"\n'
        + '[fixed]\nkind = "physical"\n',
    )
    report = MappedCSVImporter(path, mapping=mapping).run()
    assert (report.read, report.created) == (2, 1)
    assert [p.row for p in report.rejected] == ["lines 3-5"]
    assert 'is a quote (") missing its closing quote?' in report.rejected[0].reason


def test_british_national_grid_coordinates_are_converted(tmp_path):
    place = a_trafford_postcode()
    to_grid = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    easting, northing = to_grid.transform(place.lon, place.lat)
    mapping = """
[columns]
name = "Name"
easting = "X"
northing = "Y"
coordinate_system = "CRS"

[fixed]
kind = "physical"
"""
    rows = [
        ["Name", "X", "Y", "CRS"],
        ["Grid Hall", f"{easting:.1f}", f"{northing:.1f}", "OSGB36"],
        ["Degrees Hall", str(place.lon), str(place.lat), "WGS84"],
        ["Degrees in the grid columns", str(place.lon), str(place.lat), ""],
    ]
    report = run(tmp_path, mapping, rows, commit=True)
    assert {p.row: p.reason for p in report.rejected} == {
        "line 3": "coordinates are in WGS84; this mapping reads British National Grid",
        "line 4": f"easting/northing ({place.lon}, {place.lat}) are not in Great Britain: are "
        "they longitude and latitude? Then map them as lon and lat",
    }
    hall = Asset.objects.get(sources__dataset__slug="test-register")
    assert abs(hall.lon - place.lon) < 2e-5 and abs(hall.lat - place.lat) < 2e-5
    assert hall.area_links.filter(
        area__level=AreaLevel.WARD, area__gss_code=place.ward_code
    ).exists()


REGISTER_MAPPING = (
    '[columns]\nsource_id = "Ref"\nname = "Name"\naddress = "Address"\nlon = "Lon"\n'
    'lat = "Lat"\n[fixed]\nkind = "physical"\ncategories = ["community-building"]\n'
)


def test_a_changed_row_updates_its_asset_where_the_data_set_gave_the_value(tmp_path):
    """A second import of a changed file changes its assets: the fields it gave, moved places
    (their areas and search cell too), and nothing someone else set."""
    from livingmap.assets.selectors import AssetQuery, search_assets
    from livingmap.core.geo import lat_cell

    place = a_trafford_postcode()
    moved = Postcode.objects.filter(lat__isnull=False, ward_code__startswith="E05").exclude(
        ward_code=place.ward_code
    )[0]
    header = ["Ref", "Name", "Address", "Lon", "Lat"]
    for folder in ("one", "two", "three"):
        (tmp_path / folder).mkdir()
    first = [header, ["H1", "Quokka Hall", "1 Old Road", str(place.lon), str(place.lat)]]
    report = run(tmp_path / "one", REGISTER_MAPPING, first, commit=True)
    assert report.created == 1
    hall = Asset.objects.get(sources__dataset__slug="test-register")
    Asset.objects.filter(pk=hall.pk).update(phone="0161 000 0000")  # given by someone else
    before = Asset.objects.get(pk=hall.pk).updated_at

    second = [header, ["H1", "Quokka Hall", "2 New Road", str(moved.lon), str(moved.lat)]]
    again = run(tmp_path / "two", REGISTER_MAPPING, second, commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 0)
    hall = Asset.objects.get(pk=hall.pk)
    assert (hall.address, hall.lon, hall.lat) == ("2 New Road", moved.lon, moved.lat)
    assert hall.lat_cell == lat_cell(moved.lat)
    assert hall.phone == "0161 000 0000"
    assert hall.updated_at > before
    wards = set(
        hall.area_links.filter(area__level=AreaLevel.WARD).values_list("area__gss_code", flat=True)
    )
    assert wards == {moved.ward_code}
    source = hall.sources.get()
    assert source.data["address"] == "2 New Road"
    found = search_assets(AssetQuery(words="quokka", near=(moved.lon, moved.lat), within_m=200))
    assert [h.asset.pk for h in found.hits] == [hall.pk]
    assert run(tmp_path / "three", REGISTER_MAPPING, second, commit=True).unchanged == 1


def test_a_record_joins_the_nearest_of_two_assets_with_its_name(tmp_path):
    library = Asset.objects.filter(name="Altrincham Library").get()
    # The record is 50 m north of the library, and 10 m from another asset of the same name.
    record_lat = library.lat + 0.00045
    nearer = Asset.objects.create(
        name="Altrincham Library",
        kind=AssetKind.INSTITUTION,
        lon=library.lon,
        lat=record_lat - 0.00009,
    )
    rows = [
        ["Ref", "Name", "Address", "Lon", "Lat"],
        ["L1", "Altrincham Library", "", str(library.lon), str(record_lat)],
    ]
    report = run(tmp_path, REGISTER_MAPPING, rows, commit=True)
    assert (report.created, report.updated) == (0, 1)
    joined = Asset.objects.get(sources__dataset__slug="test-register")
    assert joined.pk == nearer.pk
    assert not library.sources.filter(dataset__slug="test-register").exists()


def test_an_import_makes_a_bounded_number_of_queries_however_many_rows(tmp_path):
    """The CSV import is bulk: more rows must not mean more queries per row."""
    rng = random.Random(7)
    mapping = '[columns]\nsource_id = "Ref"\nname = "Name"\nlon = "Lon"\nlat = "Lat"\npostcode = "Postcode"\n[fixed]\nkind = "physical"\ncategories = ["council-land"]\n'
    postcodes = list(Postcode.objects.values_list("postcode", flat=True)[:2000])

    def queries(number: int, folder: str) -> int:
        rows = [["Ref", "Name", "Lon", "Lat", "Postcode"]]
        for i in range(number):
            located = i % 4 != 0  # a quarter placed by their postcode instead
            rows.append(
                [
                    f"R{i}",
                    f"Plot {folder}{i}",
                    f"{-2.45 + rng.random() * 0.2:.6f}" if located else "",
                    f"{53.37 + rng.random() * 0.1:.6f}" if located else "",
                    postcodes[i % len(postcodes)],
                ]
            )
        (tmp_path / folder).mkdir()
        with CaptureQueriesContext(connection) as captured:
            report = run(tmp_path / folder, mapping, rows, commit=True, slug=f"test-{folder}")
        assert report.created == number, (report.updated, report.rejected[:3])
        return len(captured)

    small, large = queries(200, "small"), queries(1800, "large")
    # Inserts go in batches (SQLite allows a few dozen rows per statement), so a bigger file
    # takes a few more statements; a query per row would take 1,600 more.
    assert large - small < 0.1 * (1800 - 200), (small, large)


def test_the_mapping_file_parses_as_plain_toml():
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert data["dataset"]["slug"] == REGISTRY["trafford-land-and-buildings"].dataset.slug


@pytest.mark.parametrize(
    "value",
    [
        "",
        "  ",
        "NA",
        "n/a",
        "-",
        "None",
        "nan",
        " Sale ",
        "Sale  Moor",
        "Sale\tMoor",
        "a\nb",
        "NAB",
    ],
)
def test_the_fast_cell_reader_tidies_exactly_as_the_importer_helpers_do(value):
    from livingmap.assets.importers.base import AssetImporter
    from livingmap.assets.importers.mapping import cell

    assert cell({"c": value}, "c") == AssetImporter.text({"c": value}, "c")


# -- a large register: read in a second process, loaded in parts -----------------------------------


def test_a_register_read_in_a_second_process_and_loaded_in_parts_is_stored_as_in_one(
    tmp_path, monkeypatch
):
    """Large files are read and transformed in a second process while the parts before are
    written (`Importer.load_in_parts_of`). Forced here on the real register, in parts of 7
    rows, with a row given again in a later part: the report and the stored records are those
    of the same file read in one process."""
    with REGISTER.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header, *rows = list(reader)
    path = small_csv(tmp_path / "register.csv", [header, *rows, rows[0]])
    mapping = own_slug(tmp_path)
    monkeypatch.setattr(MappedCSVImporter, "load_in_parts_of", 7)
    loads: list[int] = []
    load = MappedCSVImporter.load

    def counted(self: MappedCSVImporter, records: list, report: Any) -> None:
        loads.append(len(records))
        load(self, records, report)

    monkeypatch.setattr(MappedCSVImporter, "load", counted)

    def problems(report: Any) -> tuple[list, list]:
        return sorted((p.row, p.reason) for p in report.rejected), sorted(
            (p.row, p.reason) for p in report.warnings
        )

    in_one = MappedCSVImporter(path, mapping=mapping, read_apart_from_bytes=10**12).run()
    assert loads == [in_one.read - len(in_one.rejected) + 1]  # once; the repeat refused in load
    loads.clear()
    apart = MappedCSVImporter(path, mapping=mapping, read_apart_from_bytes=0).run(commit=True)
    assert not apart.error and len(loads) > 10 and max(loads) == 7
    assert apart.counts() == in_one.counts()
    assert problems(apart) == problems(in_one)
    last_line = f"line {len(rows) + 2}"
    assert (
        last_line,
        f"id {rows[0][header.index('AssetCode')]} appears more than once in the file",
    ) in problems(apart)[0]
    # What the parts stored is what one load stores: read in one process, nothing changes.
    again = MappedCSVImporter(path, mapping=mapping, read_apart_from_bytes=10**12).run(commit=True)
    kept = apart.read - len(apart.rejected)
    assert (again.created, again.updated, again.unchanged) == (0, 0, kept)
    dataset = Dataset.objects.get(slug="test-land-register")
    assert AssetSource.objects.filter(dataset=dataset).count() == kept


def test_a_register_read_in_a_second_process_fails_as_in_one_and_writes_nothing(
    tmp_path, monkeypatch
):
    before = counts()
    monkeypatch.setattr(MappedCSVImporter, "load_in_parts_of", 7)
    latin1 = tmp_path / "register.csv"
    latin1.write_bytes(REGISTER.read_bytes() + "Café,Ñ\n".encode("latin-1"))
    mapping = own_slug(tmp_path)
    in_one = MappedCSVImporter(latin1, mapping=mapping, read_apart_from_bytes=10**12).run(
        commit=True
    )
    apart = MappedCSVImporter(latin1, mapping=mapping, read_apart_from_bytes=0).run(commit=True)
    assert "not UTF-8" in in_one.error and apart.error == in_one.error
    assert counts() == before

    def broken(self: MappedCSVImporter, row: dict, label: str) -> Any:
        if label == "line 40":
            raise KeyError("a bug in transform")
        return transform(self, row, label)

    transform = MappedCSVImporter.transform
    monkeypatch.setattr(MappedCSVImporter, "transform", broken)
    failed = MappedCSVImporter(REGISTER, mapping=mapping, read_apart_from_bytes=0).run(commit=True)
    assert "reading the source failed" in failed.error and "a bug in transform" in failed.error
    assert counts() == before
    assert not Dataset.objects.filter(slug="test-land-register").exists()


def test_a_record_crosses_from_the_reading_process_whole():
    import pickle

    from livingmap.assets.services import AssetRecord

    record = AssetRecord(
        source_id="TMBC0001",
        name="Altrincham Town Hall",
        kind=AssetKind.PHYSICAL,
        categories=["civic-building"],
        lon=-2.35,
        lat=53.38,
        footprint={"type": "Point", "coordinates": [-2.35, 53.38]},
        tenure=Tenure.FREEHOLD,
        uprn="100011234567",
        extra={"holding_type": "Operational", "floors": [1, 2]},
    )
    again = pickle.loads(pickle.dumps(record))  # noqa: S301 - bytes we just made
    assert again == record and again.extra is not record.extra


# -- values that cannot be used -------------------------------------------------------------------


def test_a_value_that_cannot_be_used_is_a_warning_with_its_row_and_the_record_is_kept(tmp_path):
    """An email address that is not one, a web address that is not one (or not http), a UPRN
    or charity number that is not one: each is left out of the record and reported with its
    row in the data-quality report, never dropped in silence. Good values are cleaned as the
    site's forms clean them (https:// added to a bare address, 'mailto:' taken off)."""
    place = a_trafford_postcode()
    header = ["Ref", "Name", "Postcode", "Email", "Web", "UPRN", "Charity"]
    rows = [
        header,
        [
            "1",
            "Good Hall",
            place.postcode,
            "mailto:hello@good.org.uk",
            "www.good.org.uk",
            "100012345678",
            "1123456",
        ],
        ["2", "Bad Email Hall", place.postcode, "hello at bad dot org", "", "", ""],
        ["3", "Bad Web Hall", place.postcode, "", "see our Facebook page", "", ""],
        ["4", "Script Hall", place.postcode, "", "javascript:alert(1)", "", ""],
        ["5", "Bad Numbers Hall", place.postcode, "", "", "12-34", "not registered"],
    ]
    mapping = (
        '[columns]\nsource_id = "Ref"\nname = "Name"\npostcode = "Postcode"\nemail = "Email"\n'
        'website = "Web"\nuprn = "UPRN"\ncharity_number = "Charity"\n[fixed]\nkind = "physical"\n'
    )
    report = run(tmp_path, mapping, rows, commit=True)
    assert not report.error and not report.rejected
    assert report.created + report.updated == 5
    assert [(p.row, p.reason) for p in report.warnings] == [
        ("line 3", "email 'hello at bad dot org' is not an email address: imported without it"),
        (
            "line 4",
            "web address 'see our Facebook page' is not a web address: imported without it",
        ),
        (
            "line 5",
            "web address 'javascript:alert(1)' is not an http or https address: imported without it",
        ),
        ("line 6", "UPRN '12-34' is not a UPRN (at most 12 digits): imported without it"),
        (
            "line 6",
            "charity number 'not registered' is not a registered charity number: imported without it",
        ),
    ]
    sources = AssetSource.objects.filter(dataset__slug="test-register")
    by_ref = {s.source_id: s.asset for s in sources.select_related("asset")}
    good = by_ref["1"]
    assert (good.email, good.website, good.uprn, good.charity_number) == (
        "hello@good.org.uk",
        "https://www.good.org.uk",
        "100012345678",
        "1123456",
    )
    for ref in ("2", "3", "4", "5"):
        asset = by_ref[ref]
        assert (asset.email, asset.website, asset.uprn, asset.charity_number) == ("", "", "", "")
        assert asset.lat == place.lat  # the rest of the record is kept
    # The data-quality report kept with the import says the same.
    event = ImportEvent.objects.get(pk=report.event_id)
    assert [w["row"] for w in event.report["warning_rows"]] == [
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 6",
    ]
