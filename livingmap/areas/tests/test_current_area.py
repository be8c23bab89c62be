"""The area the site is about comes from the data loaded, never from the code: its name, its
example postcodes and the map's starting view; and no product code names the demo's area."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

import livingmap
from livingmap.areas.manifest import read_manifest
from livingmap.areas.models import Area, AreaLevel, LoadedArea
from livingmap.areas.selectors import current_area, forget_current_area
from livingmap.areas.services import record_loaded_area
from livingmap.core.text import PostcodeError, normalise_postcode

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_area():
    forget_current_area()
    yield
    forget_current_area()


@pytest.fixture
def demo(data_dir):
    return read_manifest(data_dir / "areas/trafford/area.toml")


def test_the_current_area_is_the_loaded_one_with_its_examples_and_bounds(demo):
    area = current_area()
    lad = Area.objects.get(level=AreaLevel.LOCAL_AUTHORITY, gss_code=demo.code)
    assert (area.name, area.code) == (demo.name, demo.code)
    assert (area.hint_postcode, area.example_postcode) == tuple(demo.example_postcodes)
    assert area.bounds == (lad.min_lon, lad.min_lat, lad.max_lon, lad.max_lat)
    assert area.map_view == [[lad.min_lat, lad.min_lon], [lad.max_lat, lad.max_lon]]


def test_pages_show_the_loaded_areas_name_example_postcode_and_view(client, demo):
    home = client.get("/").content.decode()
    assert f'<span class="govuk-header__product-name lm-header__area">{demo.name}</span>' in home
    assert f"Find what {demo.name} has to build on" in home
    assert f"for example {demo.example_postcodes[0]}" in home
    view = re.search(r'<script id="area-view" type="application/json">(.*?)</script>', home)
    assert json.loads(view.group(1)) == current_area().map_view
    search = client.get("/assets/").content.decode()
    assert f"For example {demo.example_postcodes[0]}" in search
    wrong = client.get("/assets/", {"postcode": "WA14"}).content.decode()
    assert f"A postcode looks like {demo.example_postcodes[-1]}" in wrong


def test_messages_about_a_mistyped_postcode_give_a_real_one_of_the_area(demo):
    with pytest.raises(PostcodeError, match=f"A postcode looks like {demo.example_postcodes[-1]}"):
        normalise_postcode("not one")
    with pytest.raises(PostcodeError, match=f"Enter a postcode, like {demo.example_postcodes[-1]}"):
        normalise_postcode("")


def test_with_several_areas_loaded_the_setting_chooses_the_default(settings, demo):
    Area.objects.filter(gss_code=demo.code).update(name="Borough of Somewhere")
    record_loaded_area(code="E07999901", name="Southwold Marshes", example_postcodes=["nr991aa"])
    assert current_area().name == demo.name  # the first loaded
    settings.LIVINGMAP_AREA = "E07999901"
    forget_current_area()
    marshes = current_area()
    assert (marshes.name, marshes.hint_postcode, marshes.bounds) == (
        "Southwold Marshes",
        "NR99 1AA",
        None,  # its boundary is not loaded
    )


def test_without_a_manifest_the_name_and_example_come_from_the_boundary_and_postcodes(demo):
    LoadedArea.objects.all().delete()
    forget_current_area()
    area = current_area()
    assert area.name == Area.objects.get(level=AreaLevel.LOCAL_AUTHORITY).name
    assert area.example_postcode and area.code == demo.code
    assert area.example_postcode == area.hint_postcode


def test_with_nothing_loaded_the_site_says_the_area_and_gives_no_example(client):
    LoadedArea.objects.all().delete()
    Area.objects.all().delete()
    forget_current_area()
    area = current_area()
    assert (area.name, area.example_postcode, area.map_view) == ("the area", "", None)
    with pytest.raises(PostcodeError) as raised:
        normalise_postcode("not one")
    assert str(raised.value) == "'not one' is not a postcode."
    home = client.get("/").content.decode()
    assert "To find what is nearest</div>" in home and 'id="area-view"' not in home


# -- no product code names the demo's area -----------------------------------------------------------

PRODUCT = Path(livingmap.__file__).parent
#: Files that still name the demo's area, each for a reason outside this change.
PENDING = {
    "assets/importers/trafford.py": "the demo's layers as code, to become mapping files",
    "assets/importers/__init__.py": "imports trafford.py to register its layers",
}
TEXT = {".py", ".html", ".js", ".css", ".txt", ".toml", ".json", ".md"}
POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b")
GSS = re.compile(r"\b[ENSW]\d{8}\b")


def _product_files() -> list[Path]:
    return [
        p
        for p in PRODUCT.rglob("*")
        if p.suffix in TEXT
        and not {"tests", "migrations"} & set(p.relative_to(PRODUCT).parts)  # history
        and str(p.relative_to(PRODUCT)) not in PENDING
    ]


def _demo_mentions(data_dir: Path, demo) -> tuple[list[str], set[str], set[str]]:
    """What names the demo's area: its name, its publisher's, its example postcodes' districts,
    the old map centre; any of its postcodes; any of its boundaries' GSS codes."""
    with (data_dir / "trafford-geography/postcodes.csv").open(newline="") as handle:
        postcodes = {row["postcode"].strip().upper() for row in csv.DictReader(handle)}
    codes = {demo.code}
    for step in demo.boundaries:
        features = json.loads(demo.file(step).read_text())["features"]
        codes |= {f["properties"].get("area_code", "") for f in features}
    words = [demo.name.lower(), "data lab", "53.45", "-2.35"]
    words += [p.split()[0].lower() for p in demo.example_postcodes]  # "wa14", "m32"
    return words, postcodes, codes


def _mentions(text: str, words: list[str], postcodes: set[str], codes: set[str]) -> list[str]:
    lowered = text.lower()
    found = [w for w in words if re.search(rf"(?<![\w.]){re.escape(w)}\b", lowered)]
    found += [
        f"postcode {m.group(1)} {m.group(2)}"
        for m in POSTCODE.finditer(text)
        if f"{m.group(1)} {m.group(2)}" in postcodes
    ]
    return found + [f"area code {c}" for c in GSS.findall(text) if c in codes]


def test_no_product_code_names_the_demo_area_its_postcodes_codes_or_centre(data_dir, demo):
    mentions = _demo_mentions(data_dir, demo)
    files = _product_files()
    assert len(files) > 200  # the scan reads the product code, not an empty folder
    found = [
        f"{path.relative_to(PRODUCT)}: {m}"
        for path in files
        for m in _mentions(path.read_text(encoding="utf-8", errors="replace"), *mentions)
    ]
    assert not found, found


def test_the_scan_finds_each_kind_of_mention(data_dir, demo):
    mentions = _demo_mentions(data_dir, demo)
    sample = (
        f'hint = "For example {demo.example_postcodes[0]}"\n'
        f'bank = "{demo.name.upper()} Time Bank"\n'
        f"map.setView([53.45, -2.35], 11)\n"
        f"build_neighbourhood X {demo.code}\n"
        "publisher = 'via Trafford Data Lab'\n"
    )
    found = _mentions(sample, *mentions)
    assert f"postcode {demo.example_postcodes[0]}" in found
    assert f"area code {demo.code}" in found
    assert {demo.name.lower(), "data lab", "53.45", "-2.35"} <= set(found)
    assert _mentions("A postcode looks like AB1 2CD; version 2.35.1; E05999999", *mentions) == []
