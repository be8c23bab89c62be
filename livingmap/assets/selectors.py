"""Reads for assets: the one search path used by pages and the API, and per-area listings."""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from livingmap.areas.models import Area, AreaLevel
from livingmap.areas.selectors import within_radius as radius_filter
from livingmap.core.geo import BBox, haversine_many
from livingmap.core.text import clean_postcode

from .matching import CANDIDATE_FIELDS, SAME_PLACE_M, Candidate, Candidates
from .models import Asset, AssetArea, AssetKind, Category
from .search import first_match_sql, match_ids_sql, match_near_sql, words_of

MAX_RADIUS_M = 50_000
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
#: Pages past this are refused (a clear error, not an offset no database can hold).
MAX_PAGE = 100_000
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
        if self.near is not None:
            lon, lat = self.near
            if not (
                math.isfinite(lon)
                and math.isfinite(lat)
                and -180 <= lon <= 180
                and -90 <= lat <= 90
            ):
                raise SearchError("That point is not on the map: give a longitude and latitude")
        if not 1 <= self.page <= MAX_PAGE:
            raise SearchError(f"The page number must be between 1 and {MAX_PAGE:,}")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise SearchError(f"Ask for between 1 and {MAX_PAGE_SIZE} results a page")


@dataclass
class AssetHit:
    asset: Asset
    distance_m: float | None = None
    rank: float | None = None
    #: The asset's categories by name (read for the whole page at once: see _with_categories).
    categories: list[Category] = field(default_factory=list)


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
    """The public assets passing the query's filters other than words and place. Conditions on
    assets_asset alone (other tables only in subqueries), so that _where_sql can use them."""
    qs = Asset.objects.public()
    if q.kind:
        qs = qs.filter(kind=q.kind)
    if q.category:
        tagged = Asset.categories.through.objects.filter(category__slug=q.category)
        qs = qs.filter(id__in=tagged.values("asset_id"))
    if q.neighbourhood:
        inside = AssetArea.objects.filter(
            area__slug=q.neighbourhood, area__level=AreaLevel.NEIGHBOURHOOD
        )
        qs = qs.filter(id__in=inside.values("asset_id"))
    return qs


@functools.lru_cache(maxsize=256)
def _filter_sql(vendor: str, kind: str, category: str, neighbourhood: str) -> tuple[str, tuple]:
    """_where_sql of _filtered for these filters (and database), compiled once per process."""
    where, params = _where_sql(
        _filtered(AssetQuery(kind=kind, category=category, neighbourhood=neighbourhood))
    )
    return where, tuple(params)


def _where_sql(qs: QuerySet[Asset]) -> tuple[str, list[Any]]:
    """The WHERE clause of a query on assets_asset alone, as SQL naming that table (to AND into
    hand-written SQL over it): the filters keep one definition, in the ORM."""
    if len(qs.query.alias_map) > 1:
        raise ValueError("only a query on assets_asset alone can be used as a condition")
    if not qs.query.where:
        return "1 = 1", []
    sql, params = qs.query.get_compiler(connection=connection).compile(qs.query.where)
    return sql, list(params)


#: How much lower a stale asset ranks: near a point it sorts as if this many times as far away;
#: by words, its relevance counts this many times less. It is still found, never hidden.
STALE_PENALTY = 2.0


#: By words alone, an asset in a category whose name holds every searched word ("park" and
#: "Parks and green spaces", "libraries" and "Libraries") counts this many times more relevant:
#: someone searching "park" wants parks first, not the bowls clubhouse named after one.
CATEGORY_BOOST = 2.0


def _singular(word: str) -> str:
    """A word without its English plural ending, to compare searched words with category names."""
    word = word.lower()
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def categories_named_by(words: str) -> list[int]:
    """Ids of the public categories whose name holds every searched word, plural or not."""
    wanted = {_singular(w) for w in words_of(words)}
    if not wanted:
        return []
    return [
        pk
        for pk, name in Category.objects.exclude(kind=AssetKind.GIFTS).values_list("id", "name")
        if wanted <= {_singular(w) for w in words_of(name)}
    ]


def stale_cutoff() -> datetime:
    """Assets last verified before this (or never) are stale: settings.LIVINGMAP_STALE_AFTER_DAYS."""
    return timezone.now() - timedelta(days=settings.LIVINGMAP_STALE_AFTER_DAYS)


def _stale_flag() -> Case:
    """1 for a stale asset, 0 for one verified within the stale period (an SQL expression)."""
    return Case(
        When(last_verified_at__gte=stale_cutoff(), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )


def search_assets(q: AssetQuery) -> SearchResults:
    """Assets matching words, kind, category, neighbourhood and distance from a point.

    Ranking: near a point, closest first (ties by id, so pages are stable); words alone, by
    relevance (a word in the name counts three times one in the rest of the text; an asset in a
    category the words name, twice: CATEGORY_BOOST); otherwise by name.
    Stale assets (not verified for settings.LIVINGMAP_STALE_AFTER_DAYS) rank lower: see
    STALE_PENALTY. The radius search is an indexed bounding-box query on (lat_cell, lon), then
    exact distances. Words are matched as words, the last as the start of one only when that
    finds nothing (see _last_word_as_prefix).
    """
    q.check()
    if q.near is not None:
        near = _nearest(q)
        start = (q.page - 1) * q.page_size
        page_ids = near.ids[start : start + q.page_size]
        distances = dict(zip(page_ids, near.distances[start : start + q.page_size], strict=True))
        hits = [AssetHit(a, distances[a.id]) for a in _load(page_ids)]
        kinds = dict(Counter(near.kinds)) if len(near.ids) <= 5000 else {}
        return SearchResults(q, _with_categories(hits), len(near.ids), kinds)
    qs = _filtered(q)
    if words_of(q.words):
        ranks = _ranks(*match_words_sql(q), qs, boost=categories_named_by(q.words))
        ordered = sorted(ranks, key=lambda i: (ranks[i], i))
        total = len(ordered)
        start = (q.page - 1) * q.page_size
        page_ids = ordered[start : start + q.page_size]
        hits = [AssetHit(a, None, ranks[a.id]) for a in _load(page_ids)]
        return SearchResults(q, _with_categories(hits), total, _kind_counts(ordered))
    total = qs.count()
    start = (q.page - 1) * q.page_size
    page_qs = qs.annotate(stale=_stale_flag()).order_by("stale", "name", "id").only(*LIST_FIELDS)
    hits = [AssetHit(a) for a in page_qs[start : start + q.page_size]]
    kinds = dict(qs.order_by().values_list("kind").annotate(n=Count("id")))
    return SearchResults(q, _with_categories(hits), total, kinds)


def match_words_sql(q: AssetQuery) -> tuple[str, list[Any]]:
    """SQL selecting (id, rank) of the assets having the query's words (search.match_ids_sql),
    the last word whole or as a prefix as _last_word_as_prefix decides. The query has words."""
    match = match_ids_sql(q.words, prefix=_last_word_as_prefix(q))
    if match is None:
        raise ValueError("the query has no words")
    return match


def _last_word_as_prefix(q: AssetQuery) -> bool:
    """Whether the query's last word is taken as the start of a word ("lib" finds library):
    only when no asset this search could show (public, passing the filters) has the words with
    the last as a whole word. So a word someone has finished is matched as that word, and what
    private records hold makes no difference. The list and the map ask alike."""
    where, params = _filter_sql(connection.vendor, q.kind, q.category, q.neighbourhood)
    sql, params = first_match_sql(q.words, where, params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is None


def within_radius(lon: float, lat: float, metres: float) -> Q:
    """Assets within `metres` of a point, as a filter to combine with any other (the Open
    Referral API's `postcode` and `proximity` use it): `areas.selectors.within_radius` on the
    assets' indexed (lat_cell, lon), the box a search near a point reads (`_nearest`), and the
    great-circle distance `search_assets` measures, so both find the same assets."""
    return radius_filter(Asset, lon, lat, metres)


@dataclass
class _Near:
    """The assets a search near a point finds, nearest first (a stale one as if STALE_PENALTY
    times as far; ties by id): their ids, distances in metres and kinds, in that order."""

    ids: list[int]
    distances: list[float]
    kinds: list[str]


def _nearest(q: AssetQuery) -> _Near:
    """One statement reads the assets in the box around the point that pass the filters (and,
    with words, those the index matches near it); exact distances follow. With words, the last
    is taken as the start of a word only when, as a whole word, it finds nothing within the
    distance."""
    lon, lat = q.near
    box = BBox.around(lon, lat, q.within_m)
    where, filter_params = _filter_sql(connection.vendor, q.kind, q.category, q.neighbourhood)
    cells = box.lat_cells()
    sql = (
        "SELECT id, lon, lat, kind, "  # noqa: S608 - SQL built here; values go as parameters
        "CASE WHEN last_verified_at >= %s THEN 0 ELSE 1 END FROM assets_asset "
        f"WHERE {where} AND lat_cell IN ({', '.join(['%s'] * len(cells))}) "
        "AND lon BETWEEN %s AND %s AND lat BETWEEN %s AND %s"
    )
    params = [
        connection.ops.adapt_datetimefield_value(stale_cutoff()),
        *filter_params,
        *cells,
        box.min_lon,
        box.max_lon,
        box.min_lat,
        box.max_lat,
    ]
    near = _Near([], [], [])
    for prefix in (False, True) if words_of(q.words) else (None,):
        if prefix is None:
            statement, values = sql, params
        else:  # only index entries near the point are read
            match_sql, match_params = match_near_sql(q.words, box, prefix=prefix)
            statement, values = f"{sql} AND id IN ({match_sql})", [*params, *match_params]
        with connection.cursor() as cursor:
            cursor.execute(statement, values)
            near = _in_order(q, cursor.fetchall())
        if near.ids:
            break
    return near


def _in_order(q: AssetQuery, rows: list[tuple]) -> _Near:
    """Rows (id, lon, lat, kind, stale) within the distance, nearest first."""
    if not rows:
        return _Near([], [], [])
    lon, lat = q.near
    n = len(rows)
    dist = haversine_many(
        lon,
        lat,
        np.fromiter((r[1] for r in rows), float, n),
        np.fromiter((r[2] for r in rows), float, n),
    )
    inside = np.flatnonzero(dist <= q.within_m)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)[inside]
    stale = np.fromiter((r[4] for r in rows), dtype=np.int8, count=n)[inside]
    ranked = np.where(stale == 1, dist[inside] * STALE_PENALTY, dist[inside])
    order = inside[np.lexsort((ids, ranked))].tolist()
    return _Near([rows[i][0] for i in order], dist[order].tolist(), [rows[i][3] for i in order])


def _ranks(
    sql: str, params: list[Any], qs: QuerySet[Asset], *, boost: list[int] | None = None
) -> dict[int, float]:
    """{asset id: rank} for assets in `qs` (a query on assets_asset alone) that match the words
    (the text query runs once); lower is better (ranks are negative), a stale asset's rank
    counts STALE_PENALTY times less, and one in a `boost` category CATEGORY_BOOST times more."""
    where, where_params = _where_sql(qs.order_by())
    cutoff = connection.ops.adapt_datetimefield_value(stale_cutoff())
    boosted, boost_params = "", []
    if boost:
        boosted = (
            f" * CASE WHEN EXISTS (SELECT 1 FROM {Asset.categories.through._meta.db_table} c "  # noqa: S608
            f"WHERE c.asset_id = m.id AND c.category_id IN ({', '.join(['%s'] * len(boost))})) "
            f"THEN {CATEGORY_BOOST} ELSE 1 END"
        )
        boost_params = list(boost)
    with connection.cursor() as cursor:
        cursor.execute(
            # Both parts are SQL we build (match_ids_sql and the ORM); values go as parameters.
            "SELECT m.id, (CASE WHEN assets_asset.last_verified_at >= %s THEN m.rank "  # noqa: S608
            f"ELSE m.rank / {STALE_PENALTY} END){boosted} FROM ({sql}) m "
            f"JOIN assets_asset ON assets_asset.id = m.id WHERE {where}",
            [cutoff, *boost_params, *params, *where_params],
        )
        return {row[0]: row[1] for row in cursor.fetchall()}


def _load(ids: list[int]) -> list[Asset]:
    """The assets with these ids (their LIST_FIELDS), in the order given; any since deleted are
    left out. A raw query: the ORM's compiling of `filter(id__in=…).only(…)` took longer than the
    search itself near a point."""
    if not ids:
        return []
    columns = ", ".join(Asset._meta.get_field(f).column for f in LIST_FIELDS)
    by_id = {
        a.id: a
        for a in Asset.objects.raw(
            f"SELECT {columns} FROM {Asset._meta.db_table} "  # noqa: S608 - names from the model
            f"WHERE id IN ({', '.join(['%s'] * len(ids))})",
            ids,
        )
    }
    return [by_id[i] for i in ids if i in by_id]


def _with_categories(hits: list[AssetHit]) -> list[AssetHit]:
    """Give each hit its categories (by name), read in one query for the page.

    Not prefetch_related: for a many-to-many it builds a related manager and a queryset per
    asset, which cost more than the search itself near a point."""
    found: dict[int, list[Category]] = {}
    ids = [h.asset.id for h in hits]
    if ids:
        columns = ", ".join(f"c.{f.column}" for f in Category._meta.concrete_fields)
        through = Asset.categories.through._meta
        asset_id = through.get_field("asset").column
        category_id = through.get_field("category").column
        for category in Category.objects.raw(
            f"SELECT {columns}, t.{asset_id} AS for_asset "  # noqa: S608 - names from the models
            f"FROM {through.db_table} t JOIN {Category._meta.db_table} c "
            f"ON c.id = t.{category_id} "
            f"WHERE t.{asset_id} IN ({', '.join(['%s'] * len(ids))}) ORDER BY c.name, c.id",
            ids,
        ):
            found.setdefault(category.for_asset, []).append(category)
    for hit in hits:
        hit.categories = found.get(hit.asset.id, [])
    return hits


def _kind_counts(ids: list[int], kinds: list[str] | None = None) -> dict[str, int]:
    """{kind: number} of these assets (none past 5,000); `kinds` if the caller has them."""
    if len(ids) > 5000:
        return {}
    if kinds is not None:
        return dict(Counter(kinds))
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


def stale_period() -> str:
    """How long a listing stays fresh, in words: '18 months' for 540 days (the default)."""
    days = settings.LIVINGMAP_STALE_AFTER_DAYS
    n, unit = days, "day"
    for name, length in (("year", 365), ("month", 30), ("week", 7)):
        if days >= length and days % length == 0:
            n, unit = days // length, name
            break
    return unit if n == 1 else f"{n} {unit}s"


def get_located_public_asset(uuid: Any) -> Asset:
    """A public asset that has a location (its name and point only), to search near it; any other
    (private, unlocated, unknown) raises Asset.DoesNotExist."""
    return Asset.objects.public().located().only("id", "uuid", "name", "lon", "lat").get(uuid=uuid)


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


# -- reads for the JSON API and map layers -----------------------------------------------------

#: The most assets one map layer (GeoJSON) returns; the response says when there were more.
MAP_FEATURE_LIMIT = 5000


def check_search_filters(q: AssetQuery) -> None:
    """SearchError for a category or neighbourhood that does not exist (rather than no results)."""
    if q.category and not Category.objects.filter(slug=q.category).exclude(kind="gifts").exists():
        raise SearchError(f"'{q.category}' is not a category. See /api/categories for the list")
    if q.neighbourhood and not Area.objects.neighbourhoods().filter(slug=q.neighbourhood).exists():
        raise SearchError(
            f"'{q.neighbourhood}' is not a neighbourhood. See /api/neighbourhoods for the list"
        )


@dataclass
class MapPoint:
    """A located asset as a map layer shows it."""

    id: int
    uuid: Any
    name: str
    kind: str
    lon: float
    lat: float
    distance_m: float | None = None
    categories: list[str] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return AssetKind(self.kind).label


@dataclass
class MapResults:
    query: AssetQuery
    points: list[MapPoint]
    total: int
    limit: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.points)


def map_assets(q: AssetQuery, *, limit: int = MAP_FEATURE_LIMIT) -> MapResults:
    """Located public assets matching a search, for a map layer, at most `limit` of them.

    The filters are search_assets' own (paging aside); the order too: nearest first near a point,
    by relevance for words, otherwise by name, stale assets lower each time (see STALE_PENALTY).
    Unlocated assets are left out. Only the columns a map needs are read, in a handful of queries
    whatever the number of assets.
    """
    q.check()
    qs = _filtered(q).located()
    if q.near is not None:
        near = _nearest(q)  # everything near a point is located
        total = len(near.ids)
        distances = dict(zip(near.ids[:limit], near.distances[:limit], strict=True))
        points = _map_points(near.ids[:limit])
        for point in points:
            point.distance_m = distances[point.id]
    elif words_of(q.words):
        ranks = _ranks(*match_words_sql(q), qs, boost=categories_named_by(q.words))
        total = len(ranks)
        points = _map_points(sorted(ranks, key=lambda i: (ranks[i], i))[:limit])
    else:
        total = qs.count()
        # search_assets' order: those verified within the stale period first, each by name.
        rows = (
            qs.annotate(stale=_stale_flag())
            .order_by("stale", "name", "id")
            .values_list(*_MAP_COLUMNS)[:limit]
        )
        points = [MapPoint(*r) for r in rows]
    # Categories in one query when every match is here (the search's own rows bound it).
    whole = total <= limit and q.near is None and not words_of(q.words)
    _add_map_categories(points, qs if whole else None)
    return MapResults(q, points, total, limit)


def _map_points(ids: list[int]) -> list[MapPoint]:
    """MapPoints for these asset ids, in the order given."""
    by_id: dict[int, MapPoint] = {}
    for start in range(0, len(ids), 900):
        rows = Asset.objects.filter(id__in=ids[start : start + 900])
        by_id.update((r[0], MapPoint(*r)) for r in rows.values_list(*_MAP_COLUMNS))
    return [by_id[i] for i in ids if i in by_id]


_MAP_COLUMNS = ("id", "uuid", "name", "kind", "lon", "lat")


def _add_map_categories(points: list[MapPoint], within: QuerySet[Asset] | None) -> None:
    by_id = {p.id: p for p in points}
    through = Asset.categories.through.objects.order_by("category__slug")
    if within is not None:
        batches = [through.filter(asset_id__in=within.order_by().values("id"))]
    else:
        ids = list(by_id)
        batches = [through.filter(asset_id__in=ids[i : i + 900]) for i in range(0, len(ids), 900)]
    for batch in batches:
        for asset_id, slug in batch.values_list("asset_id", "category__slug"):
            if asset_id in by_id:
                by_id[asset_id].categories.append(slug)


def asset_counts_for_areas(area_ids: list[int]) -> dict[int, list[tuple[str, str, int]]]:
    """{area id: [(kind, kind label, number of public assets)]} in the kinds' order, for the
    given areas or neighbourhoods; an area with no assets is absent. One query a 900 areas."""
    counts: dict[int, dict[str, int]] = {}
    for start in range(0, len(area_ids), 900):
        rows = (
            Asset.objects.public()
            .filter(area_links__area_id__in=area_ids[start : start + 900])
            .order_by()
            .values_list("area_links__area_id", "kind")
            .annotate(n=Count("id"))
        )
        for area_id, kind, n in rows:
            counts.setdefault(area_id, {})[kind] = n
    return {
        area_id: [(k.value, k.label, by_kind[k.value]) for k in AssetKind if k.value in by_kind]
        for area_id, by_kind in counts.items()
    }


def public_kind_counts() -> list[tuple[str, str, int]]:
    """Every kind of asset the public may see, with its label and number of public assets."""
    counts = dict(Asset.objects.public().order_by().values_list("kind").annotate(n=Count("id")))
    return [(k.value, k.label, counts.get(k.value, 0)) for k in AssetKind if k != AssetKind.GIFTS]


def public_categories() -> QuerySet[Category]:
    """Every category of public assets (never the private gifts-and-skills ones), each with
    `asset_count`, the number of public assets in it."""
    from .models import Visibility

    public = Q(assets__visibility=Visibility.PUBLIC) & ~Q(assets__kind=AssetKind.GIFTS)
    return (
        Category.objects.exclude(kind=AssetKind.GIFTS)
        .select_related("parent")
        .annotate(asset_count=Count("assets", filter=public))
        .order_by("name")
    )


def get_public_asset_record(uuid: Any) -> Asset:
    """One public asset with everything its full record shows (categories, sources, areas),
    in four queries, without reading the areas' boundaries. Private ones: Asset.DoesNotExist."""
    from django.db.models import Prefetch

    from .models import AssetArea, AssetSource

    links = AssetArea.objects.select_related("area").defer("area__geometry")
    return (
        Asset.objects.public()
        .prefetch_related(
            "categories",
            Prefetch("sources", queryset=AssetSource.objects.select_related("dataset")),
            Prefetch("area_links", queryset=links),
        )
        .get(uuid=uuid)
    )


@dataclass(frozen=True)
class AssetMatch:
    """The asset an organisation or record is, and what matched it: "uprn", "charity_number",
    "company_number" or "name_at_place" (a matching name within SAME_PLACE_M or at the same
    postcode)."""

    asset: Asset
    by: str


#: The identifiers `match_asset` tries, in turn: an organisation's own numbers before the
#: building's (several groups may share a community centre's UPRN).
ORGANISATION_KEYS = ("charity_number", "company_number", "uprn")


def match_asset(
    *,
    name: str = "",
    charity_number: str = "",
    company_number: str = "",
    uprn: str = "",
    postcode: str = "",
    lon: float | None = None,
    lat: float | None = None,
) -> AssetMatch | None:
    """The existing asset an organisation (a grant applicant, a referral's provider, …) is, or
    None: the same charity number, else company number (as the asset's data gave it, in
    `extra`), else UPRN, else a matching name (`core.text.names_match`) within SAME_PLACE_M of
    `lon`/`lat` or at the same `postcode`. The matching is the import's de-duplication
    (`assets.matching`); on a tie the lowest id wins. Private records are matched too: the
    caller decides what it may show (`match.asset.visibility`)."""
    pc = clean_postcode(postcode)
    wanted = Q(pk__in=[])
    if charity_number.strip():
        wanted |= Q(charity_number=charity_number.strip())
    if company_number.strip():
        wanted |= Q(extra__company_number=company_number.strip())
    if uprn.strip():
        wanted |= Q(uprn=uprn.strip())
    if name.strip() and pc:
        wanted |= Q(postcode=pc)
    if name.strip() and lon is not None and lat is not None:
        wanted |= within_radius(lon, lat, SAME_PLACE_M)
    rows = Asset.objects.filter(wanted).order_by("id").values_list(*CANDIDATE_FIELDS, "extra")
    candidates = [
        Candidate(*row[:-1], company_number=str((row[-1] or {}).get("company_number") or ""))
        for row in rows[:500]
    ]
    if not candidates:
        return None
    asked = _Asked(
        name.strip(), pc, lon, lat, uprn.strip(), charity_number.strip(), company_number.strip()
    )
    (found,) = Candidates(candidates).match([asked], keys=ORGANISATION_KEYS)
    if found is None:
        return None
    return AssetMatch(Asset.objects.get(pk=found[0]), found[1])


@dataclass(frozen=True)
class _Asked:
    name: str
    postcode: str
    lon: float | None
    lat: float | None
    uprn: str
    charity_number: str
    company_number: str
