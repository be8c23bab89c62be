"""Benchmark 5: what the search page weighs, gzipped, with the stylesheets and scripts it uses."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlparse

URL = "/assets/?q=library&postcode=WA14+1AH"


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and a.get("href"):
            rel = a.get("rel", "").lower().split()
            if "stylesheet" in rel:
                self.styles.append(a["href"])
            elif "modulepreload" in rel or (
                "preload" in rel and a.get("as") in {"script", "style"}
            ):
                (self.scripts if a.get("as") != "style" else self.styles).append(a["href"])
            elif {"icon", "preload", "apple-touch-icon"} & set(rel):
                self.other.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        elif tag == "img" and a.get("src"):
            self.other.append(a["src"])


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def run() -> dict[str, Any]:
    from django.test import Client

    client = Client()
    response = client.get(URL)
    html = _body(response)
    refs = _References()
    refs.feed(html.decode("utf-8", "replace"))
    items = [{"url": URL, "bytes": len(html), "gzip": _gz(html), "kind": "html"}]
    other: list[str] = list(dict.fromkeys(refs.other))
    seen: set[str] = set()
    for ref in [*refs.styles, *refs.scripts]:
        url = urljoin(URL, ref)
        if url in seen:
            continue
        seen.add(url)
        if urlparse(url).netloc:
            other.append(f"{url} (another host: not measured)")
            continue
        got = client.get(url)
        if got.status_code != 200:
            other.append(f"{url} (status {got.status_code})")
            continue
        body = _body(got)
        items.append({"url": url, "bytes": len(body), "gzip": _gz(body), "kind": "asset"})
        if url.endswith(".css"):
            for inner in re.findall(rb"url\(\s*['\"]?([^'\")]+)", body):
                target = urljoin(url, inner.decode("utf-8", "replace")).split("#")[0]
                if not target.startswith("data:") and target != url:
                    other.append(f"{target} (from {url})")
    return {
        "url": URL,
        "status": response.status_code,
        "items": items,
        "total_bytes": sum(i["bytes"] for i in items),
        "total_gzip": sum(i["gzip"] for i in items),
        "other": list(dict.fromkeys(other)),
    }
