"""Harvesting an Open Referral API feed over HTTP (stdlib urllib only).

Pages through `/services` by the paged envelope, fetches each service in full from
`/services/{id}` (a list item carries only one-to-one fields), retries a failed request with
exponential back-off (5xx, 429, timeouts, connection errors), and can ask only for what changed
since a date (`modified_after`). Any request that still fails stops the harvest with a
HarvestError naming the URL: the import then writes nothing.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

from livingmap.core.importing import SourceError

USER_AGENT = "LivingMap-OpenReferral-harvester/1.0 (+https://github.com/living-map)"
MAX_PAGES = 100_000


class HarvestError(SourceError):
    """The feed could not be read; the message names the URL and what went wrong."""


def fetch_json(
    url: str,
    *,
    retries: int = 4,
    backoff: float = 0.5,
    timeout: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """GET a URL as JSON, retrying transient failures with exponential back-off."""
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        request = urllib.request.Request(  # noqa: S310 - http(s) checked by the caller
            url, headers={"Accept": "application/json", "User-Agent": USER_AGENT}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
            if exc.code >= 500 or exc.code == 429:
                continue
            raise HarvestError(f"{url} answered {last}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            last = str(getattr(exc, "reason", exc)) or exc.__class__.__name__
            continue
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise HarvestError(f"{url} did not answer JSON ({exc})") from exc
    raise HarvestError(f"{url} failed after {retries + 1} attempts (last: {last})")


def services_url(base: str) -> str:
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https"):
        raise HarvestError(f"{base} is not an http(s) URL")
    path = parts.path.rstrip("/")
    if not path.endswith("/services"):
        path += "/services"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def harvest_services(
    base: str,
    *,
    modified_after: str = "",
    per_page: int = 100,
    details: bool = True,
    **fetch_options: Any,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, service) for every service of a feed, page by page."""
    url = services_url(base)
    page = 1
    while page <= MAX_PAGES:
        query = {"page": page, "per_page": per_page}
        if modified_after:
            query["modified_after"] = modified_after
        page_url = f"{url}?{urllib.parse.urlencode(query)}"
        body = fetch_json(page_url, **fetch_options)
        if not isinstance(body, dict) or not isinstance(body.get("contents"), list):
            raise HarvestError(f"{page_url} is not a page of services (no 'contents' list)")
        for number, item in enumerate(body["contents"], start=1):
            label = f"page {page} item {number}"
            if details and isinstance(item, dict) and item.get("id"):
                quoted = urllib.parse.quote(str(item["id"]), safe="")
                full = fetch_json(f"{url}/{quoted}", **fetch_options)
                yield label, full if isinstance(full, dict) else item
            else:
                yield label, item
        total_pages = body.get("total_pages")
        if (
            not body["contents"]
            or body.get("last_page") is True
            or (isinstance(total_pages, int) and page >= total_pages)
        ):
            return
        page += 1
    raise HarvestError(f"{url} has more than {MAX_PAGES} pages: stopped")
