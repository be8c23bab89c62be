"""Content-Security-Policy, cookie flags, API rate limit."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from livingmap.assets.models import Asset

from .conftest import sign_in

PAGES = ["/", "/assets/", "/assets/?q=library", "/neighbourhoods/", "/account/sign-in/"]


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("url", PAGES)
def test_strict_csp_and_no_inline_script_or_style(client, db, url, settings):
    response = client.get(url)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "https://tile.openstreetmap.org" in policy["img-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    html = response.content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert not re.search(r"<style\b", html)
    assert not re.search(r'\sstyle\s*=\s*"', html), "inline style attribute"


def test_asset_page_with_map_and_account_pages_keep_the_policy(client, cast):
    asset = Asset.objects.public().filter(lat__isnull=False).first()
    for url in (asset.get_absolute_url(), reverse("account_signup"), reverse("asset_suggest_new")):
        html = client.get(url).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, tag
    sign_in(client, cast.officer)
    for url in (reverse("moderation_queue"), reverse("officer_freshness")):
        response = client.get(url)
        assert response.status_code == 200 and "Content-Security-Policy" in response


def test_cookie_flags(client, cast, settings):
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax" and settings.CSRF_COOKIE_SAMESITE == "Lax"
    response = client.post(
        reverse("account_login"),
        {"username": cast.resident.username, "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_api_rate_limit_answers_429_with_a_message(db, settings):
    settings.LIVINGMAP_RATES = {**settings.LIVINGMAP_RATES, "api": "3/m"}
    client = Client()
    statuses = [client.get("/api/openapi.json").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[-1] == 429
    response = client.get("/api/openapi.json")
    assert "Too many requests" in response.json()["detail"]
    assert Client(REMOTE_ADDR="10.0.0.9").get("/api/openapi.json").status_code == 200


def test_behind_a_proxy_each_visitor_is_counted_by_the_address_the_proxy_saw(db, settings):
    """Behind nginx every request comes from the proxy's own address: counted by that, one
    visitor over the limit would lock out the whole site. The last X-Forwarded-For entry (the
    one the proxy appended) is each visitor's; entries a client sends before it are not
    trusted."""
    settings.LIVINGMAP_RATES = {**settings.LIVINGMAP_RATES, "api": "3/m"}
    settings.LIVINGMAP_BEHIND_PROXY = True
    proxy = {"REMOTE_ADDR": "127.0.0.1"}

    def get(forwarded: str) -> int:
        client = Client(**proxy, HTTP_X_FORWARDED_FOR=forwarded)
        return client.get("/api/openapi.json").status_code

    assert [get("203.0.113.9") for _ in range(4)] == [200, 200, 200, 429]
    # Another visitor through the same proxy is not held back by the first.
    assert get("198.51.100.7") == 200
    # A client cannot escape its count by sending an X-Forwarded-For of its own: the proxy
    # appends the address it saw, and only that last entry counts.
    assert get("10.1.2.3, 203.0.113.9") == 429
    assert get("2001:db8::1") == 200
    # Without a usable address from the proxy, the request is counted by the proxy's address.
    assert [get("not an address") for _ in range(4)][-1] == 429


def test_without_a_proxy_x_forwarded_for_is_ignored(db, settings):
    settings.LIVINGMAP_RATES = {**settings.LIVINGMAP_RATES, "api": "3/m"}
    settings.LIVINGMAP_BEHIND_PROXY = False
    statuses = [
        Client(REMOTE_ADDR="192.0.2.5", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        .get("/api/openapi.json")
        .status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_django_admin_needs_two_factor_for_administrators(client, cast, settings):
    settings.LIVINGMAP_ADMIN_REQUIRE_2FA = True
    client.force_login(cast.administrator)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_two_factor"))
    sign_in(client, cast.administrator)
    assert client.get("/admin/").status_code == 200
    # people's gifts and skills are not listed in the asset admin
    from livingmap.accounts.services import add_personal_asset

    record = add_personal_asset(person=cast.resident, name="Secret baking")
    page = client.get("/admin/assets/asset/?q=Secret+baking").content.decode()
    assert f"/admin/assets/asset/{record.asset_id}/change/" not in page
    assert client.get(f"/admin/assets/asset/{record.asset_id}/change/").status_code in (302, 404)


def test_oversized_uploads_are_refused_before_they_are_read(client, db, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.LIVINGMAP_MAX_REQUEST_BYTES = 1024 * 1024

    def big() -> SimpleUploadedFile:
        return SimpleUploadedFile("areas.geojson", b"{" + b" " * (2 * 1024 * 1024) + b"}")

    response = client.post(reverse("asset_suggest_new"), {"upload": big()})
    assert response.status_code == 413 and "too big" in response.content.decode()
    response = client.post("/api/openapi.json", {"upload": big()})
    assert response.status_code == 413 and "too big" in response.json()["detail"]
