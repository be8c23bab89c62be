"""Error pages: a page in the site's frame with a way on, JSON under the APIs, never Django's
bare defaults."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from livingmap.core import views

pytestmark = pytest.mark.django_db


def test_an_unknown_page_is_a_404_in_the_sites_frame_with_a_way_on(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in html
    assert 'class="govuk-header' in html and 'class="govuk-footer' in html
    assert 'href="/assets/"' in html and 'href="/neighbourhoods/"' in html


def test_a_removed_asset_answers_the_same_404_page(client):
    response = client.get("/assets/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "joined with another listing" in response.content.decode()


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("/api/assets/", "Did you mean /api/assets (without the final slash)?"),
        ("/api/kinds/", "Did you mean /api/kinds (without the final slash)?"),
        ("/api/nonexistent", "The endpoints are listed at /api/docs."),
        ("/openreferral/services/", "Did you mean /openreferral/services (without"),
        ("/openreferral/nothing", "There is nothing at /openreferral/nothing."),
    ],
)
def test_an_unknown_api_path_answers_json_like_every_other_api_error(client, path, hint):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert hint in response.json()["detail"]


def _failing(*args, **kwargs):
    raise RuntimeError("the database went away")


def test_a_failure_is_a_500_page_that_needs_nothing_of_the_request(monkeypatch):
    monkeypatch.setattr(views, "render", _failing)
    response = Client(raise_request_exception=False).get("/about/data/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, there is a problem with the service" in html
    assert "the database went away" not in html


def test_a_failure_under_the_api_is_a_json_500(rf):
    response = views.server_error(rf.get("/api/assets"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "Something went wrong" in json.loads(response.content)["detail"]
