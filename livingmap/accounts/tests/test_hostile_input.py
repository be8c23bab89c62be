"""Hostile input over every form and every API operation: never a 5xx, a message with every 4xx,
no user text rendered as HTML, and nothing stored from rejected input.

Pages are found by walking the URL resolver (so forms other apps add are covered as they
appear); each page is fetched as an anonymous visitor and as an officer, its POST forms are read
from the HTML, and hostile values are posted to every field. The JSON API is exercised with
schemathesis against /api/openapi.json, in-process over WSGI, with bounded examples.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from .conftest import sign_in

XSS = '<script>alert("x")</script>'
HOSTILE_VALUES = [
    "A" * 100_000,
    "nul\x00byte",
    "😀 ünïcödé \u202e\u200b",
    "-1",
    "99999999999999999999999999",
    "' OR 1=1; DROP TABLE assets_asset; --",
    XSS,
    "",
]
#: Parts of the site with their own checks (Django's admin; the API is tested by schemathesis).
SKIP_PREFIXES = ("admin/", "api/", "static/")


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, dict]]:
    """(route with <converters>, converters) for every URL pattern of the site."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, getattr(entry.pattern, "converters", {})


def _fill(route: str, values: dict[str, str]) -> str | None:
    """A real URL for a route: uuids of a real asset, ints of real rows, slugs/strs of areas."""
    if route.startswith("^") or "(?P" in route:
        return None

    def value(match: re.Match) -> str:
        conv, name = (match.group(1) or "str"), match.group(2)
        return values.get(name) or values.get(conv) or "x"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route).lstrip("^").rstrip("$")


class _Forms(HTMLParser):
    """The POST forms of a page: their action and the names of their fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self.forms.append({"action": a.get("action") or "", "fields": set()})
        elif tag in ("input", "textarea", "select") and self.forms and a.get("name"):
            self.forms[-1]["fields"].discard("csrfmiddlewaretoken")
            if a["name"] != "csrfmiddlewaretoken":
                self.forms[-1]["fields"].add(a["name"])


def _counts() -> dict[str, int]:
    tables = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in ("sessions", "admin", "contenttypes") or "otp" in label:
            continue
        tables[label] = model._default_manager.count()
    return tables


def _message(response) -> bool:
    body = response.content.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        return '"detail"' in body
    text = re.sub(r"<[^>]+>", " ", body)
    return len(text.split()) >= 3


def _check(response, url: str, what: str) -> None:
    assert response.status_code < 500, f"{what} {url} gave {response.status_code}"
    if 400 <= response.status_code < 500 and response.status_code not in (404, 405):
        assert _message(response), f"{what} {url}: {response.status_code} without a message"
    if response.get("Content-Type", "").startswith("text/html"):
        assert XSS not in response.content.decode("utf-8", "replace"), f"{url} echoed raw HTML"


@pytest.fixture
def url_values(cast, personal):
    from livingmap.accounts.models import Claim, Suggestion
    from livingmap.areas.models import Area

    suggestion = Suggestion.objects.create(asset=cast.asset, proposed={"phone": "1"})
    claim = Claim.objects.create(user=cast.resident, asset=cast.asset, role="Chair")
    area = Area.objects.filter(is_current=True).exclude(slug="").first()
    return {
        "uuid": str(cast.asset.uuid),
        "int": str(suggestion.pk),
        "pk": str(suggestion.pk),
        "slug": getattr(area, "slug", "x") if area else "x",
        "code": getattr(area, "gss_code", "x") if area else "x",
        "gss_code": getattr(area, "gss_code", "x") if area else "x",
        "_claim": str(claim.pk),
        "_personal": str(personal.pk),
    }


def _pages(url_values: dict) -> list[str]:
    urls = []
    for route, _ in _routes():
        if route.startswith(SKIP_PREFIXES):
            continue
        url = _fill(route, url_values)
        if url and url not in urls:
            urls.append(url)
    return urls


def test_the_walk_finds_the_forms_of_every_app(url_values):
    urls = _pages(url_values)
    for expected in ("/account/sign-in/", "/account/sign-up/", "/assets/suggest/", "/moderation/"):
        assert expected in urls
    assert len(urls) >= 30


@pytest.mark.parametrize("who", ["anonymous", "officer"])
def test_hostile_posts_to_every_form(cast, url_values, who):
    client = Client()
    if who == "officer":
        sign_in(client, cast.officer)
    before = _counts()
    posted = 0
    for url in _pages(url_values):
        if "sign-out" in url or "erase" in url:
            continue  # would end the session the rest of the walk needs (tested elsewhere)
        page = client.get(url)
        _check(page, url, f"GET as {who}")
        targets = {url: set()}
        if page.status_code == 200 and page.get("Content-Type", "").startswith("text/html"):
            parser = _Forms()
            parser.feed(page.content.decode("utf-8", "replace"))
            for form in parser.forms:
                targets.setdefault(form["action"] or url, set()).update(form["fields"])
        for target, fields in targets.items():
            if "sign-out" in target or "erase" in target:
                continue
            names = sorted(fields) or ["name", "email", "q"]
            for value in HOSTILE_VALUES:
                data = {n: value for n in names if n not in ("action",)}
                # (pages may fill derived caches on first read, so compare with just before)
                just_before = _counts()
                response = client.post(target, data)
                posted += 1
                _check(response, target, f"POST as {who}")
                if response.status_code >= 400:
                    assert _counts() == just_before, f"rejected POST to {target} changed data"
            # a list where one value is expected, and wrong types
            response = client.post(target, {n: ["1", "2"] for n in names})
            _check(response, target, f"POST lists as {who}")
    assert posted > 100
    if who == "anonymous":  # (an officer may legitimately add a gift called "-1")
        after = _counts()
        for table in ("assets.asset", "accounts.suggestion", "accounts.claim", "auth.user"):
            assert after[table] == before[table], table


def test_posts_without_csrf_are_refused(cast, url_values):
    client = Client(enforce_csrf_checks=True)
    before = _counts()
    for url in _pages(url_values):
        response = client.post(url, {"name": "x", "email": "a@example.org"})
        assert response.status_code in (403, 404, 405), f"{url} accepted a POST without CSRF"
    assert _counts() == before


def test_oversized_bodies_are_refused(client, db):
    response = client.post(
        "/assets/suggest/", {f"f{i}": "x" for i in range(1500)}
    )  # more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert response.status_code == 400


def test_api_operations_never_answer_5xx(db, settings):
    """Every operation of the OpenAPI document, with generated (including invalid) input."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from livingmap.wsgi import application

    settings.LIVINGMAP_RATES = {**settings.LIVINGMAP_RATES, "api": "100000/m"}
    # As Django's test client does: the test's transaction must survive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        _run_schemathesis(application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _run_schemathesis(application) -> None:
    import schemathesis

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    failures: list = []
    for operation in operations:
        _fuzz(operation, failures)
    assert not failures, failures


def _fuzz(operation, failures: list) -> None:
    from django.db import transaction
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings

    @given(case=operation.as_strategy())
    @hsettings(
        max_examples=25,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        # Each call in a savepoint, so one server error (which on PostgreSQL aborts the test's
        # transaction) is reported alone instead of failing every call after it.
        try:
            with transaction.atomic():  # a savepoint, rolled back by the exception below
                response = case.call()
                if response.status_code >= 500:
                    raise _ServerError(response)
        except _ServerError as error:
            response = error.response
        if response.status_code >= 500:
            failures.append(
                (operation.label, case.path_parameters, case.query, response.status_code)
            )
        elif response.status_code >= 400 and response.status_code != 404:
            body = response.content
            if body[:2] == b"\x1f\x8b":  # gzipped (GZipMiddleware); WSGI hands it over as is
                body = gzip.decompress(body)
            assert b'"detail"' in body, f"{operation.label}: {body[:200]!r}"

    run()


class _ServerError(Exception):
    """Raised inside a savepoint to roll back what a request that failed with a 5xx did."""

    def __init__(self, response) -> None:
        super().__init__(response.status_code)
        self.response = response


# -- NUL, control characters and broken UTF-8 in every input (core.middleware) -------------------
#
# Every text a request carries is checked once, in core.middleware.InputCheckMiddleware, before
# any view: these tests send each refused character to every query parameter, path parameter,
# form field and JSON field the site has, and expect a 400 with a message and nothing written.
# They run on whichever database DATABASE_URL names; CI runs them on SQLite and PostgreSQL.

#: Every C0 control character but tab, line feed and carriage return.
CONTROL_CHARACTERS = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]
#: Percent-encoded forms sent raw in addresses: controls, a lone surrogate (U+D800 as UTF-8
#: would write it), a byte that is not UTF-8, and NUL inside an otherwise ordinary word.
RAW_HOSTILE = [f"%{ord(c):02X}" for c in CONTROL_CHARACTERS] + ["%ED%A0%80", "%FF", "lib%00rary"]
REFUSED = "not allowed"


def _refused(response, what: str) -> None:
    """A 400 with a message that says what was wrong, in the API's shape under /api/ and
    /openreferral/, else the site's page."""
    assert response.status_code == 400, f"{what}: {response.status_code}"
    body = response.content.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        detail = response.json()["detail"]
        assert REFUSED in detail or "UTF-8" in detail, f"{what}: {detail}"
    else:
        assert "Sorry, we could not read what was sent" in body, what
        assert REFUSED in body or "UTF-8" in body, what
        assert 'class="govuk-header' in body


class _GetForms(HTMLParser):
    """The names of the fields of a page's GET forms (search boxes, filters)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self._in_get = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self._in_get = (a.get("method") or "get").lower() == "get"
        elif self._in_get and tag in ("input", "select", "textarea") and a.get("name"):
            self.names.add(a["name"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_get = False


def _api_operations() -> list[tuple[str, str, dict]]:
    """(method, path template, operation) for every operation of the JSON API."""
    from livingmap.api import api

    schema = api.get_openapi_schema()
    return [
        (method.upper(), path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def _body_fields(operation: dict) -> list[str]:
    from livingmap.api import api

    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = api.get_openapi_schema()["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return list(schema.get("properties", {}))


@pytest.mark.parametrize(
    "url",
    [  # the routes of the probe in issue 17, which answered 500 on PostgreSQL or 200 to all
        "/api/assets?category=%00",
        "/api/assets?q=%00",
        "/api/areas/%00",
        "/openreferral/organizations?search=%00",
        "/openreferral/services?search=%00",
        "/assets/?q=%00",
        "/assets/?category=%00",
        "/api/postcodes/%00",
        "/api/assets?q=%ED%A0%80",
    ],
)
def test_the_probes_nul_routes_are_refused_with_a_message(client, db, url):
    _refused(client.get(url), url)


def test_control_characters_in_every_query_parameter_of_every_page(cast, url_values):
    """Each page (and each Open Referral endpoint), with every control character in each of
    its search and filter fields and in a made-up parameter, as a visitor and as an officer."""
    sent = 0
    for who in ("anonymous", "officer"):
        client = Client()
        if who == "officer":
            sign_in(client, cast.officer)
        fields: dict[str, set[str]] = {}
        for url in _pages(url_values):
            if "sign-out" in url or "erase" in url:
                continue
            page = client.get(url)
            fields[url] = {"q"}
            if page.status_code == 200 and page.get("Content-Type", "").startswith("text/html"):
                parser = _GetForms()
                parser.feed(page.content.decode("utf-8", "replace"))
                fields[url] |= parser.names
        before = _counts()  # (after the first reads, which may fill derived caches)
        for url, names in fields.items():
            for name in sorted(names):
                for raw in RAW_HOSTILE:
                    target = f"{url}?{name}=park{raw}"
                    _refused(client.get(target), f"GET as {who} {target}")
                    sent += 1
            _refused(client.get(f"{url}?q{'%00'}=x"), f"a NUL in a parameter's name at {url}")
        assert _counts() == before
        for url in fields:
            # a very long value is not refused for its length alone, and is never a 5xx
            _check(client.get(url, {"q": "A" * 20_000}), url, "a long parameter")
    assert sent > 1000


def test_control_characters_in_every_path_parameter(cast, url_values, client):
    """Every route with a parameter in its path, with each refused character in each."""
    sign_in(client, cast.officer)
    before = _counts()
    routes = [(route, conv) for route, conv in _routes() if conv and not route.startswith("^")]
    assert len(routes) >= 15
    for route, converters in routes:
        for name in converters:
            for raw in RAW_HOSTILE:
                url = _fill(route, {**url_values, name: f"x{raw}"})
                if url is None:
                    continue
                _refused(client.get(url), f"GET {url}")
                _refused(client.post(url, {"name": "x"}), f"POST {url}")
    assert _counts() == before


def test_control_characters_in_every_api_operation(cast, client):
    """Each operation of /api/openapi.json: each refused character in each path parameter,
    each query parameter and each field of its JSON body, signed in as an officer who may
    use them all."""
    sign_in(client, cast.officer)
    before = _counts()
    operations = _api_operations()
    assert len(operations) >= 20
    bodies = 0
    for method, path, operation in operations:
        params = operation.get("parameters", [])
        path_names = [p["name"] for p in params if p["in"] == "path"]
        query_names = [p["name"] for p in params if p["in"] == "query"]
        fields = _body_fields(operation)
        for char in [*CONTROL_CHARACTERS, "\ud800"]:
            raw = "%ED%A0%80" if char == "\ud800" else f"%{ord(char):02X}"
            filled = path
            for name in path_names:
                filled = filled.replace("{" + name + "}", "1")
            for name in path_names:
                url = path.replace("{" + name + "}", f"1{raw}")
                for other in path_names:
                    url = url.replace("{" + other + "}", "1")
                _refused(client.generic(method, url), f"{method} {url}")
            for name in query_names:
                url = f"{filled}?{name}=1{raw}"
                _refused(client.generic(method, url), f"{method} {url}")
            for name in fields:
                response = client.generic(
                    method,
                    filled,
                    json.dumps({f: "ok" for f in fields} | {name: f"a{char}b"}),
                    content_type="application/json",
                )
                _refused(response, f"{method} {filled} with {name!r}")
                bodies += 1
    assert bodies >= 20  # the time bank's exchanges and reversals, at least
    assert _counts() == before


def test_control_characters_in_every_form_field(cast, url_values):
    """Each POST form of the site (found as the first suite finds them), each control character
    in each field, as an officer, who may post to most of them: refused, nothing written."""
    client = sign_in(Client(), cast.officer)
    targets: dict[str, set[str]] = {}
    for url in _pages(url_values):
        if "sign-out" in url or "erase" in url:
            continue
        page = client.get(url)
        if page.status_code == 200 and page.get("Content-Type", "").startswith("text/html"):
            parser = _Forms()
            parser.feed(page.content.decode("utf-8", "replace"))
            for form in parser.forms:
                targets.setdefault(form["action"] or url, set()).update(form["fields"])
    targets = {t: f for t, f in targets.items() if "sign-out" not in t and "erase" not in t}
    assert len(targets) >= 10
    before = _counts()
    for target, fields in targets.items():
        for name in sorted(fields) or ["name"]:
            for char in CONTROL_CHARACTERS:
                data = {n: "Ordinary text" for n in fields} | {name: f"Ordinary{char}text"}
                _refused(client.post(target, data), f"POST {target} {name}={char!r}")
            # the same as a multipart upload form sends it
            data = {n: "Ordinary text" for n in fields} | {name: "nul\x00byte"}
            _refused(client.post(target, data, format="multipart"), f"multipart {target}")
    assert _counts() == before


def test_a_nul_in_a_cookie_never_reaches_the_session_table(client, db):
    client.cookies["sessionid"] = "aaaaaaaaaaaaaaaa\x00"
    _refused(client.get("/account/"), "a NUL in the session cookie")
    response = client.get("/api/assets", HTTP_COOKIE='sessionid="abcdefghijkl\\000"')
    _refused(response, "an escaped NUL in the session cookie")


def test_tabs_and_line_breaks_are_still_text(client, db):
    """Multi-line descriptions keep their line breaks and tabs: only the other controls go."""
    from django.test import RequestFactory

    from livingmap.core.middleware import check_request

    factory = RequestFactory()
    text = "First line\r\nSecond line\n\tindented"
    check_request(factory.post("/assets/suggest/", {"description": text}))
    check_request(
        factory.post("/api/timebank/exchanges", {"description": text}, "application/json")
    )
    check_request(factory.get("/assets/", {"q": "park\tlibrary"}))
    response = client.get("/assets/", {"q": "library\t"})
    assert response.status_code == 200
    assert "Libraries" in response.content.decode() or "library" in response.content.decode()
