"""Reads for the Open Referral API: the filters of the HSDS / ORUK OpenAPI documents, paging, and
look-ups by id. Only public assets (never gifts and skills, never private records) appear."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from livingmap.areas.selectors import PostcodeNotFound, point_for_postcode
from livingmap.assets.models import Asset, AssetKind, Category
from livingmap.assets.search import words_of
from livingmap.assets.selectors import AssetQuery, match_words_sql, within_radius
from livingmap.core.text import PostcodeError

from . import mapping
from .models import (
    HsdsKey,
    HsdsOrganization,
    HsdsSchedule,
    HsdsService,
    HsdsTaxonomy,
    HsdsTaxonomyTerm,
)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 1000
MAX_PAGE = 10_000_000
#: Seconds an unfiltered total is reused: counting a million rows per page costs more than the
#: page itself, and a directory's total that is a minute old is still right for paging.
TOTAL_TTL = 60
DAYS = {
    "mo": "MO",
    "mon": "MO",
    "monday": "MO",
    "tu": "TU",
    "tue": "TU",
    "tuesday": "TU",
    "we": "WE",
    "wed": "WE",
    "wednesday": "WE",
    "th": "TH",
    "thu": "TH",
    "thursday": "TH",
    "fr": "FR",
    "fri": "FR",
    "friday": "FR",
    "sa": "SA",
    "sat": "SA",
    "saturday": "SA",
    "su": "SU",
    "sun": "SU",
    "sunday": "SU",
}


class BadRequest(Exception):
    """A parameter cannot be used; the message says which and why (answered as 400)."""


class NotFound(Exception):
    pass


# -- parameters ----------------------------------------------------------------------------------


def _int(params: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a whole number, not '{raw[:40]}'") from exc
    if not lo <= value <= hi:
        raise BadRequest(f"{name} must be between {lo} and {hi}")
    return value


def _float(params: dict[str, str], name: str) -> float | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a number, not '{raw[:40]}'") from exc
    if not math.isfinite(value):
        raise BadRequest(f"{name} must be a finite number")
    return value


def flag(params: dict[str, str], name: str) -> bool:
    """A true/false parameter (true, 1, yes; false, 0, no, or absent); BadRequest otherwise."""
    return _bool(params, name)


def _bool(params: dict[str, str], name: str) -> bool:
    raw = params.get(name, "").lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise BadRequest(f"{name} must be true or false")


def _uuid(params: dict[str, str], name: str) -> uuid.UUID | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a UUID") from exc


def _time(params: dict[str, str], name: str) -> time | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", raw.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59 or int(match[3] or 0) > 59:
        raise BadRequest(f"{name} must be a time such as 09:30")
    return time(int(match[1]), int(match[2]), int(match[3] or 0))


def _datetime(params: dict[str, str], name: str) -> datetime | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    try:
        value = parse_datetime(raw.replace(" ", "+"))
        if value is None:
            day = parse_date(raw)
            value = datetime(day.year, day.month, day.day) if day else None
    except ValueError:
        value = None
    if value is None:
        raise BadRequest(f"{name} must be a date or date-time (ISO 8601)")
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    def envelope(self, contents: list[dict[str, Any]]) -> dict[str, Any]:
        pages = max(1, math.ceil(self.total / self.per_page)) if self.total else 0
        return {
            "total_items": self.total,
            "total_pages": pages,
            "page_number": self.page,
            "size": len(contents),
            "first_page": self.page == 1,
            "last_page": self.page >= pages,
            "empty": len(contents) == 0,
            "contents": contents,
        }


def paging(params: dict[str, str]) -> tuple[int, int]:
    page = _int(params, "page", 1, 1, MAX_PAGE)
    per_page = _int(params, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    return page, per_page


def check_format(params: dict[str, str]) -> None:
    fmt = params.get("format", "")
    if fmt not in ("", "json"):
        raise BadRequest("format must be json (the only format this API answers in)")


def paginate(parts: Sequence[QuerySet], page: int, per_page: int, *, totals=None) -> Page:
    """One page across several querysets read one after the other (their union, in order)."""
    counts = totals if totals is not None else [qs.count() for qs in parts]
    start, stop = (page - 1) * per_page, page * per_page
    items: list[Any] = []
    offset = 0
    for qs, count in zip(parts, counts, strict=True):
        lo, hi = max(start - offset, 0), min(stop - offset, count)
        if lo < hi:
            items.extend(qs[lo:hi])
        offset += count
    return Page(items, sum(counts), page, per_page)


# -- services ------------------------------------------------------------------------------------


def term_filter(term_id: uuid.UUID) -> Q:
    slugs = {mapping.category_term_id(s): s for s in Category.objects.values_list("slug", flat=1)}
    kinds = {mapping.kind_term_id(k): k for k in AssetKind.values}
    q = Q(hsds__term_links__term_id=term_id)
    if term_id in slugs:
        q |= Q(hsds__isnull=True, categories__slug=slugs[term_id])
    if term_id in kinds:
        q |= Q(hsds__isnull=True, kind=kinds[term_id])
    return q


def taxonomy_filter(taxonomy_id: uuid.UUID) -> Q:
    if taxonomy_id == mapping.KIND_TAXONOMY_ID:
        return Q(hsds__isnull=True)
    if taxonomy_id == mapping.CATEGORY_TAXONOMY_ID:
        return Q(hsds__isnull=True, categories__isnull=False)
    return Q(hsds__term_links__taxonomy_id=taxonomy_id)


def filtered_assets(params: dict[str, str], *, located_only: bool = False) -> QuerySet[Asset]:
    """Public assets matching every given filter (filters combine as AND)."""
    qs = Asset.objects.public()
    distinct = False
    text = params.get("search", "").strip()
    if text and words_of(text):
        sql, sql_params = match_words_sql(AssetQuery(words=text))
        qs = qs.filter(
            id__in=RawSQL(f"SELECT id FROM ({sql}) AS m", sql_params)  # noqa: S608, S611 - the search module's own SQL
        )
    term = _uuid(params, "taxonomy_term_id")
    if term is not None:
        qs, distinct = qs.filter(term_filter(term)), True
    taxonomy = _uuid(params, "taxonomy_id")
    if taxonomy is not None:
        qs, distinct = qs.filter(taxonomy_filter(taxonomy)), True
    org = _uuid(params, "organization_id")
    if org is not None:
        native = mapping.asset_uuid_from(org, "organization")
        qs = qs.filter(Q(hsds__isnull=True, uuid=native) | Q(hsds__organization_id=org))
    after = _datetime(params, "modified_after")
    if after is not None:
        qs = qs.filter(Q(hsds__isnull=True, updated_at__gt=after) | Q(hsds__modified__gt=after))
    min_age = _float(params, "minimum_age")
    if min_age is not None:
        qs = qs.filter(hsds__minimum_age__gte=min_age)
    max_age = _float(params, "maximum_age")
    if max_age is not None:
        qs = qs.filter(hsds__maximum_age__lte=max_age)
    day = params.get("day", "").strip()
    start, end = _time(params, "start_time"), _time(params, "end_time")
    if day or start or end:
        schedules = HsdsSchedule.objects.all()
        if day:
            code = DAYS.get(day.lower())
            if code is None:
                raise BadRequest("day must be a day of the week (e.g. MO or monday)")
            schedules = schedules.filter(byday__contains=code)
        if start:
            schedules = schedules.filter(opens_at__gte=start)
        if end:
            schedules = schedules.filter(closes_at__lte=end)
        qs = qs.filter(hsds__in=schedules.values("service_id"))
    postcode = params.get("postcode", "").strip()
    proximity = _float(params, "proximity")
    if proximity is not None and not postcode:
        raise BadRequest("proximity needs a postcode to measure from")
    if postcode:
        try:  # the site's one postcode lookup and radius search (areas and assets selectors)
            lon, lat = point_for_postcode(postcode)
        except (PostcodeError, PostcodeNotFound):
            raise BadRequest(f"postcode '{postcode[:20]}' is not a postcode we know") from None
        metres = proximity if proximity is not None else 1609.344
        if not 0 < metres <= 200_000:
            raise BadRequest("proximity must be more than 0 and at most 200000 metres")
        qs = qs.filter(within_radius(lon, lat, metres))
    if located_only:
        qs = qs.filter(lat__isnull=False)
    return qs.distinct() if distinct else qs


def has_filters(params: dict[str, str]) -> bool:
    keys = set(params) - {"page", "per_page", "minimal", "full", "format"}
    return any(params.get(k, "") != "" for k in keys)


def _total(key: str, qs: QuerySet, filtered: bool) -> int:
    """A count; an unfiltered count of assets is cached briefly (see TOTAL_TTL), and afresh
    whenever an asset is added (the key holds the highest asset id)."""
    if filtered:
        return qs.count()
    from django.db.models import Max

    key = f"{key}:{Asset.objects.aggregate(m=Max('id'))['m']}"
    total = cache.get(key)
    if total is None:
        total = qs.count()
        cache.set(key, total, TOTAL_TTL)
    return total


def with_hsds(assets: list[Asset]) -> list[Asset]:
    """Attach each imported asset's HsdsService (as `_hsds`) in one query."""
    ids = [a.id for a in assets]
    found = {h.asset_id: h for h in HsdsService.objects.filter(asset_id__in=ids)} if ids else {}
    for asset in assets:
        asset._hsds = found.get(asset.id)  # type: ignore[attr-defined]
    return assets


#: Every STRIDE-th public asset id is remembered, so a deep page starts from a known id
#: instead of stepping over every row before it (OFFSET is linear in SQLite and PostgreSQL).
STRIDE = 1000


@dataclass
class _Snapshot:
    at: float
    max_id: int
    total: int
    bounds: list[int]


_snapshot: _Snapshot | None = None


def forget_snapshot(**_: Any) -> None:
    """Drop the remembered total and page bounds (an asset was saved or deleted)."""
    global _snapshot
    _snapshot = None


def _public_snapshot() -> _Snapshot:
    """The number of public assets and every STRIDE-th id, from one index scan, reused for
    TOTAL_TTL seconds while no asset is added (max id) and none is saved or deleted through
    the ORM (signals in apps.py). Bulk edits of visibility may show for up to TOTAL_TTL."""
    global _snapshot
    from time import monotonic

    from django.db import connection
    from django.db.models import Max

    top = Asset.objects.aggregate(m=Max("id"))["m"] or 0
    now = monotonic()
    snap = _snapshot
    if snap is not None and snap.max_id == top and now - snap.at < TOTAL_TTL:
        return snap
    sql, params = Asset.objects.public().order_by("id").values_list("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    _snapshot = _Snapshot(now, top, len(ids), ids[::STRIDE])
    return _snapshot


def _unfiltered_page(page: int, per_page: int) -> Page:
    snap = _public_snapshot()
    start = (page - 1) * per_page
    items: list[Asset] = []
    if start < snap.total:
        block = start // STRIDE
        qs = Asset.objects.public().filter(id__gte=snap.bounds[block]).order_by("id")
        skip = start - block * STRIDE
        items = list(qs[skip : skip + per_page])
    return Page(items, snap.total, page, per_page)


def service_page(params: dict[str, str]) -> Page:
    check_format(params)
    page, per_page = paging(params)
    if has_filters(params):
        qs = filtered_assets(params).order_by("id")
        result = paginate([qs], page, per_page)
    else:
        result = _unfiltered_page(page, per_page)
    if _bool(params, "full"):
        result.items = list(
            Asset.objects.filter(id__in=[a.id for a in result.items])
            .prefetch_related("categories")
            .order_by("id")
        )
    with_hsds(result.items)
    return result


def minimal_requested(params: dict[str, str]) -> bool:
    return _bool(params, "minimal")


def full_requested(params: dict[str, str]) -> bool:
    return _bool(params, "full")


def get_service(service_id: str) -> Asset:
    try:
        key = uuid.UUID(service_id)
    except ValueError as exc:
        raise NotFound("no service has that id") from exc
    hsds = HsdsService.objects.filter(hsds_id=key, asset__in=Asset.objects.public()).first()
    if hsds is not None:
        asset = hsds.asset
        asset._hsds = hsds  # type: ignore[attr-defined]
        return asset
    asset = Asset.objects.public().filter(uuid=key, hsds__isnull=True).first()
    if asset is None:
        raise NotFound("no service has that id")
    asset._hsds = None  # type: ignore[attr-defined]
    return asset


# -- service_at_locations -----------------------------------------------------------------------


@dataclass
class SalRef:
    """One service_at_location: a native located asset, or position `position` of an imported
    service's list."""

    asset: Asset
    position: int = 0


def sal_page(params: dict[str, str]) -> Page:
    check_format(params)
    page, per_page = paging(params)
    assets = filtered_assets(params)
    native = assets.filter(hsds__isnull=True, lat__isnull=False).order_by("id")
    imported = (
        HsdsKey.objects.filter(kind=HsdsKey.Kind.SERVICE_AT_LOCATION, service__asset__in=assets)
        .select_related("service__asset", "service")
        .order_by("service_id", "position")
    )
    filtered = has_filters(params)
    totals = [_total("openreferral:sal:native", native, filtered), imported.count()]
    result = paginate([native, imported], page, per_page, totals=totals)
    refs = []
    for item in result.items:
        if isinstance(item, HsdsKey):
            asset = item.service.asset
            asset._hsds = item.service  # type: ignore[attr-defined]
            refs.append(SalRef(asset, item.position))
        else:
            item._hsds = None
            refs.append(SalRef(item))
    result.items = refs
    return result


def get_sal(sal_id: str) -> SalRef:
    try:
        key = uuid.UUID(sal_id)
    except ValueError as exc:
        raise NotFound("no service_at_location has that id") from exc
    found = (
        HsdsKey.objects.filter(kind=HsdsKey.Kind.SERVICE_AT_LOCATION, key=key)
        .select_related("service__asset")
        .first()
    )
    public = Asset.objects.public()
    if found is not None and public.filter(id=found.service.asset_id).exists():
        asset = found.service.asset
        asset._hsds = found.service  # type: ignore[attr-defined]
        return SalRef(asset, found.position)
    native = mapping.asset_uuid_from(key, "service_at_location")
    asset = public.filter(uuid=native, hsds__isnull=True, lat__isnull=False).first()
    if asset is None:
        raise NotFound("no service_at_location has that id")
    asset._hsds = None  # type: ignore[attr-defined]
    return SalRef(asset)


# -- organisations -------------------------------------------------------------------------------


def organization_page(params: dict[str, str]) -> Page:
    check_format(params)
    page, per_page = paging(params)
    native = Asset.objects.public().filter(hsds__isnull=True).order_by("id")
    imported = HsdsOrganization.objects.order_by("id")
    text = params.get("search", "").strip()
    if text:
        native = filtered_assets({"search": text}).filter(hsds__isnull=True).order_by("id")
        imported = imported.filter(name__icontains=text)
    filtered = bool(text)
    totals = [_total("openreferral:orgs:native", native, filtered), imported.count()]
    return paginate([native, imported], page, per_page, totals=totals)


def get_organization(org_id: str) -> Asset | HsdsOrganization:
    try:
        key = uuid.UUID(org_id)
    except ValueError as exc:
        raise NotFound("no organization has that id") from exc
    found = HsdsOrganization.objects.filter(id=key).first()
    if found is not None:
        return found
    native = mapping.asset_uuid_from(key, "organization")
    asset = Asset.objects.public().filter(uuid=native, hsds__isnull=True).first()
    if asset is None:
        raise NotFound("no organization has that id")
    return asset


def services_of_organization(org: HsdsOrganization) -> list[Asset]:
    rows = HsdsService.objects.filter(
        organization_id=org.id, asset__in=Asset.objects.public()
    ).select_related("asset")
    assets = []
    for row in rows.order_by("id"):
        row.asset._hsds = row  # type: ignore[attr-defined]
        assets.append(row.asset)
    return assets


# -- taxonomies ----------------------------------------------------------------------------------


def taxonomy_page(params: dict[str, str]) -> Page:
    check_format(params)
    page, per_page = paging(params)
    own = [mapping.taxonomy_object(t) for t in mapping.TAXONOMIES]
    imported = HsdsTaxonomy.objects.order_by("id")
    text = params.get("search", "").strip().lower()
    if text:
        own = [t for t in own if text in t["name"].lower()]
        imported = imported.filter(name__icontains=text)
    return paginate([own, imported], page, per_page, totals=[len(own), imported.count()])


def get_taxonomy(taxonomy_id: str) -> dict[str, Any]:
    try:
        key = uuid.UUID(taxonomy_id)
    except ValueError as exc:
        raise NotFound("no taxonomy has that id") from exc
    if key in mapping.TAXONOMIES:
        return mapping.taxonomy_object(key)
    found = HsdsTaxonomy.objects.filter(id=key).first()
    if found is None:
        raise NotFound("no taxonomy has that id")
    return found.data


def _own_terms() -> list[dict[str, Any]]:
    categories = list(Category.objects.select_related("parent").order_by("slug"))
    terms = [mapping.category_term(c, c.parent.slug if c.parent else None) for c in categories]
    return terms + mapping.kind_terms()


def taxonomy_term_page(params: dict[str, str]) -> Page:
    check_format(params)
    page, per_page = paging(params)
    own = _own_terms()
    imported = HsdsTaxonomyTerm.objects.order_by("id")
    text = params.get("search", "").strip().lower()
    if text:
        own = [t for t in own if text in t["name"].lower()]
        imported = imported.filter(name__icontains=text)
    taxonomy = _uuid(params, "taxonomy_id")
    if taxonomy is not None:
        own = [t for t in own if t["taxonomy_id"] == str(taxonomy)]
        imported = imported.filter(taxonomy_id=taxonomy)
    parent = _uuid(params, "parent_id")
    if parent is not None:
        own = [t for t in own if t.get("parent_id") == str(parent)]
        imported = imported.filter(parent_id=parent)
    if _bool(params, "top_only"):
        own = [t for t in own if not t.get("parent_id")]
        imported = imported.filter(parent_id__isnull=True)
    return paginate([own, imported], page, per_page, totals=[len(own), imported.count()])


def get_taxonomy_term(term_id: str) -> dict[str, Any]:
    try:
        key = uuid.UUID(term_id)
    except ValueError as exc:
        raise NotFound("no taxonomy term has that id") from exc
    for term in _own_terms():
        if term["id"] == str(key):
            return term
    found = HsdsTaxonomyTerm.objects.filter(id=key).first()
    if found is None:
        raise NotFound("no taxonomy term has that id")
    return found.data


def all_public_services() -> list[Asset]:
    """Every public asset as a full service, for the bulk export (in id order)."""
    assets = list(Asset.objects.public().prefetch_related("categories").order_by("id"))
    return with_hsds(assets)
