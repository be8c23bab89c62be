"""Reads for assets: the one search path used by pages and the API, and per-area listings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, Q, QuerySet

from livingmap.areas.models import Area
from livingmap.core.geo import BBox, haversine_many

from .models import Asset, AssetKind, Category
from .search import match_ids_sql

MAX_RADIUS_M = 50_000
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
LIST_FIELDS = (
    "id",
    "uuid",
    "name",
    "kind",
    "address",
    "postcode",
    "lon",
    "lat",
    "website",
    "last_verified_at",
    "description",
)


class SearchError(ValueError):
    """A search that cannot be run as asked; the message is for the person searching."""


@dataclass
class AssetQuery:
    """What someone is looking for. Every field is optional; filters combine as AND."""

    words: str = ""
    kind: str = ""
    category: str = ""
    neighbourhood: str = ""
    near: tuple[float, float] | None = None  # (lon, lat)
    within_m: float = 2000
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    def check(self) -> None:
        if self.kind and self.kind not in AssetKind.values:
            raise SearchError(f"'{self.kind}' is not a kind of asset")
        if self.kind == AssetKind.GIFTS:
            raise SearchError("People's gifts and skills are private and cannot be searched here")
        if not 0 < self.within_m <= MAX_RADIUS_M:
            raise SearchError(
                f"The distance must be more than 0 and at most {MAX_RADIUS_M // 1000} km"
            )
        if self.page < 1:
            raise SearchError("The page number must be 1 or more")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise SearchError(f"Ask for between 1 and {MAX_PAGE_SIZE} results a page")


@dataclass
class AssetHit:
    asset: Asset
    distance_m: float | None = None
    rank: float | None = None


@dataclass
class SearchResults:
    query: AssetQuery
    hits: list[AssetHit]
    total: int
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.page_size))


def _filtered(q: AssetQuery) -> QuerySet[Asset]:
    qs = Asset.objects.public()
    if q.kind:
        qs = qs.filter(kind=q.kind)
    if q.category:
        qs = qs.filter(categories__slug=q.category)
    if q.neighbourhood:
        qs = qs.filter(
            area_links__area__slug=q.neighbourhood, area_links__area__level="neighbourhood"
        )
    return qs


def search_assets(q: AssetQuery) -> SearchResults:
    """Assets matching words, kind, category, neighbourhood and distance from a point.

    Ranking: near a point, closest first (ties by relevance); words alone, by relevance (a word
    in the name counts ten times one in the description); otherwise by name.
    The radius search is an indexed bounding-box query on (lat_cell, lon), then exact distances.
    """
    q.check()
    qs = _filtered(q)
    match = match_ids_sql(q.words) if q.words.strip() else None
    ranks: dict[int, float] = {}
    if q.near is not None:
        lon, lat = q.near
        box = BBox.around(lon, lat, q.within_m)
        qs = qs.filter(
            lat_cell__in=box.lat_cells(),
            lon__gte=box.min_lon,
            lon__lte=box.max_lon,
            lat__gte=box.min_lat,
            lat__lte=box.max_lat,
        )
        if match:
            sql, params = match
            ranks = _ranks(sql, params, qs)
            qs = qs.filter(id__in=list(ranks))
        rows = list(qs.values_list("id", "lon", "lat"))
        if not rows:
            return SearchResults(q, [], 0)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        dist = haversine_many(
            lon,
            lat,
            np.fromiter((r[1] for r in rows), float, len(rows)),
            np.fromiter((r[2] for r in rows), float, len(rows)),
        )
        inside = dist <= q.within_m
        ids, dist = ids[inside], dist[inside]
        rank_arr = np.array([ranks.get(int(i), 0.0) for i in ids])
        order = np.lexsort((rank_arr, dist))
        total = len(order)
        start = (q.page - 1) * q.page_size
        page = order[start : start + q.page_size]
        page_ids = [int(ids[i]) for i in page]
        distances = {int(ids[i]): float(dist[i]) for i in page}
        by_id = _load(page_ids)
        hits = [AssetHit(by_id[i], distances[i], ranks.get(i)) for i in page_ids if i in by_id]
        return SearchResults(q, hits, total, _kind_counts(ids.tolist()))
    if match:
        sql, params = match
        ranks = _ranks(sql, params, qs)
        ordered = sorted(ranks, key=lambda i: (ranks[i], i))
        total = len(ordered)
        start = (q.page - 1) * q.page_size
        page_ids = ordered[start : start + q.page_size]
        by_id = _load(page_ids)
        hits = [AssetHit(by_id[i], None, ranks[i]) for i in page_ids if i in by_id]
        return SearchResults(q, hits, total, _kind_counts(ordered))
    total = qs.count()
    start = (q.page - 1) * q.page_size
    page_qs = qs.order_by("name", "id").only(*LIST_FIELDS).prefetch_related("categories")
    hits = [AssetHit(a) for a in page_qs[start : start + q.page_size]]
    kinds = dict(qs.order_by().values_list("kind").annotate(n=Count("id")))
    return SearchResults(q, hits, total, kinds)


def _ranks(sql: str, params: list[Any], qs: QuerySet[Asset]) -> dict[int, float]:
    """{asset id: rank} for assets in `qs` that match the words (the text query runs once)."""
    inner, inner_params = qs.values("id").query.sql_with_params()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            # Both parts are SQL we build (match_ids_sql and the ORM); values go as parameters.
            f"SELECT m.id, m.rank FROM ({sql}) m WHERE m.id IN ({inner})",  # noqa: S608
            [*params, *inner_params],
        )
        return {row[0]: row[1] for row in cursor.fetchall()}


def _load(ids: list[int]) -> dict[int, Asset]:
    assets = Asset.objects.filter(id__in=ids).only(*LIST_FIELDS).prefetch_related("categories")
    return {a.id: a for a in assets}


def _kind_counts(ids: list[int]) -> dict[str, int]:
    if len(ids) > 5000:
        return {}
    counts: Counter[str] = Counter()
    for start in range(0, len(ids), 900):
        counts.update(
            Asset.objects.filter(id__in=ids[start : start + 900]).values_list("kind", flat=True)
        )
    return dict(counts)


def get_public_asset(uuid: Any) -> Asset:
    """One asset for its public page; private records are not found (Asset.DoesNotExist)."""
    return (
        Asset.objects.public()
        .prefetch_related("categories", "sources__dataset", "area_links__area")
        .get(uuid=uuid)
    )


def assets_by_kind(area: Area) -> dict[str, list[Asset]]:
    """The public assets in an area or neighbourhood, grouped by kind (in the kinds' order)."""
    grouped: dict[str, list[Asset]] = {k: [] for k in AssetKind.values if k != AssetKind.GIFTS}
    for asset in Asset.objects.public().in_area(area).only(*LIST_FIELDS).order_by("name"):
        grouped[asset.kind].append(asset)
    return {k: v for k, v in grouped.items() if v}


def kind_counts_by_area(level: str) -> dict[int, dict[str, int]]:
    """{area id: {kind: number of public assets}} for every area of a level."""
    rows = (
        Asset.objects.public()
        .filter(area_links__area__level=level)
        .values_list("area_links__area_id", "kind")
        .annotate(n=Count("id"))
    )
    result: dict[int, dict[str, int]] = {}
    for area_id, kind, n in rows:
        result.setdefault(area_id, {})[kind] = n
    return result


def categories_in_use() -> QuerySet[Category]:
    return (
        Category.objects.annotate(n=Count("assets", filter=Q(assets__visibility="public")))
        .filter(n__gt=0)
        .order_by("name")
    )
