"""The main public pages in headless Chromium: axe-core finds no WCAG 2.2 A/AA violation, and the
search journey works with JavaScript turned off.

Run by `make test` (which fetches axe-core); skipped with a reason when Chromium, ChromeDriver or
axe-core is missing, and failed instead in CI (LIVINGMAP_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.browser

#: WCAG 2.0, 2.1 and 2.2 at levels A and AA, as axe-core tags them.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
  .then((results) => done(JSON.stringify({
      violations: results.violations, testEngine: results.testEngine,
      url: results.url, rules: results.toolOptions.runOnly.values})))
  .catch((error) => done(JSON.stringify({error: String(error)})));
"""


@dataclass(frozen=True)
class Page:
    """A page to check: where it is, and a phrase its main heading must hold, so that axe is
    never run on an error page by mistake."""

    name: str
    heading: str

    def url(self) -> str:
        return PATHS[self.name]()


def _altrincham_library() -> Any:
    from livingmap.assets.models import Asset

    return Asset.objects.public().get(name="Altrincham Library")


def _ward_of_altrincham_library() -> Any:
    from livingmap.areas.models import Area

    return Area.objects.get(level="ward", is_current=True, asset_links__asset=_altrincham_library())


PATHS = {
    "home": lambda: "/",
    "search results": lambda: "/assets/?q=library&postcode=WA14+1AH",
    "search with a postcode error": lambda: "/assets/?q=library&postcode=NOT+A+POSTCODE",
    "asset": lambda: _altrincham_library().get_absolute_url(),
    "neighbourhoods": lambda: "/neighbourhoods/",
    "neighbourhood": lambda: "/neighbourhoods/south/",
    "ward": lambda: _ward_of_altrincham_library().get_absolute_url(),
    "data": lambda: "/about/data/",
    "neighbourhood profile": lambda: "/neighbourhoods/south/profile/",
    "gaps": lambda: "/gaps/?category=library",
    "participation": lambda: "/participation/",
    "group participation": lambda: f"/participation/groups/{_altrincham_library().uuid}/",
    "open data": lambda: "/open-data/",
    "search near an asset": lambda: f"/assets/?near={_altrincham_library().uuid}&distance=1",
    "sign up": lambda: "/account/sign-up/",
    "sign in": lambda: "/account/sign-in/",
    "suggest a missing asset": lambda: "/assets/suggest/",
    "page not found": lambda: "/assets/00000000-0000-0000-0000-000000000000/",
}

PAGES = [
    Page("home", "Trafford"),
    Page("search results", ""),
    Page("search with a postcode error", ""),
    Page("asset", "Altrincham Library"),
    Page("neighbourhoods", "eighbourhood"),
    Page("neighbourhood", "South"),
    Page("ward", ""),  # the ward's name is checked in the test
    Page("data", "data"),
    Page("neighbourhood profile", "South"),
    Page("gaps", "eed"),
    Page("participation", "art"),
    Page("group participation", "Altrincham Library"),
    Page("open data", "data"),
    Page("search near an asset", ""),
    Page("sign up", "account"),
    Page("sign in", "Sign in"),
    Page("suggest a missing asset", "uggest"),
    Page("page not found", "Page not found"),
]


def _open(driver: Any, url: str) -> None:
    """Load a page and let its scripts (the map) finish drawing."""
    driver.get(url)
    deadline = time.monotonic() + 20
    while driver.execute_script("return document.readyState") != "complete":
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not finish loading in 20 s")
        time.sleep(0.05)
    time.sleep(0.3)  # map markers are added just after load


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}\n  {v['helpUrl']}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}\n       {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n       ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


def run_axe(driver: Any, axe_source: str) -> dict[str, Any]:
    driver.execute_script(axe_source)
    result = json.loads(driver.execute_async_script(RUN_AXE, WCAG_TAGS))
    assert "error" not in result, result.get("error")
    return result


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_has_no_wcag_violations(page: Page, site: str, browser: Any, axe_source: str) -> None:
    from selenium.webdriver.common.by import By

    url = site + page.url()
    _open(browser, url)
    headings = browser.find_elements(By.TAG_NAME, "h1")
    assert len(headings) == 1, f"{url}: expected one h1, found {len(headings)}"
    heading = headings[0].text
    assert page.heading in heading, f"{url}: h1 is {heading!r}, expected {page.heading!r}"
    if page.name == "ward":
        assert _ward_of_altrincham_library().name in heading
    if page.name in ("search results", "search near an asset"):
        assert "Altrincham Library" in browser.find_element(By.TAG_NAME, "main").text
    if page.name == "search with a postcode error":
        errors = browser.find_elements(By.CSS_SELECTOR, ".govuk-error-summary, [role=alert]")
        assert errors, f"{url}: no error summary for a malformed postcode"
        assert "postcode" in errors[0].text.lower()

    result = run_axe(browser, axe_source)
    assert result["rules"] == WCAG_TAGS
    violations = result["violations"]
    assert not violations, (
        f"axe-core {result['testEngine']['version']} found {len(violations)} WCAG violation(s) "
        f"on {page.name} ({url}):\n{_describe(violations)}"
    )


def test_axe_finds_violations_when_there_are_some(site: str, browser: Any, axe_source: str) -> None:
    """The check itself can fail: the same run on a page with a known fault reports it."""
    from selenium.webdriver.common.by import By

    _open(browser, site + "/")
    browser.execute_script(
        "const img = document.createElement('img'); img.src = '/missing.png';"
        "document.querySelector('main').appendChild(img);"
        "document.documentElement.removeAttribute('lang');"
    )
    assert browser.find_element(By.CSS_SELECTOR, "main img[src='/missing.png']")
    ids = {v["id"] for v in run_axe(browser, axe_source)["violations"]}
    assert {"image-alt", "html-has-lang"} <= ids


def test_search_journey_without_javascript(site: str, browser_without_javascript: Any) -> None:
    """Fill in the search form, submit it, see the results and open an asset: no JavaScript."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    driver = browser_without_javascript
    driver.get("data:text/html,<title>off</title><script>document.title = 'on'</script>")
    assert driver.title == "off", "JavaScript is not turned off in this browser"

    _open(driver, site + "/")
    form = driver.find_element(By.CSS_SELECTOR, "form:has(input[name=q])")
    form.find_element(By.NAME, "q").send_keys("library")
    postcode = form.find_elements(By.NAME, "postcode")
    if postcode:
        postcode[0].send_keys("wa141ah")  # any spacing and case
    form.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit], button").click()
    # A click starts the navigation; wait for the results page rather than race it.
    WebDriverWait(driver, 20).until(lambda d: "/assets/" in d.current_url)

    assert "/assets/" in driver.current_url
    assert "q=library" in driver.current_url
    main = driver.find_element(By.TAG_NAME, "main")
    link = main.find_element(By.LINK_TEXT, "Altrincham Library")
    link.click()
    expected = site + _altrincham_library().get_absolute_url()
    WebDriverWait(driver, 20).until(lambda d: d.current_url == expected)

    assert driver.current_url == expected
    assert driver.find_element(By.TAG_NAME, "h1").text == "Altrincham Library"
    # The list of assets never depends on the map: the page has the address in plain text.
    assert "WA14" in driver.find_element(By.TAG_NAME, "main").text


# -- the header and menu at a phone's width and a laptop's ---------------------------------------

PHONE = (390, 844)
LAPTOP = (1280, 800)


@contextmanager
def _screen(driver: Any, size: tuple[int, int]) -> Iterator[None]:
    """Show pages at this width and height in CSS pixels (as a phone or a laptop would)."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 641},
    )
    try:
        yield
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture(scope="module")
def resident_session(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """A signed-in resident's session key, committed so that the live server sees it on either
    database; removed when this module's tests are done."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    with django_db_blocker.unblock():
        user = get_user_model().objects.create_user(
            "header.check@example.org", "header.check@example.org", first_name="Header"
        )
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
    yield session.session_key
    with django_db_blocker.unblock():
        session.delete()
        user.delete()


def _menu_links(driver: Any) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "#navigation .govuk-service-navigation__link")


def test_signed_in_header_and_menu_each_fit_on_one_row_on_a_laptop(
    site: str, browser: Any, axe_source: str, resident_session: str
) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, site + "/about/data/")
    browser.add_cookie({"name": "sessionid", "value": resident_session, "path": "/"})
    try:
        with _screen(browser, LAPTOP):
            _open(browser, site + "/")
            account = browser.find_elements(By.CSS_SELECTOR, ".lm-header__account a")
            # (The account link also names the person, for screen readers.)
            assert [a.text.split("\n")[0] for a in account] == ["Your account", "Sign out"]
            header = browser.find_element(By.CSS_SELECTOR, ".govuk-header")
            logo = browser.find_element(By.CSS_SELECTOR, ".govuk-header__logo")
            # The account links sit on the header's one row, to the right of the name.
            for link in account:
                assert link.location["y"] < logo.location["y"] + logo.size["height"]
                assert link.location["x"] > logo.location["x"] + logo.size["width"]
            assert header.size["height"] < 80
            # Every menu link on one row.
            links = _menu_links(browser)
            assert len(links) == 6
            assert len({link.location["y"] for link in links}) == 1
            assert browser.execute_script(
                "return document.documentElement.scrollWidth <= window.innerWidth"
            )
            result = run_axe(browser, axe_source)
            assert not result["violations"], _describe(result["violations"])
    finally:
        browser.delete_all_cookies()


def test_the_menu_folds_behind_a_menu_button_on_a_phone(
    site: str, browser: Any, axe_source: str
) -> None:
    from selenium.webdriver.common.by import By

    with _screen(browser, PHONE):
        _open(browser, site + "/")
        toggle = browser.find_element(By.CSS_SELECTOR, ".govuk-service-navigation__toggle")
        assert toggle.is_displayed() and toggle.text == "Menu"
        assert toggle.get_attribute("aria-expanded") == "false"
        assert not any(link.is_displayed() for link in _menu_links(browser))
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        assert [link.text for link in _menu_links(browser) if link.is_displayed()] == [
            "Find assets",
            "Neighbourhoods",
            "Need and assets",
            "Taking part",
            "Time bank",
            "Open data",
        ]
        result = run_axe(browser, axe_source)
        assert not result["violations"], _describe(result["violations"])
        toggle.click()
        assert not any(link.is_displayed() for link in _menu_links(browser))
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        )


def test_every_menu_link_shows_on_a_phone_without_javascript(
    site: str, browser_without_javascript: Any
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser_without_javascript
    with _screen(driver, PHONE):
        _open(driver, site + "/")
        assert not driver.find_element(
            By.CSS_SELECTOR, ".govuk-service-navigation__toggle"
        ).is_displayed()
        assert len([link for link in _menu_links(driver) if link.is_displayed()]) == 6
        assert driver.find_element(By.LINK_TEXT, "Sign in").is_displayed()


def test_search_results_are_a_tap_away_on_a_phone(site: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    with _screen(browser, PHONE):
        _open(browser, site + "/assets/?q=library")
        skip = browser.find_element(By.LINK_TEXT, "Skip to the results")
        assert skip.is_displayed()
        assert skip.location["y"] < PHONE[1]  # on the first screen
        # The filters nobody chose are folded, so the results start about a screen down, not two.
        folded = browser.find_element(By.CSS_SELECTOR, "details.lm-more-filters")
        assert folded.get_attribute("open") is None
        results = browser.find_element(By.ID, "results")
        assert results.location["y"] < 1.5 * PHONE[1]
        skip.click()
        top = browser.execute_script("return arguments[0].getBoundingClientRect().top", results)
        assert abs(top) < 5
        assert browser.switch_to.active_element == results
    with _screen(browser, LAPTOP):
        _open(browser, site + "/assets/?q=library")
        # Beside the form on a wide screen: no need for the link.
        assert not browser.find_element(By.CSS_SELECTOR, ".lm-skip-to-results a").is_displayed()
