"""Reads for insights: neighbourhood profiles, gaps (need against assets), and participation.

Profiles read the precomputed snapshots (services.refresh_aggregates), so a profile is a handful
of small queries however many assets there are. Roll-ups of indicators are the areas app's
(neighbourhood_indicators and its methods); nothing here re-derives them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely
from django.db.models import Sum

from livingmap.areas.importers.indicators import IMD_DOMAINS
from livingmap.areas.models import Area, AreaComponent, AreaLevel, Indicator, IndicatorValue
from livingmap.areas.selectors import LSOA_COUNT_ENGLAND_2019
from livingmap.assets.models import Asset, AssetArea, AssetKind, Category
from livingmap.core import disclosure
from livingmap.core.geo import EARTH_RADIUS_M, haversine_many

from .models import (
    Activity,
    ActivityCategory,
    AreaAssetCount,
    LsoaCentre,
    ParticipationRecord,
    ParticipationSplit,
    ProfileSnapshot,
)
from .services import ensure_fresh

#: How many neighbourhoods of the nearest average IMD rank a profile is compared with.
PEERS = 2
#: Counts below this (but above 0) are shown as "<5" on public pages, the API and downloads.
SUPPRESS_BELOW = disclosure.THRESHOLD
SUPPRESSED = disclosure.SMALL
#: "No asset within this distance of the LSOA's centre" makes a place low on assets.
NEAR_M = 1000
DECILE_SIZE = LSOA_COUNT_ENGLAND_2019 / 10
#: The measures of need a gaps table can use: the rank of IMD 2019 and of each of its domains,
#: in the order the indicators are listed. The page's choices, the API's OpenAPI enum and the
#: check of a query all come from this list.
NEED_MEASURES: tuple[str, ...] = tuple(f"{slug}-rank" for _column, slug, _name in IMD_DOMAINS)
DEFAULT_NEED = NEED_MEASURES[0]


def public_kinds() -> list[tuple[str, str]]:
    return [(v, label) for v, label in AssetKind.choices if v != AssetKind.GIFTS]


def rate_per_1000(count: float, people: float | None) -> float | None:
    """Assets per 1,000 residents (None when the population is not known or is 0)."""
    if not people:
        return None
    return count * 1000 / people


def national_decile(rank: float | None) -> int | None:
    """The national decile of an IMD rank or average rank (1 = most deprived 10%)."""
    if rank is None:
        return None
    return min(10, max(1, math.ceil(rank / DECILE_SIZE)))


# -- profiles -----------------------------------------------------------------------------------


@dataclass
class KindRow:
    kind: str
    label: str
    count: int
    rate: float | None
    area_count: int
    area_rate: float | None
    peer_rate: float | None
    similar_decile_rate: float | None


@dataclass
class DomainRow:
    slug: str
    name: str
    rank: float | None
    decile: int | None
    most_deprived_share: float | None
    area_rank: float | None
    area_most_deprived_share: float | None
    peer_rank: float | None


@dataclass
class Profile:
    neighbourhood: Area
    population: float | None
    area_population: float | None
    imd_rank: float | None
    imd_decile: int | None
    most_deprived_share: float | None
    area_imd_rank: float | None
    area_most_deprived_share: float | None
    peers: list[dict[str, Any]]
    kinds: list[KindRow]
    domains: list[DomainRow]
    people_by_decile: list[dict[str, Any]]
    sources: list[Indicator] = field(default_factory=list)
    total_assets: int = 0
    area_total_assets: int = 0
    #: Public assets the whole area's figures leave out: no location, or located outside it.
    area_assets_not_counted: int = 0

    @property
    def total_rate(self) -> float | None:
        return rate_per_1000(self.total_assets, self.population)

    @property
    def area_total_rate(self) -> float | None:
        return rate_per_1000(self.area_total_assets, self.area_population)


def measure_name(stem: str, what: str) -> str:
    """The one name a measure has in every CSV: e.g. ("imd", "average_rank") -> imd_average_rank,
    ("imd", "share_in_decile_1"), ("association", "per_1000")."""
    return f"{stem}_{what}".replace("-", "_")


def _indicator(data: dict[str, Any], slug: str) -> dict[str, Any] | None:
    return next((i for i in data.get("indicators", []) if i["slug"] == slug), None)


def _value(data: dict[str, Any], slug: str) -> float | None:
    found = _indicator(data, slug)
    return found["value"] if found else None


def snapshots() -> tuple[dict[int, ProfileSnapshot], ProfileSnapshot | None]:
    """({neighbourhood id: snapshot}, the whole area's snapshot), fresh."""
    ensure_fresh()
    by_area: dict[int, ProfileSnapshot] = {}
    whole = None
    for snap in ProfileSnapshot.objects.all():
        if snap.area_id is None:
            whole = snap
        else:
            by_area[snap.area_id] = snap
    return by_area, whole


def nearest_peers(hood_id: int, by_area: dict[int, ProfileSnapshot], n: int = PEERS) -> list[int]:
    """The neighbourhoods whose population-weighted average IMD rank is nearest this one's."""
    mine = _value(by_area[hood_id].data, "imd-rank") if hood_id in by_area else None
    if mine is None:
        return []
    others = [
        (abs(rank - mine), area_id)
        for area_id, snap in by_area.items()
        if area_id != hood_id and (rank := _value(snap.data, "imd-rank")) is not None
    ]
    return [area_id for _, area_id in sorted(others)[:n]]


def neighbourhood_profile(hood: Area) -> Profile:
    """A neighbourhood's profile: population, deprivation and assets per 1,000 residents, each
    beside the whole area and the neighbourhoods of most similar deprivation."""
    by_area, whole = snapshots()
    data = by_area[hood.id].data if hood.id in by_area else {"indicators": [], "kinds": {}}
    area = whole.data if whole else {"indicators": [], "kinds": {}}
    peer_ids = nearest_peers(hood.id, by_area)
    peer_areas = {a.id: a for a in Area.objects.filter(id__in=peer_ids).only("id", "name", "slug")}
    peers = [
        {
            "area": peer_areas[i],
            "imd_rank": _value(by_area[i].data, "imd-rank"),
            "population": _value(by_area[i].data, "population"),
        }
        for i in peer_ids
        if i in peer_areas
    ]
    population = _value(data, "population")
    area_population = _value(area, "population")
    peer_people = sum(p["population"] or 0 for p in peers)
    # Residents by decile of their LSOA, and the area's rate in LSOAs of each decile.
    hood_deciles = {int(d): p for d, p in data.get("people_by_decile", {}).items()}
    area_deciles = {int(d): p for d, p in area.get("people_by_decile", {}).items()}
    decile_kinds = {int(d): k for d, k in area.get("kinds_by_decile", {}).items()}
    hood_decile_people = sum(hood_deciles.values())

    def similar_decile_rate(kind: str | None) -> float | None:
        """The area's rate in LSOAs of the same deciles, weighted by this neighbourhood's
        residents in each decile."""
        if not hood_decile_people:
            return None
        total = 0.0
        for d, people in hood_deciles.items():
            kinds = decile_kinds.get(d, {})
            count = sum(kinds.values()) if kind is None else kinds.get(kind, 0)
            rate = rate_per_1000(count, area_deciles.get(d))
            if rate is None:
                continue
            total += rate * people / hood_decile_people
        return total

    kinds = []
    for kind, label in public_kinds():
        count = data.get("kinds", {}).get(kind, 0)
        area_count = area.get("kinds", {}).get(kind, 0)
        peer_count = sum(by_area[p["area"].id].data.get("kinds", {}).get(kind, 0) for p in peers)
        kinds.append(
            KindRow(
                kind,
                label,
                count,
                rate_per_1000(count, population),
                area_count,
                rate_per_1000(area_count, area_population),
                rate_per_1000(peer_count, peer_people) if peers else None,
                similar_decile_rate(kind),
            )
        )
    domains = []
    for ind in data.get("indicators", []):
        slug = ind["slug"]
        if not slug.endswith("-rank"):
            continue
        stem = slug.removesuffix("-rank")
        decile = _indicator(data, f"{stem}-decile")
        area_decile = _indicator(area, f"{stem}-decile")
        peer_ranks = [
            (v, p["population"] or 0)
            for p in peers
            if (v := _value(by_area[p["area"].id].data, slug)) is not None
        ]
        weight = sum(w for _, w in peer_ranks)
        domains.append(
            DomainRow(
                stem,
                ind["name"].removesuffix(" (rank)"),
                ind["value"],
                national_decile(ind["value"]),
                decile["distribution"].get("1", 0.0) if decile else None,
                _value(area, slug),
                area_decile["distribution"].get("1", 0.0) if area_decile else None,
                sum(v * w for v, w in peer_ranks) / weight if weight else None,
            )
        )
    decile_rows = []
    for d in range(1, 11):
        here = hood_deciles.get(d, 0.0)
        there = area_deciles.get(d, 0.0)
        kinds_d = decile_kinds.get(d, {})
        decile_rows.append(
            {
                "decile": d,
                "people": here,
                "share": here / hood_decile_people if hood_decile_people else 0.0,
                "area_people": there,
                "area_rate": rate_per_1000(sum(kinds_d.values()), there),
            }
        )
    source_ids = {i["source_id"] for i in data.get("indicators", [])}
    imd = overall = _indicator(data, "imd-decile")
    area_imd = _indicator(area, "imd-decile")
    imd_rank = _value(data, "imd-rank")
    return Profile(
        neighbourhood=hood,
        population=population,
        area_population=area_population,
        imd_rank=imd_rank,
        imd_decile=national_decile(imd_rank),
        most_deprived_share=overall["distribution"].get("1", 0.0) if imd else None,
        area_imd_rank=_value(area, "imd-rank"),
        area_most_deprived_share=area_imd["distribution"].get("1", 0.0) if area_imd else None,
        peers=peers,
        kinds=kinds,
        domains=domains,
        people_by_decile=decile_rows,
        sources=_sources(source_ids),
        total_assets=sum(k.count for k in kinds),
        area_total_assets=sum(k.area_count for k in kinds),
        area_assets_not_counted=area.get("assets_not_counted", 0),
    )


def _sources(source_ids: set[int]) -> list[Indicator]:
    """One indicator per data set, for a table of sources with their licences."""
    seen: dict[int, Indicator] = {}
    for ind in Indicator.objects.filter(source_id__in=source_ids).select_related("source"):
        seen.setdefault(ind.source_id, ind)
    return list(seen.values())


def profile_rows() -> list[dict[str, Any]]:
    """Every neighbourhood's headline figures, one row each (for the CSV and the API)."""
    by_area, _ = snapshots()
    hoods = {a.id: a for a in Area.objects.neighbourhoods().only("id", "name", "slug")}
    rows = []
    for area_id, snap in sorted(by_area.items(), key=lambda s: hoods[s[0]].name):
        data = snap.data
        population = _value(data, "population")
        row: dict[str, Any] = {
            "neighbourhood": hoods[area_id].name,
            "slug": hoods[area_id].slug,
            "population": round(population) if population is not None else None,
        }
        for ind in data.get("indicators", []):
            if ind["slug"].endswith("-rank"):
                row[measure_name(ind["slug"].removesuffix("-rank"), "average_rank")] = round(
                    ind["value"], 1
                )
            elif ind["slug"].endswith("-decile"):
                row[measure_name(ind["slug"].removesuffix("-decile"), "share_in_decile_1")] = round(
                    ind["distribution"].get("1", 0.0), 4
                )
        for kind, _label in public_kinds():
            count = data.get("kinds", {}).get(kind, 0)
            rate = rate_per_1000(count, population)
            row[measure_name(kind, "assets")] = count
            row[measure_name(kind, "per_1000")] = round(rate, 3) if rate is not None else None
        rows.append(row)
    return rows


# -- gaps ---------------------------------------------------------------------------------------


class GapsError(ValueError):
    """A gaps query that cannot be run as asked; the message is for the person asking."""


#: Both at once would count assets of the category and measure the distance to those of both.
KIND_OR_CATEGORY = "Choose a kind of asset or a category, not both"


@dataclass
class GapsQuery:
    need: str = DEFAULT_NEED
    kind: str = ""
    category: str = ""

    def check(self) -> None:
        if not need_indicators().filter(slug=self.need).exists():
            raise GapsError(
                f"'{self.need}' is not a measure of need we hold: use one of "
                + ", ".join(need_indicators().values_list("slug", flat=True))
            )
        if self.kind and self.kind not in dict(public_kinds()):
            raise GapsError(
                f"'{self.kind}' is not a kind of public asset: use one of "
                + ", ".join(k for k, _ in public_kinds())
            )
        if self.category == "skill":
            raise GapsError("People's gifts and skills are private")
        if self.category and not Category.objects.filter(slug=self.category).exists():
            raise GapsError(f"'{self.category}' is not a category (see /api/categories)")
        if self.kind and self.category:
            raise GapsError(KIND_OR_CATEGORY)

    @property
    def label(self) -> str:
        if self.category:
            return Category.objects.get(slug=self.category).name.lower()
        if self.kind:
            return dict(AssetKind.choices)[self.kind].lower()
        return "community assets of any kind"


@dataclass
class GapRow:
    area: Area
    population: float | None
    rank: float | None
    decile: int | None
    count: int
    rate: float | None
    distance_m: float | None
    high_need: bool = False
    low_assets: bool = False
    centre_method: str = ""

    @property
    def highlighted(self) -> bool:
        return self.high_need and self.low_assets

    @property
    def status(self) -> str:
        if self.high_need and self.low_assets:
            return "High need, few assets"
        if self.high_need:
            return "High need"
        if self.low_assets:
            return "Few assets"
        return ""

    @property
    def status_code(self) -> int:
        return (2 if self.high_need else 0) + (1 if self.low_assets else 0)


@dataclass
class Gaps:
    query: GapsQuery
    indicator: Indicator
    lsoas: list[GapRow]
    neighbourhoods: list[GapRow]
    #: How many assets of the kind or category have a location (not how many distinct points).
    assets_located: int

    @property
    def highlighted(self) -> list[GapRow]:
        return [r for r in self.lsoas if r.highlighted]


def need_indicators() -> Any:
    """The measures of need a gaps table can be sorted by, of NEED_MEASURES those held: IMD and
    each domain's rank."""
    return Indicator.objects.filter(rollup=Indicator.Rollup.RANK, slug__in=NEED_MEASURES).order_by(
        "order", "name"
    )


def _matching_assets(q: GapsQuery) -> Any:
    """The located public assets of the query's kind or category (GapsQuery.check refuses both)."""
    assets = Asset.objects.public().located()
    if q.category:
        return assets.filter(categories__slug=q.category)
    if q.kind:
        return assets.filter(kind=q.kind)
    return assets


def _matching_points(q: GapsQuery) -> np.ndarray:
    """The distinct points of those assets (several assets may share a building's point)."""
    rows = list(_matching_assets(q).order_by().values_list("lon", "lat").distinct())
    return np.asarray(rows, dtype=float).reshape(-1, 2)


def nearest_distances(centres: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each (lon, lat) centre, the great-circle (haversine) distance in metres to the nearest
    point. An STRtree on locally-scaled coordinates finds the nearest candidate; every point within
    a slightly larger box is then measured exactly, so the answer is the true haversine minimum."""
    if len(points) == 0 or len(centres) == 0:
        return np.full(len(centres), np.nan)
    scale = math.cos(math.radians(float(np.mean(centres[:, 1]))))
    pts = shapely.points(points[:, 0] * scale, points[:, 1])
    tree = shapely.STRtree(pts)
    out = np.empty(len(centres))
    for i, (lon, lat) in enumerate(centres.tolist()):
        nearest = tree.nearest(shapely.Point(lon * scale, lat))
        first = points[nearest]
        d0 = float(haversine_many(lon, lat, first[:1], first[1:2])[0])
        # Degrees of latitude (and scaled longitude) that d0 spans, with a margin.
        span = math.degrees(d0 / EARTH_RADIUS_M) * 1.05 + 1e-9
        candidates = tree.query(
            shapely.box(lon * scale - span, lat - span, lon * scale + span, lat + span)
        )
        near = points[candidates] if len(candidates) else first.reshape(1, 2)
        out[i] = float(np.min(haversine_many(lon, lat, near[:, 0], near[:, 1])))
    return out


def _counts(q: GapsQuery, area_ids: list[int]) -> dict[int, int]:
    rows = AreaAssetCount.objects.filter(area_id__in=area_ids)
    if q.category:
        rows = rows.filter(category__slug=q.category)
    elif q.kind:
        rows = rows.filter(kind=q.kind, category__isnull=True)
    else:
        rows = rows.filter(category__isnull=True)
    totals: dict[int, int] = defaultdict(int)
    for area_id, n in rows.values_list("area_id", "count"):
        totals[area_id] += n
    return totals


def _fifth(values: list[float], *, lowest: bool) -> float | None:
    """The value at the edge of the lowest (or highest) fifth of a list."""
    clean = sorted(v for v in values if v is not None)
    if not clean:
        return None
    k = max(1, math.ceil(len(clean) / 5))
    return clean[k - 1] if lowest else clean[-k]


def gaps(q: GapsQuery) -> Gaps:
    """LSOAs and neighbourhoods by need, with assets of a kind or category per 1,000 residents
    and the distance from each LSOA's centre to the nearest one; high-need, low-asset places
    flagged.

    High need: in England's most deprived 20% (national decile 1 or 2) on the chosen measure, or
    in the area's most deprived fifth. Few assets: in the area's lowest fifth for assets per
    1,000 residents (unless that fifth has none at all), or no such asset within 1 km of the
    LSOA's centre.
    """
    q.check()
    ensure_fresh()
    indicator = need_indicators().get(slug=q.need)
    values = dict(
        IndicatorValue.objects.latest_period()
        .filter(indicator=indicator, area__level=AreaLevel.LSOA)
        .values_list("area_id", "value")
    )
    lsoas = {
        a.id: a
        for a in Area.objects.filter(id__in=list(values)).only(
            "id", "name", "slug", "gss_code", "level", "vintage"
        )
    }
    people = dict(
        IndicatorValue.objects.latest_period()
        .filter(indicator__slug="population", area_id__in=list(values))
        .values_list("area_id", "value")
    )
    counts = _counts(q, list(values))
    centres = {c.area_id: c for c in LsoaCentre.objects.filter(area_id__in=list(values))}
    ids = [i for i in values if i in centres]
    points = _matching_points(q)
    distances = dict(
        zip(
            ids,
            nearest_distances(
                np.asarray([[centres[i].lon, centres[i].lat] for i in ids], dtype=float).reshape(
                    -1, 2
                ),
                points,
            ).tolist(),
            strict=True,
        )
    )
    rows = []
    for area_id, rank in values.items():
        d = distances.get(area_id)
        rows.append(
            GapRow(
                area=lsoas[area_id],
                population=people.get(area_id),
                rank=rank,
                decile=national_decile(rank),
                count=counts.get(area_id, 0),
                rate=rate_per_1000(counts.get(area_id, 0), people.get(area_id)),
                distance_m=None if d is None or math.isnan(d) else d,
                centre_method=centres[area_id].get_method_display() if area_id in centres else "",
            )
        )
    _flag(rows, with_distance=True)
    rows.sort(key=lambda r: (r.rank if r.rank is not None else math.inf, r.area.name))
    hood_rows = _neighbourhood_rows(q, indicator, distances, people)
    return Gaps(q, indicator, rows, hood_rows, _matching_assets(q).count())


def _flag(rows: list[GapRow], *, with_distance: bool) -> None:
    most_deprived = _fifth([r.rank for r in rows], lowest=True)
    lowest_rate = _fifth([r.rate for r in rows], lowest=True)
    for r in rows:
        r.high_need = r.rank is not None and (
            (r.decile is not None and r.decile <= 2)
            or (most_deprived is not None and r.rank <= most_deprived)
        )
        far = with_distance and (r.distance_m is None or r.distance_m > NEAR_M)
        # Where most places have none (scarce kinds: the lowest fifth's rate is 0), a rate of 0
        # says little about an LSOA of 1,500 people: the distance decides.
        r.low_assets = far or (r.rate is not None and bool(lowest_rate) and r.rate <= lowest_rate)


def _neighbourhood_rows(
    q: GapsQuery, indicator: Indicator, distances: dict[int, float], people: dict[int, float]
) -> list[GapRow]:
    by_area, _ = snapshots()
    hoods = {
        a.id: a
        for a in Area.objects.filter(id__in=list(by_area)).only("id", "name", "slug", "level")
    }
    counts = _counts(q, list(hoods))
    # Population-weighted mean distance over each neighbourhood's LSOAs.
    weighted: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for hood_id, lsoa_id, share in AreaComponent.objects.filter(
        neighbourhood_id__in=list(hoods), component_id__in=list(distances)
    ).values_list("neighbourhood_id", "component_id", "share"):
        d = distances.get(lsoa_id)
        w = people.get(lsoa_id, 0.0) * share
        if d is None or math.isnan(d) or not w:
            continue
        weighted[hood_id][0] += d * w
        weighted[hood_id][1] += w
    rows = []
    for hood_id, hood in hoods.items():
        data = by_area[hood_id].data
        population = _value(data, "population")
        rank = _value(data, indicator.slug)
        acc = weighted.get(hood_id)
        rows.append(
            GapRow(
                area=hood,
                population=population,
                rank=rank,
                decile=national_decile(rank),
                count=counts.get(hood_id, 0),
                rate=rate_per_1000(counts.get(hood_id, 0), population),
                distance_m=acc[0] / acc[1] if acc and acc[1] else None,
            )
        )
    _flag(rows, with_distance=False)
    rows.sort(key=lambda r: (r.rank if r.rank is not None else math.inf, r.area.name))
    return rows


def gaps_geojson(result: Gaps, *, tolerance: float = 0.0004) -> dict[str, Any]:
    """The LSOAs of a gaps table as a small GeoJSON FeatureCollection for the choropleth:
    boundaries simplified (about 40 m) and rounded to 4 decimal places (about 10 m)."""
    ids = [r.area.id for r in result.lsoas]
    geoms = dict(Area.objects.filter(id__in=ids).values_list("id", "geometry"))
    features = []
    for r in result.lsoas:
        geom = geoms.get(r.area.id)
        if not geom:
            continue
        shape = shapely.geometry.shape(geom).simplify(tolerance, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "geometry": _rounded(shapely.geometry.mapping(shape)),
                "properties": {
                    "code": r.area.gss_code,
                    "name": r.area.name,
                    "status": r.status_code,
                    "label": r.status or "Neither",
                    "decile": r.decile,
                    "rate": None if r.rate is None else round(r.rate, 2),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _rounded(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 4)
    if isinstance(obj, (list, tuple)):
        return [_rounded(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return obj


# -- participation ------------------------------------------------------------------------------


def suppress(n: int | None) -> int | str | None:
    """A count on its own: 1 to 4 become "<5" (0 stays 0: it identifies no one). Figures
    published beside others go through `participation_figures` (core.disclosure) instead."""
    if n is None:
        return None
    return SUPPRESSED if 0 < n < SUPPRESS_BELOW else n


@dataclass
class SuppressedTable:
    """A table of counts made safe to publish (by core.disclosure.protect).

    Each count from 1 to 4 is "<5"; where the totals (this table's, or another table's
    published with it) would still let one be worked out, more counts are hidden as "[c]".
    """

    columns: list[str]
    rows: list[tuple[str, list[int | str], int | str]]


def suppressed_table(columns: list[str], raw: list[tuple[str, list[int]]]) -> SuppressedTable:
    """One table on its own, each row shown with its total."""
    values: dict[Any, int] = {}
    relations = []
    for r, (_label, cells) in enumerate(raw):
        for c, n in enumerate(cells):
            values[(r, c)] = n
        values[(r, "total")] = sum(cells)
        relations.append(((r, "total"), [(r, c) for c in range(len(cells))]))
    published = disclosure.protect(values, relations, threshold=SUPPRESS_BELOW)
    rows = [
        (
            label,
            [published.shown((r, c)) for c in range(len(cells))],
            published.shown((r, "total")),
        )
        for r, (label, cells) in enumerate(raw)
    ]
    return SuppressedTable(columns, rows)


def _month_range(months: int, end: date | None = None) -> list[date]:
    end = (end or date.today()).replace(day=1)
    out = []
    y, m = end.year, end.month
    for _ in range(months):
        out.append(date(y, m, 1))
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return list(reversed(out))


def latest_month() -> date | None:
    return ParticipationRecord.objects.order_by("-month").values_list("month", flat=True).first()


@dataclass
class ParticipationFigures:
    """Every participation figure the site publishes for one period (the `months` months up to
    the newest figures), protected together: the area's per category and month ("area", c, m),
    its totals per category ("total", c), per category and neighbourhood ("hood", c, id or
    None for "Not recorded") and each group's per category and month ("group", asset id, c, m).
    The pages, CSVs, the API and the open data all read from this one `published`."""

    span: list[date]
    categories: list[str]
    hoods: list[Area]
    cells_by_group: dict[int, list[tuple[str, date]]]
    published: disclosure.Published


def participation_figures(months: int = 12) -> ParticipationFigures:
    span = _month_range(months, latest_month())
    hoods = list(Area.objects.neighbourhoods().order_by("name").only("id", "name"))
    values: dict[Any, int] = {}
    by_group = (
        ParticipationRecord.objects.filter(month__in=span)
        .values_list("activity__asset_id", "activity__category", "month")
        .annotate(n=Sum("participants"))
    )
    groups: dict[int, list[tuple[str, date]]] = defaultdict(list)
    area: dict[tuple[str, date], int] = defaultdict(int)
    for asset_id, category, month, n in by_group:
        values[("group", asset_id, category, month)] = n
        groups[asset_id].append((category, month))
        area[(category, month)] += n
    present = {c for c, _m in area}
    categories = [c for c, _label in ActivityCategory.choices if c in present]
    categories += sorted(present - set(categories))
    split: dict[tuple[str, int], int] = defaultdict(int)
    for category, hood_id, n in (
        ParticipationSplit.objects.filter(record__month__in=span)
        .values_list("record__activity__category", "neighbourhood_id")
        .annotate(n=Sum("participants"))
    ):
        split[(category, hood_id)] += n
    relations: list[disclosure.Relation] = []
    hood_ids = [h.id for h in hoods]
    in_cell: dict[tuple[str, date], list[Any]] = defaultdict(list)
    for g, cells in groups.items():
        for c, m in cells:
            in_cell[(c, m)].append(("group", g, c, m))
    for c in categories:
        for m in span:
            values[("area", c, m)] = area.get((c, m), 0)
            relations.append((("area", c, m), in_cell.get((c, m), [])))
        total = sum(area.get((c, m), 0) for m in span)
        values[("total", c)] = total
        relations.append((("total", c), [("area", c, m) for m in span]))
        cells = {h: split.get((c, h), 0) for h in hood_ids}
        for h, n in cells.items():
            values[("hood", c, h)] = n
        values[("hood", c, None)] = total - sum(cells.values())
        relations.append((("total", c), [("hood", c, h) for h in [*hood_ids, None]]))
    public = set(Asset.objects.public().filter(id__in=list(groups)).values_list("id", flat=True))
    unpublished = [
        ("group", g, c, m) for g, cells in groups.items() if g not in public for c, m in cells
    ]
    published = disclosure.protect(
        values, relations, threshold=SUPPRESS_BELOW, unpublished=unpublished
    )
    return ParticipationFigures(span, categories, hoods, dict(groups), published)


def area_totals_by_month(
    months: int = 12, figures: ParticipationFigures | None = None
) -> SuppressedTable:
    """The area's participants per activity category per month (the last `months` months up to
    the newest figures), protected with every other participation figure (pass `figures` when
    showing several tables of it at once, to work them out once)."""
    figures = figures or participation_figures(months)
    shown = figures.published.shown
    labels = dict(ActivityCategory.choices)
    rows = [
        (labels.get(c, c), [shown(("area", c, m)) for m in figures.span], shown(("total", c)))
        for c in figures.categories
    ]
    return SuppressedTable([m.strftime("%b %Y") for m in figures.span], rows)


def area_totals_by_neighbourhood(
    months: int = 12, figures: ParticipationFigures | None = None
) -> SuppressedTable:
    """Participants per activity category by the neighbourhood they live in, over the last
    `months` months, with those not recorded by neighbourhood in a column of their own."""
    figures = figures or participation_figures(months)
    shown = figures.published.shown
    labels = dict(ActivityCategory.choices)
    keys = [h.id for h in figures.hoods] + [None]
    rows = [
        (labels.get(c, c), [shown(("hood", c, h)) for h in keys], shown(("total", c)))
        for c in figures.categories
    ]
    return SuppressedTable([h.name for h in figures.hoods] + ["Not recorded"], rows)


@dataclass
class ShareRow:
    month: date
    category: str
    label: str
    group: int
    area: int
    public_group: int | str | None = None
    public_area: int | str | None = None

    @property
    def share(self) -> float:
        return self.group / self.area if self.area else 0.0

    @property
    def public_share(self) -> float | None:
        """The share, only when both the group's count and the area's are shown: from a share
        and one of them the other could be worked out."""
        if isinstance(self.public_group, int) and isinstance(self.public_area, int):
            return self.share if self.area else None
        return None


def group_shares(asset: Asset, months: int = 12) -> list[ShareRow]:
    """A group's participants per activity category per month, beside the area's total, as
    protected with every other participation figure (`participation_figures`)."""
    figures = participation_figures(months)
    published = figures.published
    labels = dict(ActivityCategory.choices)
    rows = []
    for c, m in sorted(figures.cells_by_group.get(asset.id, [])):
        key, area_key = ("group", asset.id, c, m), ("area", c, m)
        if not published.is_shown(key) and published.markers[key] == disclosure.UNPUBLISHED:
            continue
        rows.append(
            ShareRow(
                m,
                c,
                labels.get(c, c),
                published.values[key],
                published.values[area_key],
                published.shown(key),
                published.shown(area_key),
            )
        )
    return rows


def asset_places(assets: list[Asset]) -> dict[int, str]:
    """Where each asset is, in words, so that two groups of the same name can be told apart:
    its ward(s) (or, outside the area's wards, its postcode) and its neighbourhood(s), e.g.
    "Urmston ward, West neighbourhood"."""
    wards: dict[int, list[str]] = defaultdict(list)
    hoods: dict[int, list[str]] = defaultdict(list)
    for asset_id, level, name in (
        AssetArea.objects.filter(
            asset_id__in=[a.id for a in assets],
            area__level__in=[AreaLevel.WARD, AreaLevel.NEIGHBOURHOOD],
        )
        .order_by("area__name")
        .values_list("asset_id", "area__level", "area__name")
        .distinct()
    ):
        (wards if level == AreaLevel.WARD else hoods)[asset_id].append(name)
    places = {}
    for a in assets:
        parts = []
        if wards[a.id]:
            names = wards[a.id]
            parts.append(f"{' and '.join(names)} ward{'s' if len(names) > 1 else ''}")
        elif a.postcode:
            parts.append(a.postcode)
        if hoods[a.id]:
            names = hoods[a.id]
            parts.append(f"{' and '.join(names)} neighbourhood{'s' if len(names) > 1 else ''}")
        places[a.id] = ", ".join(parts)
    return places


def groups_with_participation() -> list[Asset]:
    """The public groups with participation figures, by name, each with `place` (where it is, in
    words: `asset_places`), so that groups of the same name can be told apart."""
    groups = list(
        Asset.objects.public()
        .filter(activities__records__isnull=False)
        .distinct()
        .only("id", "uuid", "name", "postcode")
        .order_by("name")
    )
    places = asset_places(groups)
    for group in groups:
        group.place = places.get(group.id, "")
    return groups


@dataclass
class Trend:
    label: str
    recent: int
    before: int

    @property
    def change(self) -> float | None:
        return (self.recent - self.before) / self.before if self.before else None

    @property
    def direction(self) -> str:
        change = self.change
        if change is None:
            return "New" if self.recent else "No figures"
        if change >= 0.1:
            return "Growing"
        if change <= -0.1:
            return "Shrinking"
        return "Steady"


def participation_trends() -> tuple[list[Trend], list[Trend], list[date], list[date]]:
    """Which activity categories and which activities grow or shrink: participants in the last
    three months with figures, against the three months before (officers only: exact counts)."""
    end = latest_month()
    span = _month_range(6, end)
    before, recent = span[:3], span[3:]

    def sums(key: str) -> dict[Any, tuple[int, int]]:
        out: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
        for k, month, n in (
            ParticipationRecord.objects.filter(month__in=span)
            .values_list(key, "month")
            .annotate(n=Sum("participants"))
        ):
            out[k][0 if month in recent else 1] += n
        return out

    labels = dict(ActivityCategory.choices)
    by_category = [
        Trend(labels.get(k, k), r, b) for k, (r, b) in sorted(sums("activity__category").items())
    ]
    activities = list(
        Activity.objects.select_related("asset").only(
            "id", "name", "asset__id", "asset__name", "asset__postcode"
        )
    )
    places = asset_places(list({a.asset_id: a.asset for a in activities}.values()))
    names = {
        a.id: f"{a.name} ({', '.join(filter(None, [a.asset.name, places.get(a.asset_id)]))})"
        for a in activities
    }
    by_activity = [Trend(names.get(k, str(k)), r, b) for k, (r, b) in sums("activity_id").items()]
    by_activity.sort(key=lambda t: (t.change is None, t.change or 0))
    return by_category, by_activity, recent, before


def has_illustrative_figures(asset: Asset | None = None) -> bool:
    """Whether any participation shown (the area's, or one group's) is the demo's made-up data."""
    from .models import ParticipationRecord

    records = ParticipationRecord.objects.filter(activity__illustrative=True)
    if asset is not None:
        records = records.filter(activity__asset=asset)
    return records.exists()
