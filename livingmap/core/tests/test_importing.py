"""The import framework on the real Trafford files: dry runs, commits, events, atomicity, bad files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from livingmap.areas.importers.boundaries import BoundaryImporter
from livingmap.areas.importers.postcodes import PostcodeImporter
from livingmap.areas.models import Area, AreaLevel, Postcode
from livingmap.assets.models import AssetArea
from livingmap.core.importing import DatasetInfo, ImportReport, read_csv
from livingmap.core.models import Dataset, ImportEvent

pytestmark = pytest.mark.django_db

TEST_DATASET = DatasetInfo(slug="test-postcodes", name="Test postcodes", licence="OGL")


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def postcode_rows(data_dir: Path) -> list[dict[str, str]]:
    with (data_dir / "trafford-geography/postcodes.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def postcode_importer(path: Path | str) -> PostcodeImporter:
    importer = PostcodeImporter(path)
    importer.dataset = TEST_DATASET
    return importer


def snapshot_postcodes() -> dict[str, tuple]:
    fields = ("postcode", "lon", "lat", "lsoa_code", "ward_code", "msoa_code", "lad_code")
    return {row[0]: row for row in Postcode.objects.values_list(*fields)}


NEW_ROWS = [
    {"pcds": "ZZ1 1AA", "lat": "53.45", "long": "-2.30"},
    {"pcds": "ZZ1 1AB", "lat": "53.46", "long": "-2.31"},
    {"pcds": "ZZ1 1AD", "lat": "53.47", "long": "-2.32"},
]


# -- dry run and commit ------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_and_reports_exactly_what_a_commit_does(data_dir):
    source = data_dir / "trafford-geography/postcodes.csv"
    rows = postcode_rows(data_dir)
    removed = [r["postcode"] for r in rows[::100]]
    Postcode.objects.filter(postcode__in=removed).delete()
    moved = [r["postcode"] for r in rows[1::200]]
    Postcode.objects.filter(postcode__in=moved).update(lat=53.0)
    before = snapshot_postcodes()
    datasets_before = Dataset.objects.count()

    dry = postcode_importer(source).run()

    assert dry.status == ImportEvent.Status.DRY_RUN and not dry.committed
    assert snapshot_postcodes() == before, "a dry run must not change a single row"
    assert Dataset.objects.count() == datasets_before
    expected = {
        "read": len(rows),
        "created": len(removed),
        "updated": len(moved),
        "unchanged": len(rows) - len(removed) - len(moved),
        "skipped": 0,
        "rejected": 0,
        "warnings": 0,
    }
    assert dry.counts() == expected

    done = postcode_importer(source).run(commit=True)

    assert done.status == ImportEvent.Status.COMMITTED
    assert done.counts() == dry.counts()
    assert Postcode.objects.filter(postcode__in=removed).count() == len(removed)
    by_code = {r["postcode"]: r for r in rows}
    for postcode in moved:
        assert Postcode.objects.get(postcode=postcode).lat == float(by_code[postcode]["lat"])
    assert Postcode.objects.filter(source__slug="test-postcodes").count() == len(removed)


def test_a_dry_run_of_boundaries_matches_the_commit_and_a_second_commit_changes_nothing(
    data_dir,
):
    source = data_dir / "trafford-geography/wards_2023.geojson"
    expected = len(json.loads(source.read_text())["features"])
    Area.objects.filter(level=AreaLevel.WARD).delete()

    def importer() -> BoundaryImporter:
        return BoundaryImporter(source, level=AreaLevel.WARD, vintage=2023)

    dry = importer().run()
    assert Area.objects.filter(level=AreaLevel.WARD).count() == 0
    assert dry.counts()["created"] == expected

    first = importer().run(commit=True)
    assert first.counts() == dry.counts()
    assert Area.objects.filter(level=AreaLevel.WARD).count() == expected
    # The assets were put back into the wards (the boundary change reached the assets app).
    assert AssetArea.objects.filter(area__level=AreaLevel.WARD).exists()

    stamps = dict(Area.objects.filter(level=AreaLevel.WARD).values_list("id", "updated_at"))
    second = importer().run(commit=True)
    assert second.counts() == {**first.counts(), "created": 0, "unchanged": expected}
    assert stamps == dict(Area.objects.filter(level=AreaLevel.WARD).values_list("id", "updated_at"))


def test_a_second_committed_run_of_the_real_postcodes_is_all_unchanged(data_dir):
    rows = postcode_rows(data_dir)
    report = postcode_importer(data_dir / "trafford-geography/postcodes.csv").run(commit=True)
    assert report.counts()["unchanged"] == len(rows)
    assert report.created == report.updated == 0


# -- import events -----------------------------------------------------------------------------


def test_every_run_is_kept_as_an_import_event_with_its_report(tmp_path):
    path = write_csv(
        tmp_path / "pc.csv",
        [*NEW_ROWS, {"pcds": "not a postcode", "lat": "53.4", "long": "-2.3"}],
    )
    dry = postcode_importer(path).run()
    committed = postcode_importer(path).run(commit=True)
    failed = postcode_importer(tmp_path / "missing.csv").run(commit=True)

    events = {e.pk: e for e in ImportEvent.objects.filter(importer="postcodes")}
    for report, status in (
        (dry, ImportEvent.Status.DRY_RUN),
        (committed, ImportEvent.Status.COMMITTED),
        (failed, ImportEvent.Status.FAILED),
    ):
        event = events[report.event_id]
        assert event.status == status
        assert event.source == str(report.source)
        assert event.report["status"] == status
        assert event.finished_at >= event.started_at
    for report in (dry, committed):
        event = events[report.event_id]
        assert (event.read, event.created, event.rejected) == (4, 3, 1)
        assert event.report["rejected_rows"] == [
            {"row": "line 5", "reason": event.report["rejected_rows"][0]["reason"]}
        ]
        assert "looks like" in event.report["rejected_rows"][0]["reason"]
    assert events[committed.event_id].dataset.slug == "test-postcodes"
    assert "missing.csv" in events[failed.event_id].report["error"]


def test_the_import_history_command_lists_and_shows_events(tmp_path):
    path = write_csv(tmp_path / "pc.csv", NEW_ROWS)
    report = postcode_importer(path).run()
    out = _call("import_history")
    assert f"{report.event_id:>5}" in out and "dry_run" in out and "postcodes" in out
    shown = json.loads(_call("import_history", str(report.event_id)))
    assert shown["created"] == 3 and shown["status"] == "dry_run"
    with pytest.raises(CommandError, match="no import event 999999"):
        _call("import_history", "999999")


def test_import_history_says_why_an_import_failed_and_refuses_a_limit_below_one(tmp_path):
    failed = postcode_importer(tmp_path / "missing.csv").run(commit=True)
    out = _call("import_history", "--limit", "1")
    assert f"{failed.event_id:>5}" in out and "failed" in out
    assert "why it failed: cannot open" in out and "missing.csv" in out
    for limit in ("-5", "0", "ten"):
        with pytest.raises(CommandError, match="is not a whole number of 1 or more"):
            _call("import_history", "--limit", limit)
    ImportEvent.objects.all().delete()
    assert _call("import_history").strip() == "No imports yet."


def test_a_failed_import_command_leaves_its_error_to_be_printed_once(tmp_path):
    """The report says FAILED; the reason is the CommandError's, which Django prints (on
    standard error), so the data officer reads it once, not twice."""
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError, match="cannot open") as raised:
        call_command("import_postcodes", str(tmp_path / "nope.csv"), stdout=out)
    assert "FAILED" in out.getvalue()
    assert "cannot open" not in out.getvalue()
    assert "nope.csv" in str(raised.value)


# -- atomicity -----------------------------------------------------------------------------------


class ExplodingPostcodes(PostcodeImporter):
    """Writes its rows, then fails: as a bug or a lost database connection would."""

    def load(self, records, report: ImportReport) -> None:
        super().load(records, report)
        assert Postcode.objects.filter(postcode="ZZ1 1AA").exists()  # really written
        raise RuntimeError("the disk is full")


class DuplicatingPostcodes(PostcodeImporter):
    """Writes its rows, then breaks a unique constraint (a database error part-way)."""

    def load(self, records, report: ImportReport) -> None:
        super().load(records, report)
        Postcode.objects.create(postcode="M15 4AB")


@pytest.mark.parametrize(
    ("importer_class", "message"),
    [(ExplodingPostcodes, "the disk is full"), (DuplicatingPostcodes, "")],
)
def test_an_error_part_way_through_load_leaves_nothing_behind(tmp_path, importer_class, message):
    path = write_csv(tmp_path / "pc.csv", NEW_ROWS)
    importer = importer_class(path)
    importer.dataset = DatasetInfo(slug="never-kept", name="Never kept", licence="OGL")
    before = Postcode.objects.count()

    report = importer.run(commit=True)

    assert report.status == ImportEvent.Status.FAILED
    assert not report.committed
    assert message in report.error
    assert "unexpected error" in report.error
    assert report.traceback
    assert Postcode.objects.count() == before
    assert not Postcode.objects.filter(postcode__startswith="ZZ1").exists()
    assert not Dataset.objects.filter(slug="never-kept").exists()
    event = ImportEvent.objects.get(pk=report.event_id)
    assert event.status == ImportEvent.Status.FAILED
    assert event.dataset is None
    assert event.report["error"] == report.error
    assert "Traceback" in event.report["traceback"]
    if importer_class is DuplicatingPostcodes:
        assert "IntegrityError" in report.error


class FailingWards(BoundaryImporter):
    def after(self, report: ImportReport) -> None:
        super().after(report)
        raise RuntimeError("stopped after the boundaries were written")


def test_an_error_after_loading_boundaries_leaves_areas_and_asset_links_as_they_were(data_dir):
    source = data_dir / "trafford-geography/wards_2023.geojson"
    Area.objects.filter(level=AreaLevel.WARD).delete()
    links = AssetArea.objects.count()

    report = FailingWards(source, level=AreaLevel.WARD, vintage=2023).run(commit=True)

    assert report.status == ImportEvent.Status.FAILED
    assert "stopped after the boundaries were written" in report.error
    assert not Area.objects.filter(level=AreaLevel.WARD).exists()
    assert AssetArea.objects.count() == links


# -- whole-file errors ---------------------------------------------------------------------------

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\xff\xfe\x00\x00"


def _make_bad_source(tmp_path: Path, data_dir: Path, kind: str) -> tuple[Path, str]:
    """A bad file and the words its error must contain."""
    path = tmp_path / f"{kind}.csv"
    if kind == "missing":
        return tmp_path / "no-such-file.csv", "cannot open"
    if kind == "directory":
        return tmp_path, "cannot open"
    if kind == "binary":
        path.write_bytes(PNG_BYTES)
        return path, "is not UTF-8 text, so not a CSV file"
    if kind == "geojson-as-csv":
        path.write_text((data_dir / "trafford-geography/localities_2023.geojson").read_text())
        return path, "no postcode column"
    if kind == "no-postcode-column":
        return write_csv(path, [{"code": "M15 4AB", "lat": "53.4"}]), "no postcode column"
    if kind == "zero-bytes":
        path.write_bytes(b"")
        return path, "empty"
    if kind == "header-only":
        path.write_text("pcds,lat,long\n")
        return path, "no rows"
    if kind == "latin-1":
        path.write_bytes("pcds,lat,long,name\nM15 4AB,53.4,-2.2,Caf\u00e9\n".encode("latin-1"))
        return path, "is not UTF-8 text"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "missing",
        "directory",
        "binary",
        "geojson-as-csv",
        "no-postcode-column",
        "zero-bytes",
        "header-only",
        "latin-1",
    ],
)
def test_a_csv_that_cannot_be_read_fails_with_a_clear_message_and_writes_nothing(
    tmp_path, data_dir, kind
):
    path, words = _make_bad_source(tmp_path, data_dir, kind)
    before = snapshot_postcodes()

    report = postcode_importer(path).run(commit=True)

    assert report.status == ImportEvent.Status.FAILED
    assert words in report.error
    assert "unexpected" not in report.error, "a bad file is not a bug"
    assert snapshot_postcodes() == before
    assert not Dataset.objects.filter(slug="test-postcodes").exists()
    assert ImportEvent.objects.get(pk=report.event_id).status == ImportEvent.Status.FAILED


def test_a_csv_lacking_required_columns_names_them(tmp_path):
    path = write_csv(tmp_path / "imd.csv", [{"lsoa_code": "E01006074", "IMD_rank": "1"}])
    from livingmap.areas.importers.indicators import IMD2019Importer

    report = IMD2019Importer(path).run(commit=True)
    assert report.status == ImportEvent.Status.FAILED
    assert "lacks the column(s)" in report.error
    assert "IMD_decile" in report.error and "Income_rank" in report.error


def _geojson(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("pcds,lat\nM15 4AB,53.4\n", "not valid JSON"),
        (
            {"type": "Feature", "geometry": None, "properties": {}},
            "not a GeoJSON FeatureCollection",
        ),
        ([1, 2, 3], "not a GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection"}, "no list of features"),
        ({"type": "FeatureCollection", "features": []}, "no rows"),
        (
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {"name": "x"}, "geometry": None}],
            },
            "lack the properties area_code, area_name",
        ),
        (
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"area_code": "E05000001", "area_name": "A"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [
                                    [380000, 395000],
                                    [381000, 395000],
                                    [381000, 396000],
                                    [380000, 395000],
                                ]
                            ],
                        },
                    }
                ],
            },
            "EPSG::27700, not WGS84",
        ),
    ],
)
def test_a_geojson_that_cannot_be_used_fails_with_a_clear_message(tmp_path, content, words):
    path = tmp_path / "areas.geojson"
    if isinstance(content, str):
        path.write_text(content)
    else:
        _geojson(path, content)
    areas = Area.objects.count()

    report = BoundaryImporter(path, level=AreaLevel.WARD, vintage=2030).run(commit=True)

    assert report.status == ImportEvent.Status.FAILED
    assert words in report.error
    assert Area.objects.count() == areas


def test_progress_is_reported_with_the_rows_read(data_dir):
    calls: list[tuple[int, int | None]] = []
    report = postcode_importer(data_dir / "trafford-geography/postcodes.csv").run(
        progress=lambda done, total: calls.append((done, total))
    )
    assert calls[-1][0] == report.read
    assert [done for done, _ in calls[:-1]] == list(range(1000, report.read + 1, 1000))


# -- the import commands ----------------------------------------------------------------------


def _call(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_postcodes_command_is_a_dry_run_without_commit(tmp_path):
    path = write_csv(tmp_path / "pc.csv", [*NEW_ROWS, {"pcds": "M15", "lat": "", "long": ""}])

    out = _call("import_postcodes", str(path))

    assert "DRY RUN" in out and "nothing was written" in out
    assert not Postcode.objects.filter(postcode__startswith="ZZ1").exists()
    assert "line 5: 'M15' is not a postcode" in out
    event = ImportEvent.objects.order_by("-pk").first()
    assert event.status == ImportEvent.Status.DRY_RUN
    assert f"import event {event.pk}" in out


def test_import_postcodes_command_commits_and_prints_the_counts(tmp_path):
    path = write_csv(tmp_path / "pc.csv", NEW_ROWS)
    out = _call("import_postcodes", str(path), "--commit")
    assert "COMMITTED" in out and "DRY RUN" not in out
    assert Postcode.objects.filter(postcode__startswith="ZZ1").count() == 3
    # The table of counts: read 3, created 3.
    header = next(line for line in out.splitlines() if "created" in line)
    values = out.splitlines()[out.splitlines().index(header) + 2]
    numbers = [int(cell) for cell in values.replace("│", " ").split()]
    assert numbers[:4] == [3, 3, 0, 0]


def test_an_import_command_that_fails_says_so_and_raises(tmp_path):
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError, match="cannot open"):
        call_command("import_postcodes", str(tmp_path / "nope.csv"), "--commit", stdout=out)
    assert "FAILED" in out.getvalue()


def test_a_csv_with_semicolons_between_values_says_so(tmp_path):
    path = tmp_path / "pc.csv"
    path.write_text("pcds;lat;long\nZZ1 1AA;53.45;-2.30\n")
    report = postcode_importer(path).run()
    assert report.error == (
        "pc.csv seems to have ';' between its values, not ',': "
        "save it again as CSV (comma delimited)"
    )


def test_an_import_command_on_a_database_not_yet_migrated_says_to_migrate(tmp_path, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    path = write_csv(tmp_path / "pc.csv", NEW_ROWS)
    with pytest.raises(CommandError, match=r"run `livingmap migrate` first"):
        _call("import_postcodes", str(path))
    assert not ImportEvent.objects.filter(source=str(path)).exists()


def test_import_boundaries_command_reports_rejected_rows(data_dir):
    from io import StringIO

    out = StringIO()
    call_command(
        "import_boundaries",
        str(data_dir / "trafford-geography/wards_2023.geojson"),
        "--level",
        "lsoa",
        "--vintage",
        "2021",
        "--commit",
        stdout=out,
    )
    text = out.getvalue()
    assert "Rejected (21)" in text
    assert "is not a Lower layer super output area (LSOA) code" in text


def test_import_indicators_command_without_a_file_fails_cleanly_and_loads_nothing():
    """It never falls back on the demo's file: the file must be given."""
    from livingmap.core.models import ImportEvent

    events = ImportEvent.objects.count()
    with pytest.raises(CommandError, match="the following arguments are required: file"):
        _call("import_indicators", "population")
    assert ImportEvent.objects.count() == events


def test_import_indicators_command_with_a_missing_file_fails_cleanly(tmp_path):
    with pytest.raises(CommandError, match="cannot open"):
        _call("import_indicators", "population", str(tmp_path / "nothing.csv"))


def test_an_importer_that_cannot_be_built_is_a_command_error(tmp_path):
    path = _geojson(tmp_path / "a.geojson", {"type": "FeatureCollection", "features": []})
    from livingmap.core.commands import ImportCommand
    from livingmap.core.importing import SourceError

    class Broken(ImportCommand):
        def get_importer(self, options):
            raise SourceError(f"{path.name}: give the level")

    with pytest.raises(CommandError, match="give the level"):
        Broken().handle(commit=False, all_problems=False)


def test_a_row_with_more_values_than_columns_is_rejected_and_a_trailing_comma_is_not(tmp_path):
    path = tmp_path / "pc.csv"
    path.write_text(
        "pcds,lat,long\n"
        "ZZ1 1AA,53.45,-2.30\n"
        "ZZ1 1AB,53.46,-2.31,\n"  # a trailing comma: harmless
        '"ZZ1 1AD",53,47,-2.32\n'  # 53,47 was meant to be 53.47: columns shift
    )
    report = postcode_importer(path).run(commit=True)
    assert report.created == 2
    assert [(p.row, p.reason) for p in report.rejected] == [
        (
            "line 4",
            "1 more value(s) than the header has columns "
            "(is there a comma inside a value that is not in quotes?)",
        )
    ]
    assert not Postcode.objects.filter(postcode="ZZ1 1AD").exists()


def test_csv_rows_come_as_the_header_names_them_and_misshapen_rows_say_why(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(
        "\ufeffname,postcode,note\r\n"
        "Sale Library,M33 7YH,open\r\n"
        "\r\n"
        '"Hale Library, upstairs",WA15 9AS\r\n'
        "Coppice Library,M33 4ND,a,b\r\n"
        '"Lostock\r\nLibrary",M32 9PL,\r\n'.encode()
    )
    rows = list(read_csv(path, frozenset({"name"})))
    assert rows == [
        ("line 2", {"name": "Sale Library", "postcode": "M33 7YH", "note": "open"}),
        (
            "line 4",
            {
                "name": "Hale Library, upstairs",
                "postcode": "WA15 9AS",
                "note": None,
                None: "1 fewer value(s) than the header has columns "
                "(is a comma missing, or the row cut short?)",
            },
        ),
        ("line 5", {"name": "Coppice Library", "postcode": "M33 4ND", "note": "a", None: ["b"]}),
        ("lines 6-7", {"name": "Lostock\r\nLibrary", "postcode": "M32 9PL", "note": ""}),
    ]


def test_a_value_over_several_lines_with_commas_and_a_header_with_a_trailing_comma_are_fine(
    tmp_path,
):
    path = tmp_path / "clubs.csv"
    path.write_text(
        "name,postcode,description,phone,\n"
        'Sale Club,M33 7YH,"Meets weekly.\nTea, cake, games, crafts",0161 000 0000\n'
        "Hale Club,WA15 9AS,Choir,0161 111 1111,\n"
    )
    rows = list(read_csv(path))
    assert rows == [
        (
            "lines 2-3",
            {
                "name": "Sale Club",
                "postcode": "M33 7YH",
                "description": "Meets weekly.\nTea, cake, games, crafts",
                "phone": "0161 000 0000",
            },
        ),
        (
            "line 4",
            {
                "name": "Hale Club",
                "postcode": "WA15 9AS",
                "description": "Choir",
                "phone": "0161 111 1111",
                None: [""],
            },
        ),
    ]


def test_a_quote_left_open_is_reported_with_its_row_and_nothing_after_it_is_lost(tmp_path):
    path = tmp_path / "pc.csv"
    path.write_text(
        "pcds,lat,long\n"
        "ZZ1 1AA,53.45,-2.30\n"
        '"ZZ1 1AB,53.46,-2.31\n'  # the quote is never closed ...
        "ZZ1 1AD,53.47,-2.32\n"
        'ZZ1 1AE,53.48,-2.33,"\n'  # ... until here, taking two rows with it
        "ZZ1 1AF,53.49,-2.34\n"
        "ZZ1 1AG,53.50\n"  # cut short
    )
    report = postcode_importer(path).run(commit=True)
    assert report.read == 4
    assert report.created == 2
    assert [p.row for p in report.rejected] == ["lines 3-5", "line 7"]
    assert 'holds 2 whole row(s): is a quote (") missing its closing quote?' in (
        report.rejected[0].reason
    )
    assert "1 fewer value(s) than the header has columns" in report.rejected[1].reason
    assert set(
        Postcode.objects.filter(postcode__startswith="ZZ1").values_list("postcode", flat=True)
    ) == {
        "ZZ1 1AA",
        "ZZ1 1AF",
    }


def test_running_every_demo_geography_import_again_changes_nothing():
    from livingmap.areas.manifest import geography_importers
    from livingmap.assets.demo import demo_manifests

    links = AssetArea.objects.count()
    for importer in geography_importers(demo_manifests()[0]):
        report = importer.run(commit=True)
        assert report.status == ImportEvent.Status.COMMITTED, report.error
        assert (report.created, report.updated, report.rejected) == (0, 0, []), report.importer
        assert report.unchanged > 0
    assert AssetArea.objects.count() == links


def test_import_indicators_command_prints_its_report(settings):
    out = _call(
        "import_indicators",
        "imd2019",
        str(settings.LIVINGMAP_DATA_DIR / "imd2019/imd2019_lsoa_trafford.csv"),
    )
    assert "imd2019" in out and "DRY RUN" in out
    header = next(line for line in out.splitlines() if "unchanged" in line)
    cells = out.splitlines()[out.splitlines().index(header) + 2].replace("│", " ").split()
    assert [int(c) for c in cells[:4]] == [138, 0, 0, 138 * 16]


# -- helpers for bulk writes ---------------------------------------------------------------------


def test_json_text_writes_what_json_dumps_does_and_refuses_what_it_refuses():
    import datetime as dt

    from livingmap.core.importing import json_text

    value = {
        "name": "Café — “quoted” \\ back\nslash",
        "lon": -2.349975,
        "lat": 53.0,
        "n": 7,
        "big": 2**70,  # beyond orjson's 64 bits: json.dumps writes it
        "categories": ["a", "b"],
        "nothing": None,
        "yes": True,
    }
    assert json.loads(json_text(value)) == value
    assert json.loads(json_text({"a": [1, 2.5]})) == {"a": [1, 2.5]}
    with pytest.raises(TypeError):
        json_text({"when": dt.date(2026, 12, 3)})  # as Django's JSONField refuses it


def test_the_cycle_collector_is_paused_for_an_import_and_resumed_after_even_on_error():
    import gc

    from livingmap.core.importing import cycle_collector_paused

    assert gc.isenabled()
    with cycle_collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cycle_collector_paused():
        raise RuntimeError("bad row")
    assert gc.isenabled()
    gc.disable()
    try:
        with cycle_collector_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_alongside_runs_the_work_in_another_thread_and_returns_its_result():
    import threading

    from livingmap.core.importing import alongside

    ran: list[str] = []
    here = threading.get_ident()
    result = alongside(
        lambda: ran.append("statement"), lambda: (threading.get_ident() != here, "rows")
    )
    assert ran == ["statement"] and result == (True, "rows")

    def broken() -> None:
        raise ValueError("a bad record")

    with pytest.raises(ValueError, match="a bad record"):
        alongside(lambda: None, broken)


def test_a_row_with_a_nul_or_control_character_is_rejected_and_the_rest_imported(tmp_path):
    """PostgreSQL cannot store NUL (SQLite would): the row is refused on both, with the column
    named, before anything reaches the database; tabs and line breaks inside a value are text."""
    path = tmp_path / "pc.csv"
    path.write_bytes(
        b"pcds,lat,long\n"
        b"ZZ1 1AA,53.45,-2.30\n"
        b"ZZ1 1AB\x00,53.46,-2.31\n"
        b'ZZ1 1AD,53.47,"-2.32\x1b"\n'
        b'"ZZ1\t1AE",53.48,-2.33\n'
    )
    report = postcode_importer(path).run(commit=True)
    assert [(p.row, p.reason) for p in report.rejected] == [
        ("line 3", 'the column "pcds" contains a NUL character (U+0000)'),
        ("line 4", 'the column "long" contains a control character (U+001B)'),
    ]
    assert set(
        Postcode.objects.filter(postcode__startswith="ZZ1").values_list("postcode", flat=True)
    ) >= {"ZZ1 1AA"}
    assert not Postcode.objects.filter(postcode="ZZ1 1AB").exists()
