"""Harvesting a paged Open Referral feed from a real HTTP server on 127.0.0.1 (in a thread):
paging by the envelope, retries with exponential back-off, a page that always fails (clear
error, nothing written), and incremental harvests by modified date."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from livingmap.openreferral.harvest import HarvestError, fetch_json
from livingmap.openreferral.importers import import_hsds
from livingmap.openreferral.models import HsdsService

from .conftest import load

pytestmark = pytest.mark.django_db
PER_PAGE = 2


def make_services(n: int) -> list[dict]:
    base = load("oruk-3.0-examples/service_full.json")
    out = []
    for i in range(n):
        svc = copy.deepcopy(base)
        svc["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"feed-service-{i}"))
        svc["name"] = f"Feed service {i}"
        svc["last_modified"] = f"2024-01-{i + 1:02d}T10:00:00Z"
        # nested ids must be unique per service too
        for j, sal in enumerate(svc.get("service_at_locations", [])):
            sal["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"feed-sal-{i}-{j}"))
        out.append(svc)
    return out


class Feed:
    """The behaviour of the fake server: services, and failures per page."""

    def __init__(self, services: list[dict]) -> None:
        self.services = services
        self.fail_times: dict[int, int] = {}  # page -> times it fails before answering
        self.always_fail: set[int] = set()
        self.requests: list[str] = []


def serve(feed: Feed):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):
            feed.requests.append(self.path)
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/api/services":
                page = int(query.get("page", 1))
                if page in feed.always_fail:
                    return self.reply(500, {"detail": "broken"})
                if feed.fail_times.get(page, 0) > 0:
                    feed.fail_times[page] -= 1
                    return self.reply(503, {"detail": "busy"})
                items = feed.services
                if query.get("modified_after"):
                    items = [s for s in items if s["last_modified"] > query["modified_after"]]
                per = int(query.get("per_page", PER_PAGE))
                per = min(per, PER_PAGE)
                chunk = items[(page - 1) * per : page * per]
                pages = max(1, -(-len(items) // per))
                listed = [{k: v for k, v in s.items() if not isinstance(v, list)} for s in chunk]
                return self.reply(
                    200,
                    {
                        "total_items": len(items),
                        "total_pages": pages,
                        "page_number": page,
                        "size": len(chunk),
                        "first_page": page == 1,
                        "last_page": page >= pages,
                        "empty": not chunk,
                        "contents": listed,
                    },
                )
            if parts.path.startswith("/api/services/"):
                sid = parts.path.rsplit("/", 1)[1]
                for svc in feed.services:
                    if svc["id"] == sid:
                        return self.reply(200, svc)
            return self.reply(404, {"detail": "not found"})

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/api"


@pytest.fixture
def feed():
    feed = Feed(make_services(5))
    server, url = serve(feed)
    feed.url = url
    yield feed
    server.shutdown()
    server.server_close()


def harvest(feed, sleeps=None, **options):
    sleeps = sleeps if sleeps is not None else []
    return import_hsds(
        feed.url,
        commit=True,
        dataset="hsds-test-feed",
        fetch_options={"sleep": sleeps.append, "backoff": 0.1, "timeout": 5},
        **options,
    )


def test_harvest_pages_and_retries(feed, client):
    feed.fail_times[2] = 2  # page 2 answers 503 twice, then OK
    sleeps: list[float] = []
    report = harvest(feed, sleeps)
    assert not report.error, report.error
    assert report.created == 5 and report.rejected == []
    assert sleeps == [0.1, 0.2]  # exponential back-off
    pages = [r for r in feed.requests if r.startswith("/api/services?")]
    assert len(pages) == 3 + 2  # three pages, page 2 asked three times
    for svc in feed.services:
        assert client.get(f"/openreferral/services/{svc['id']}").json() == svc
    # a second harvest changes nothing
    again = harvest(feed)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_page_that_always_fails_writes_nothing(feed):
    feed.always_fail.add(3)
    report = harvest(feed)
    assert report.error
    assert "page=3" in report.error and "failed after" in report.error
    assert not HsdsService.objects.filter(source="hsds-test-feed").exists()


def test_incremental_harvest_by_modified_date(feed):
    harvest(feed)
    feed.services[4]["name"] = "Feed service 4 (renamed)"
    feed.services[4]["last_modified"] = "2024-02-01T10:00:00Z"
    feed.requests.clear()
    report = harvest(feed, modified_after="2024-01-15T00:00:00Z")
    assert report.read == 1 and report.updated == 1
    assert any("modified_after=2024-01-15" in r for r in feed.requests)
    row = HsdsService.objects.get(hsds_id=feed.services[4]["id"])
    assert row.data["name"] == "Feed service 4 (renamed)"
    assert row.asset.name == "Feed service 4 (renamed)"


def test_fetch_json_gives_up_on_4xx_at_once(feed):
    sleeps: list[float] = []
    with pytest.raises(HarvestError, match="404"):
        fetch_json(feed.url + "/nothing", sleep=sleeps.append)
    assert sleeps == []


def test_incremental_auto_asks_since_the_last_committed_import(feed):
    first = harvest(feed)
    assert first.created == 5
    feed.requests.clear()
    report = harvest(feed, modified_after="auto")
    assert not report.error and report.read == 0  # nothing changed since
    asked = [r for r in feed.requests if "modified_after=" in r]
    assert asked and all("modified_after=20" in r for r in asked)


def test_command_dry_run_and_commit(feed):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("import_hsds", feed.url, "--dataset", "hsds-cmd", stdout=out, stderr=StringIO())
    assert "DRY RUN" in out.getvalue()
    assert not HsdsService.objects.filter(source="hsds-cmd").exists()
    call_command(
        "import_hsds", feed.url, "--dataset", "hsds-cmd", "--commit", stdout=out, stderr=StringIO()
    )
    assert HsdsService.objects.filter(source="hsds-cmd").count() == 5
