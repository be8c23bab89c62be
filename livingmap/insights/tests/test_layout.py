"""The insights pages' tables and selects at a phone's width (390 px) and a laptop's (1280 px),
measured in headless Chromium.

Each page is rendered by Django's test client and opened from a file with its stylesheets
inlined (no live server is needed: layout depends only on the HTML and the CSS). Skipped with a
reason without Chromium and ChromeDriver; failed instead when LIVINGMAP_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders

from livingmap.core.testing import quit_chromium, require_chromium, start_chromium

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

PHONE, LAPTOP = 390, 1280


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    require_chromium()
    driver = start_chromium(extra_flags=["--hide-scrollbars"])
    yield driver
    quit_chromium(driver)


def _inline(html: str) -> str:
    """The page with each of its stylesheets inlined and its scripts left out."""

    def sheet(match: re.Match[str]) -> str:
        found = finders.find(match.group(1))
        assert found, f"stylesheet {match.group(1)} not found"
        css = Path(found).read_text(encoding="utf-8")
        return f"<style>{css}</style>"

    html = re.sub(r'<link rel="stylesheet" href="/static/([^"]+)">', sheet, html)
    return re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)


def _open(driver: Any, client: Any, url: str, width: int, tmp_path: Path) -> None:
    response = client.get(url)
    assert response.status_code == 200, url
    page = tmp_path / f"page-{width}.html"
    page.write_text(_inline(response.content.decode()), encoding="utf-8")
    driver.set_window_size(width, 900)
    driver.get(page.as_uri())
    # The window's inner width is what the page lays out to.
    assert abs(driver.execute_script("return window.innerWidth") - width) < 20


MEASURE = """
const vw = document.documentElement.clientWidth;
const out = {vw: vw, pageWidth: document.documentElement.scrollWidth, captions: [], tables: []};
for (const caption of document.querySelectorAll("main table caption")) {
  const box = caption.getBoundingClientRect();
  const hidden = caption.classList.contains("govuk-visually-hidden");
  out.captions.push({text: caption.textContent.trim(), left: box.left, right: box.right,
                     hidden: hidden});
}
for (const table of document.querySelectorAll("main table")) {
  const wrap = table.parentElement;
  const style = getComputedStyle(wrap);
  out.tables.push({
    caption: (table.caption || {}).textContent || "",
    wide: table.getBoundingClientRect().right > vw,
    scrolls: ["auto", "scroll"].includes(style.overflowX),
    region: wrap.getAttribute("role") === "region" && !!wrap.getAttribute("aria-label"),
    focusable: wrap.getAttribute("tabindex") === "0",
  });
}
return out;
"""


def _check_tables(driver: Any, url: str) -> dict[str, Any]:
    found = driver.execute_script(MEASURE)
    vw = found["vw"]
    assert found["pageWidth"] <= vw, f"{url}: the page itself scrolls sideways"
    for caption in found["captions"]:
        if caption["hidden"]:
            continue
        # The whole caption is on screen: it wraps to the width of the screen.
        assert caption["left"] >= 0 and caption["right"] <= vw + 1, (url, caption)
    for table in found["tables"]:
        if table["wide"]:
            # A table wider than the screen scrolls inside its own labelled, focusable region.
            assert table["scrolls"] and table["region"] and table["focusable"], (url, table)
    return found


@pytest.mark.parametrize(
    "url",
    [
        "/gaps/",
        "/gaps/?category=library",
        "/neighbourhoods/central/profile/",
        "/participation/",
        "/open-data/",
    ],
)
def test_tables_fit_a_phone(chromium, client, url, tmp_path):
    _open(chromium, client, url, PHONE, tmp_path)
    found = _check_tables(chromium, url)
    assert found["captions"], f"{url} has no table captions"


def test_gaps_flag_column_is_on_screen_on_a_phone(chromium, client, tmp_path):
    """The flag is what the page is for: it is on screen without scrolling the table."""
    from selenium.webdriver.common.by import By

    _open(chromium, client, "/gaps/", PHONE, tmp_path)
    headers = chromium.find_elements(By.CSS_SELECTOR, "main table thead th")
    flags = [h for h in headers if h.text == "Flag"]
    assert len(flags) == 2  # neighbourhoods and small areas
    for flag in flags:
        assert flag.rect["x"] + flag.rect["width"] <= PHONE


TEXT_WIDTH = """
const select = arguments[0];
const style = getComputedStyle(select);
const ctx = document.createElement("canvas").getContext("2d");
ctx.font = style.fontSize + " " + style.fontFamily;
const widths = Array.from(select.options, (o) => ctx.measureText(o.text).width);
return {box: select.clientWidth, selected: widths[select.selectedIndex],
        longest: Math.max(...widths)};
"""
#: Room a select needs beside its text: its padding and the arrow.
SELECT_CHROME = 40


@pytest.mark.parametrize("width", [LAPTOP, PHONE])
def test_gaps_selects_show_their_text(chromium, client, tmp_path, width):
    """At 1280 px every option fits its select (the measure select was cut off: "Index of
    Multiple Deprivation (ra"); on a phone the chosen one does, and each select is as wide as
    the screen."""
    from selenium.webdriver.common.by import By

    _open(chromium, client, "/gaps/", width, tmp_path)
    for name in ("need", "kind", "category"):
        select = chromium.find_element(By.NAME, name)
        m = chromium.execute_script(TEXT_WIDTH, select)
        assert select.rect["x"] + select.rect["width"] <= width
        shown = m["longest"] if width == LAPTOP else m["selected"]
        assert shown + SELECT_CHROME <= m["box"], (width, name, m)
        if width == PHONE:  # as wide as the screen allows, for the longer options
            assert select.rect["width"] >= PHONE - 40


def test_gaps_map_key_is_in_the_site_font(chromium, client, tmp_path):
    """The key to the map was in the browser's serif: GOV.UK Frontend sets no font on the body,
    so the key's "font-family: inherit" took the default. It is in the font of the page's text."""
    from selenium.webdriver.common.by import By

    _open(chromium, client, "/gaps/", LAPTOP, tmp_path)
    key = chromium.find_element(By.CSS_SELECTOR, "dl.lm-legend")
    text = chromium.find_element(By.CSS_SELECTOR, "main p.govuk-body")
    font = "return getComputedStyle(arguments[0]).fontFamily"
    assert chromium.execute_script(font, key) == chromium.execute_script(font, text)
    assert "serif" not in chromium.execute_script(font, key).replace("sans-serif", "")
