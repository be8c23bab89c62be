"""Every public page: real content from the Trafford demo, the GOV.UK frame (without the crown or
its restricted font), no inline script, and the search page's weight."""

from __future__ import annotations

import gzip
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from livingmap.areas.models import Area, AreaLevel
from livingmap.assets.models import Asset, AssetKind
from livingmap.core.models import Dataset

pytestmark = pytest.mark.django_db

SEARCH_PAGE_BUDGET = 150 * 1024  # bytes transferred, gzip, map tiles aside


def text_of(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


class _Page(HTMLParser):
    """What a page loads and how it is built: scripts, stylesheets, headings, the title."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.stylesheets: list[str] = []
        self.headings: list[int] = []
        self.html_lang = ""
        self.title = ""
        self._in_title = False
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag == "html":
            self.html_lang = a.get("lang") or ""
        elif tag == "script":
            self.scripts.append(a)
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(a.get("href") or "")
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def parse(response) -> _Page:
    page = _Page()
    page.feed(response.content.decode())
    return page


def public_pages() -> list[str]:
    library = Asset.objects.get(name="Altrincham Library")
    ward = Area.objects.filter(level=AreaLevel.WARD, is_current=True).order_by("name").first()
    lsoa = Area.objects.filter(level=AreaLevel.LSOA, vintage=2011).order_by("name").first()
    return [
        "/",
        "/assets/",
        "/assets/?q=library&postcode=WA14+1AH&distance=5",
        "/assets/?postcode=nonsense",
        library.get_absolute_url(),
        "/neighbourhoods/",
        "/neighbourhoods/south/",
        ward.get_absolute_url(),
        lsoa.get_absolute_url(),
        "/about/data/",
    ]


def test_home_page_explains_searches_and_counts_assets_by_kind(client):
    response = client.get("/")
    assert response.status_code == 200
    text = text_of(response)
    assert "Find what Trafford has to build on" in text
    html = response.content.decode()
    assert '<form method="get" action="/assets/"' in html
    assert 'name="q"' in html and 'name="postcode"' in html
    for hood in Area.objects.neighbourhoods():
        assert f'href="{hood.get_absolute_url()}">{hood.name}</a>' in html
    assert "gifts and skills are part of every neighbourhood too, but they are private" in text
    total = Asset.objects.public().count()
    assert f"{total:,} community assets in Trafford" in text
    missing = re.search(r"Nothing is on the map yet for (.*?)\. If you know", text)
    assert "None yet" not in text
    for kind in AssetKind:
        if kind == AssetKind.GIFTS:
            continue
        count = Asset.objects.public().filter(kind=kind).count()
        if count:
            assert f"{kind.label} {count:,}" in text
        else:
            assert missing and kind.label.lower() in missing.group(1)


def test_about_data_lists_every_data_set_with_publisher_licence_and_attribution(client):
    response = client.get("/about/data/")
    assert response.status_code == 200
    text = text_of(response)
    datasets = list(Dataset.objects.all())
    assert len(datasets) >= 10
    for dataset in datasets:
        for value in (dataset.name, dataset.publisher, dataset.licence, dataset.attribution):
            assert value in text, (dataset.slug, value)
    # Releases in words, as on the open data page: "4 April 2023", not "2023-04-04".
    dated = [d for d in datasets if re.fullmatch(r"\d{4}-\d{2}-\d{2}", d.release)]
    assert dated
    for dataset in dated:
        assert dataset.release not in text and dataset.release_label in text


def test_every_page_has_the_frame_title_language_and_no_inline_script(client):
    for url in public_pages():
        response = client.get(url)
        assert response.status_code in (200, 400), url
        page = parse(response)
        assert page.html_lang == "en-GB", url
        assert re.fullmatch(r".+ – Living Map – Trafford", page.title.strip()), page.title
        assert page.headings.count(1) == 1, url
        # Headings never skip a level going down.
        for before, after in zip(page.headings, page.headings[1:], strict=False):
            assert after <= before + 1, (url, page.headings)
        for script in page.scripts:
            # Data only (json_script): nothing inline that a strict CSP would have to allow.
            assert script.get("src") or script.get("type") == "application/json", (url, script)
        html = response.content.decode()
        assert 'href="#main-content"' in html and 'id="main-content"' in html
        assert "Living Map" in html and "Trafford" in html
        assert "govuk-crest" not in html and "govuk-footer__crown" not in html
        assert 'href="/about/data/"' in html  # the footer's data licences and attribution
        assert len(page.ids) == len(set(page.ids)), (url, "duplicate ids")


def test_vendored_govuk_css_has_no_restricted_font_or_crest():
    css = Path(finders.find("vendor/govuk-frontend/govuk-frontend.min.css")).read_text()
    assert "@font-face" not in css
    assert "GDS Transport" not in css
    assert "govuk-crest" not in css
    assert "font-family:arial,sans-serif" in css
    for licence in (
        "vendor/govuk-frontend/LICENCE.txt",
        "vendor/leaflet/LICENCE.txt",
        "vendor/leaflet.markercluster/LICENCE.txt",
    ):
        assert finders.find(licence), licence


def _static_weight_gzip(html: str) -> tuple[int, list[str]]:
    """Gzip size of every static file the page loads: stylesheets, scripts, and the icons that
    its HTML and map data name (the favicon, the marker images)."""
    prefix = re.escape(settings.STATIC_URL)
    paths = sorted(set(re.findall(rf'{prefix}([^"\'\s)]+)', html)))
    total = 0
    for path in paths:
        found = finders.find(path)
        assert found, f"{path} is referenced but not found"
        total += len(gzip.compress(Path(found).read_bytes(), compresslevel=6))
    return total, paths


@pytest.mark.parametrize(
    "params",
    [
        {},  # every asset: the most markers the map carries
        {"q": "library", "postcode": "WA14 1AH", "distance": "5"},
    ],
)
def test_search_page_weighs_at_most_150_kb_gzipped_with_its_css_and_js(client, params):
    response = client.get("/assets/", params, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == "gzip"
    html = gzip.decompress(response.content).decode()
    static_bytes, paths = _static_weight_gzip(html)
    assert "vendor/leaflet/leaflet.js" in paths
    assert "vendor/govuk-frontend/govuk-frontend.min.css" in paths
    total = len(response.content) + static_bytes
    assert total <= SEARCH_PAGE_BUDGET, f"{total / 1024:.1f} KB: {paths}"


def test_pages_work_without_javascript(client):
    """The core journey is plain HTML: a GET form, a result list, links to each asset."""
    response = client.get("/assets/", {"q": "library", "postcode": "WA14 1AH", "distance": "5"})
    html = response.content.decode()
    assert re.search(r'<ol class="govuk-list lm-results"', html)
    assert html.count('class="lm-result"') >= 5
    # The map's block is hidden in the HTML; only map.js reveals it.
    assert re.search(r"data-lm-map hidden", html)


def test_number_helpers_read_as_people_say_them():
    from livingmap.core.templatetags.livingmap import distance, ordinal, percent

    assert distance(16) == "20 m"
    assert distance(3) == "under 10 m"
    assert distance(0) == "under 10 m"
    assert distance(12) == "10 m"
    assert distance(1290) == "1.3 km"
    assert distance(5000) == "5 km"
    assert distance(None) == ""
    assert percent(0.0652) == "7%"
    assert percent(0.004) == "less than 1%"
    assert percent(0) == "0%"
    assert percent(None) == "no data"
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd",
    ]  # fmt: skip


def test_pagination_keeps_the_search_and_marks_the_current_page(rf):
    from livingmap.core.templatetags.livingmap import pagination

    request = rf.get("/assets/", {"q": "library", "page": "5"})
    links = pagination(request, 5, 9)
    numbers = [item.number for item in links.items]
    assert numbers == [1, None, 4, 5, 6, None, 9]
    assert [item.number for item in links.items if item.current] == [5]
    assert links.previous_url == "?q=library&page=4"
    assert links.next_url == "?q=library&page=6"
    assert links.items[0].url == "?q=library"  # page 1 has no page parameter
    assert pagination(request, 1, 1) is None
    last = pagination(rf.get("/assets/", {"page": "9"}), 9, 9)
    assert last.next_url == "" and last.previous_url == "?page=8"
