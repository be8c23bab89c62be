"""The gaps page's query on the real Trafford demo: what it refuses, how it says so, and that
the page, its CSV and the API answer the same question the same way."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from livingmap.insights import selectors

pytestmark = pytest.mark.django_db

GAPS = "/gaps/"
API = "/api/insights/gaps"


def text_of(response) -> str:
    """The page's text with tags removed and whitespace collapsed, for reading like a person."""
    html = response.content.decode()
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


# -- 1. A bad query is refused, on the page and in the download ----------------------------------

BAD = [
    ({"need": "zzz"}, "need"),
    ({"kind": "zzz"}, "kind"),
    ({"category": "zzz"}, "category"),
    ({"kind": "gifts"}, "kind"),  # private: not a choice
    ({"category": "skill"}, "category"),  # people's gifts and skills: not a choice
    ({"need": "income-rank", "category": "zzz"}, "category"),
]


@pytest.mark.parametrize(("params", "parameter"), BAD)
def test_csv_of_a_bad_query_is_400_in_words_not_the_default_table(client, params, parameter):
    response = client.get(GAPS, {**params, "format": "csv"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "Content-Disposition" not in response  # nothing to save as livingmap-gaps-….csv
    text = response.content.decode()
    assert f"{parameter}: " in text  # names the parameter
    assert repr(params[parameter]) in text  # and the value it could not use
    assert "imd_average_rank" not in text  # not the default table


def test_csv_names_every_bad_parameter(client):
    response = client.get(GAPS, {"need": "nope", "kind": "zzz", "format": "csv"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "need: " in text and "'nope'" in text
    assert "kind: " in text and "'zzz'" in text


@pytest.mark.parametrize(("params", "parameter"), BAD)
def test_page_of_a_bad_query_is_400_with_no_table_and_no_download(client, params, parameter):
    response = client.get(GAPS, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert f'href="#{parameter}"' in html  # the summary links to the field
    assert "format=csv" not in html  # no download of figures that were not asked for
    assert "Small areas, most deprived first" not in html  # nor a table of them
    assert 'id="gaps-map-data"' not in html
    assert "<title>Error: " in html


def test_a_good_query_still_downloads_what_was_asked(client):
    response = client.get(GAPS, {"need": "income-rank", "category": "library"})
    assert response.status_code == 200
    assert "format=csv" in response.content.decode()
    response = client.get(GAPS, {"need": "income-rank", "category": "library", "format": "csv"})
    assert response.status_code == 200
    assert "livingmap-gaps-income-rank-library.csv" in response["Content-Disposition"]
    rows = _csv(response)
    assert "income_average_rank" in rows[0]
    located = selectors.gaps(selectors.GapsQuery(need="income-rank", category="library"))
    assert len(rows) == len(located.lsoas) + len(located.neighbourhoods)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": ["association", "physical"]}, "Choose one kind of asset, or Any kind"),
        ({"category": ["library", "allotments"]}, "Choose one category, or Any category"),
        ({"need": ["imd-rank", "income-rank"]}, "Choose one measure of need"),
    ],
)
def test_a_repeated_filter_is_refused_not_narrowed_to_its_last_value(client, params, message):
    response = client.get(GAPS, params)
    assert response.status_code == 400
    assert message in text_of(response)
    response = client.get(GAPS, {**params, "format": "csv"})
    assert response.status_code == 400
    assert message in response.content.decode()
    # The API too: it took the last value, and answered for it alone.
    response = client.get(API, params)
    assert response.status_code == 400
    (name,) = params
    assert f"Give {name} once" in response.json()["detail"]


# -- 2. Messages a person can act on -------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": "zzz"}, "Choose a kind of asset from the list: 'zzz' is not one of them"),
        ({"kind": "gifts"}, "Choose a kind of asset from the list: 'gifts' is not one of them"),
        ({"category": "zzz"}, "Choose a category from the list: 'zzz' is not one of them"),
        ({"need": "zzz"}, "Choose a measure of need from the list: 'zzz' is not one of them"),
    ],
)
def test_bad_choices_have_friendly_messages_in_the_govuk_pattern(client, params, message):
    response = client.get(GAPS, params)
    text = text_of(response)
    assert "Select a valid choice" not in text
    assert "is not one of the available choices" not in text
    assert "There is a problem" in text
    html = response.content.decode()
    (field,) = params
    # In the summary, linked to the field …
    summary = html.split('class="govuk-error-summary', 1)[1].split("</div>\n</div>", 1)[0]
    assert f'<a href="#{field}">' in summary and message.replace("'", "&#x27;") in summary
    # … and again at the field, which is marked as in error.
    assert f'id="{field}-error" class="govuk-error-message"' in html
    assert f'class="govuk-select govuk-!-width-full govuk-select--error" id="{field}"' in html
    assert message in text


# -- 3. A kind or a category, not both -----------------------------------------------------------

BOTH = {"kind": "physical", "category": "library"}
NOT_BOTH = "Choose a kind of asset or a category, not both"


def test_choosing_a_kind_and_a_category_is_refused_everywhere(client):
    response = client.get(GAPS, BOTH)
    assert response.status_code == 400
    assert NOT_BOTH in text_of(response)
    assert "format=csv" not in response.content.decode()
    response = client.get(GAPS, {**BOTH, "format": "csv"})
    assert response.status_code == 400
    assert NOT_BOTH in response.content.decode()
    response = client.get(API, BOTH)
    assert response.status_code == 400
    assert NOT_BOTH in response.json()["detail"]
    with pytest.raises(selectors.GapsError, match=NOT_BOTH):
        selectors.gaps(selectors.GapsQuery(**BOTH))


def test_the_form_says_kind_or_category_and_the_summary_names_the_one_chosen(client):
    html = client.get(GAPS).content.decode()
    assert "Or a category of asset" in html
    assert "Choose a kind or a category, not both" in html  # the hint says so before it matters
    text = text_of(client.get(GAPS, {"category": "library"}))
    libraries = selectors.gaps(selectors.GapsQuery(category="library")).assets_located
    assert f"Assets: libraries ({libraries:,} with a location)" in text
    text = text_of(client.get(GAPS, {"kind": "physical"}))
    physical = selectors.gaps(selectors.GapsQuery(kind="physical")).assets_located
    assert f"Assets: {selectors.GapsQuery(kind='physical').label} ({physical:,} with" in text


# -- 4. The map's key is in the site's font ------------------------------------------------------


def test_map_key_uses_the_site_font_not_the_browser_default(client):
    html = client.get(GAPS).content.decode()
    legend = re.search(r'<dl class="([^"]*)"[^>]*aria-label="Key to the map"', html)
    assert legend is not None
    assert {"lm-legend", "govuk-body"} <= set(legend.group(1).split())
    css = Path(finders.find("insights/insights.css")).read_text(encoding="utf-8")
    rule = re.search(r"\.lm-legend\s*\{([^}]*)\}", css)
    assert rule is not None
    # "inherit" took the body's font, which GOV.UK Frontend leaves as the browser's serif.
    assert "font-family" not in rule.group(1)


# -- 5. The API describes the measures of need it takes ------------------------------------------


def test_openapi_lists_the_measures_of_need_the_selector_takes(client):
    spec = client.get("/api/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/insights/gaps"]["get"]["parameters"]}
    need = params["need"]["schema"]
    assert need["enum"] == list(selectors.NEED_MEASURES)
    assert need["default"] == "imd-rank"
    # The same list the page offers and the selector accepts: every one is held on the demo.
    assert [i.slug for i in selectors.need_indicators()] == need["enum"]
    assert len(need["enum"]) == 8  # IMD and its seven domains
    for slug in need["enum"]:
        assert client.get(API, {"need": slug, "category": "library"}).status_code == 200
    response = client.get(API, {"need": "zzz"})
    assert response.status_code == 400
    assert "imd-rank" in response.json()["detail"]  # the message lists what it takes
