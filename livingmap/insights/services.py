"""Writes for insights: rebuilding the precomputed aggregates, and groups' participation figures.

The aggregates (asset counts per area, profile snapshots, LSOA centres) are derived data: they are
rebuilt in one transaction by `refresh_aggregates()`, which runs

* from `livingmap refresh_insights` (by hand, or after a big import), and nightly from the
  scheduler (`insights.tasks`);
* lazily, from `ensure_fresh()`, the first time a page needs them after the data changed: signal
  receivers (receivers.py) mark them dirty when an asset is saved or deleted or boundaries change,
  and a cheap fingerprint (the newest id of every table they are built from) catches bulk imports,
  which send no signals.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from livingmap.areas.models import (
    Area,
    AreaComponent,
    AreaLevel,
    Indicator,
    IndicatorValue,
    Postcode,
)
from livingmap.areas.selectors import (
    AreaValue,
    IndicatorSummary,
    neighbourhood_indicators,
    summarise_indicator,
)
from livingmap.assets.models import Asset, AssetArea, AssetKind, Visibility
from livingmap.core.models import ImportEvent

from .models import (
    Activity,
    AreaAssetCount,
    InsightsState,
    LsoaCentre,
    ParticipationRecord,
    ParticipationSplit,
    ProfileSnapshot,
)

#: Levels whose asset counts are precomputed: what profiles and the gaps page read.
COUNTED_LEVELS = (AreaLevel.NEIGHBOURHOOD, AreaLevel.LSOA)


# -- freshness ----------------------------------------------------------------------------------


def fingerprint() -> str:
    """The newest id of each table the aggregates are built from: a handful of index lookups,
    so a page can afford it on every request. Bulk imports add rows (and an ImportEvent) and so
    change it; edits and deletions of single rows are caught by the signal receivers."""
    parts = [
        Asset.objects.aggregate(m=Max("id"))["m"],
        AssetArea.objects.aggregate(m=Max("id"))["m"],
        Asset.categories.through.objects.aggregate(m=Max("id"))["m"],
        Area.objects.aggregate(m=Max("id"))["m"],
        AreaComponent.objects.aggregate(m=Max("id"))["m"],
        IndicatorValue.objects.aggregate(m=Max("id"))["m"],
        ImportEvent.objects.aggregate(m=Max("id"))["m"],
    ]
    return ":".join(str(p or 0) for p in parts)


def _state() -> InsightsState:
    state = InsightsState.objects.order_by("id").first()
    if state is None:
        state = InsightsState.objects.create(dirty=True)
    return state


def mark_dirty() -> None:
    """The data changed: the next page that needs the aggregates rebuilds them."""
    updated = InsightsState.objects.update(dirty=True)
    if not updated:
        InsightsState.objects.create(dirty=True)


def is_fresh() -> bool:
    state = InsightsState.objects.order_by("id").first()
    return bool(state and not state.dirty and state.fingerprint == fingerprint())


#: A rebuild that took longer than this last time is not done inside a page request: the page
#: shows the figures as last built, and the rebuild is queued for the background worker.
INLINE_REFRESH_SECONDS = 2.0


def ensure_fresh() -> bool:
    """Make sure the aggregates match the data; True if they were rebuilt now.

    Small databases (the last rebuild took under INLINE_REFRESH_SECONDS; the demo takes
    about 0.3 s) rebuild at once, so figures are always current. Large ones (a million assets
    take about 30 s) keep serving the last build and queue a rebuild for the background worker
    (`insights.tasks.refresh_insights`, queued once however many pages ask), or it is done when
    `livingmap refresh_insights` runs; they rebuild at once only if nothing was ever built.
    """
    state = _state()
    if not state.dirty and state.fingerprint == fingerprint():
        return False
    if state.refreshed_at is None or state.seconds < INLINE_REFRESH_SECONDS:
        refresh_aggregates(only_if_stale=True)
        return True
    _refresh_in_background()
    return False


def _refresh_in_background() -> None:
    from livingmap.core.jobs import enqueue_unless_queued

    from .tasks import refresh_insights

    enqueue_unless_queued(refresh_insights)


# -- the rebuild --------------------------------------------------------------------------------


@dataclass
class RefreshReport:
    counts: int
    snapshots: int
    centres: int
    seconds: float


def refresh_aggregates(*, only_if_stale: bool = False) -> RefreshReport:
    """Rebuild every aggregate in one transaction (readers see the old or the new, never half).

    The state row is locked first (SELECT … FOR UPDATE on PostgreSQL; SQLite serialises writers
    anyway), so two processes never rebuild at once; with `only_if_stale`, the second one finds
    the work done and returns."""
    started = time.perf_counter()
    with transaction.atomic():
        state = InsightsState.objects.select_for_update().get(pk=_state().pk)
        if only_if_stale and not state.dirty and state.fingerprint == fingerprint():
            return RefreshReport(0, 0, 0, 0.0)
        counts = _rebuild_counts()
        centres = _rebuild_centres()
        snapshots = _rebuild_snapshots()
        seconds = time.perf_counter() - started
        state.fingerprint = fingerprint()
        state.dirty = False
        state.refreshed_at = timezone.now()
        state.seconds = seconds
        state.save()
    return RefreshReport(counts, snapshots, centres, seconds)


def _rebuild_counts() -> int:
    """Public assets per (area, kind) and per (area, category), for neighbourhoods and LSOAs:
    two INSERT … SELECT … GROUP BY statements, so a million assets never leave the database."""
    AreaAssetCount.objects.all().delete()
    table = AreaAssetCount._meta.db_table
    link = AssetArea._meta.db_table
    asset = Asset._meta.db_table
    area = Area._meta.db_table
    through = Asset.categories.through._meta.db_table
    levels = ", ".join("%s" for _ in COUNTED_LEVELS)
    public = "a.visibility = %s AND a.kind <> %s"
    params = [Visibility.PUBLIC, AssetKind.GIFTS, *COUNTED_LEVELS]
    with connection.cursor() as cursor:
        # Table names come from the models; values go as parameters.
        cursor.execute(
            f"INSERT INTO {table} (area_id, kind, category_id, count) "  # noqa: S608
            f"SELECT l.area_id, a.kind, NULL, COUNT(*) FROM {link} l "
            f"JOIN {asset} a ON a.id = l.asset_id JOIN {area} ar ON ar.id = l.area_id "
            f"WHERE {public} AND ar.level IN ({levels}) GROUP BY l.area_id, a.kind",
            params,
        )
        cursor.execute(
            f"INSERT INTO {table} (area_id, kind, category_id, count) "  # noqa: S608
            f"SELECT l.area_id, '', c.category_id, COUNT(*) FROM {link} l "
            f"JOIN {asset} a ON a.id = l.asset_id JOIN {through} c ON c.asset_id = a.id "
            f"JOIN {area} ar ON ar.id = l.area_id "
            f"WHERE {public} AND ar.level IN ({levels}) GROUP BY l.area_id, c.category_id",
            params,
        )
    return AreaAssetCount.objects.count()


def _rebuild_centres() -> int:
    """Each LSOA's postcode-weighted centre: the mean of the points of the live postcodes that
    fall inside its boundary (point in polygon, so it works for any boundary vintage), or a point
    inside it when it holds none. A proxy for ONS's population-weighted centroid."""
    LsoaCentre.objects.all().delete()
    lsoas = list(Area.objects.filter(level=AreaLevel.LSOA).values_list("id", "geometry"))
    if not lsoas:
        return 0
    ids = [r[0] for r in lsoas]
    geoms = shapely.from_geojson(
        [json.dumps(r[1]) if not isinstance(r[1], str) else r[1] for r in lsoas],
        on_invalid="ignore",
    )
    points = list(
        Postcode.objects.filter(terminated=False, lon__isnull=False, lat__isnull=False)
        .values_list("lon", "lat")
        .iterator(chunk_size=20_000)
    )
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    if points:
        arr = np.asarray(points, dtype=float)
        tree = shapely.STRtree(geoms)
        pt_idx, geom_idx = tree.query(shapely.points(arr), predicate="within")
        for p, g in zip(pt_idx.tolist(), geom_idx.tolist(), strict=True):
            acc = sums[g]
            acc[0] += arr[p, 0]
            acc[1] += arr[p, 1]
            acc[2] += 1
    rows = []
    for i, area_id in enumerate(ids):
        acc = sums.get(i)
        if acc and acc[2]:
            n = int(acc[2])
            rows.append(
                LsoaCentre(
                    area_id=area_id,
                    lon=acc[0] / n,
                    lat=acc[1] / n,
                    method=LsoaCentre.Method.POSTCODES,
                    postcodes=n,
                )
            )
        else:
            geom = geoms[i]
            if geom is None or shapely.is_empty(geom):
                continue
            inside = shapely.point_on_surface(geom if geom.is_valid else shapely.make_valid(geom))
            rows.append(
                LsoaCentre(
                    area_id=area_id, lon=inside.x, lat=inside.y, method=LsoaCentre.Method.INTERIOR
                )
            )
    LsoaCentre.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def summary_to_dict(summary: IndicatorSummary) -> dict[str, Any]:
    return {
        "slug": summary.indicator.slug,
        "name": summary.indicator.name,
        "rollup": summary.indicator.rollup,
        "value": summary.value,
        "decile_of_value": summary.decile_of_value,
        "method": summary.method,
        "note": summary.note,
        "distribution": {str(k): v for k, v in summary.distribution.items()},
        "source_id": summary.indicator.source_id,
    }


def _kind_counts(area_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    rows = AreaAssetCount.objects.filter(category__isnull=True)
    if area_ids is not None:
        rows = rows.filter(area_id__in=area_ids)
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for area_id, kind, n in rows.values_list("area_id", "kind", "count"):
        result[area_id][kind] = n
    return result


def _imd_vintage_lsoas() -> tuple[dict[int, float], dict[int, int], dict[int, float]]:
    """For LSOAs of the vintage that carries the IMD: ({id: population}, {id: IMD decile},
    {id: IMD rank})."""
    decile = dict(
        IndicatorValue.objects.latest_period()
        .filter(indicator__slug="imd-decile", area__level=AreaLevel.LSOA)
        .values_list("area_id", "value")
    )
    rank = dict(
        IndicatorValue.objects.latest_period()
        .filter(indicator__slug="imd-rank", area__level=AreaLevel.LSOA)
        .values_list("area_id", "value")
    )
    people = dict(
        IndicatorValue.objects.latest_period()
        .filter(indicator__slug="population", area_id__in=list(decile))
        .values_list("area_id", "value")
    )
    return people, {k: int(v) for k, v in decile.items()}, rank


def whole_area_indicators() -> list[IndicatorSummary]:
    """Every indicator over the whole area: the same roll-ups as a neighbourhood's
    (areas.selectors), over all LSOAs of each indicator's newest vintage, each counted whole."""
    indicators = list(Indicator.objects.select_related("source").order_by("order", "name"))
    lsoas = dict(Area.objects.filter(level=AreaLevel.LSOA).values_list("id", "vintage"))
    values: dict[int, list[AreaValue]] = defaultdict(list)
    rows = (
        IndicatorValue.objects.latest_period()
        .filter(area__level=AreaLevel.LSOA)
        .values_list("indicator_id", "area_id", "value")
    )
    for indicator_id, area_id, value in rows.iterator(chunk_size=20_000):
        values[indicator_id].append(AreaValue(area_id, value))
    population = next((i for i in indicators if i.slug == "population"), None)
    people = {v.area_id: v.value for v in values.get(population.id, [])} if population else {}
    summaries = []
    for indicator in indicators:
        held = values.get(indicator.id)
        if not held:
            continue
        vintage = max(lsoas[v.area_id] for v in held)
        held = [v for v in held if lsoas[v.area_id] == vintage]
        shares = {v.area_id: 1.0 for v in held}
        weights = {v.area_id: people.get(v.area_id, 0.0) for v in held}
        summaries.append(summarise_indicator(indicator, held, shares, weights))
    return summaries


def whole_area_lsoa_vintage() -> int | None:
    """The boundary vintage of the LSOAs that make up the whole area: the newest that has
    population figures (the LSOAs whose residents are the area's population), else the newest."""
    lsoas = Area.objects.filter(level=AreaLevel.LSOA)
    with_people = lsoas.filter(indicator_values__indicator__slug="population")
    return with_people.aggregate(v=Max("vintage"))["v"] or lsoas.aggregate(v=Max("vintage"))["v"]


def whole_area_assets() -> Any:
    """The public assets located in the whole area: those whose location (or footprint) falls in
    one of its LSOAs (`whole_area_lsoa_vintage`), each counted once. Assets with no location, or
    located outside the area (a charity registered in the next city), are not counted, exactly as
    no neighbourhood counts them."""
    inside = AssetArea.objects.filter(
        area__level=AreaLevel.LSOA, area__vintage=whole_area_lsoa_vintage()
    ).values("asset_id")
    return Asset.objects.public().filter(id__in=inside)


def _rebuild_snapshots() -> int:
    """A snapshot per neighbourhood and one for the whole area (area = None)."""
    ProfileSnapshot.objects.all().delete()
    hoods = list(Area.objects.neighbourhoods().only("id", "name", "slug"))
    kinds = _kind_counts([h.id for h in hoods])
    people, deciles, _ = _imd_vintage_lsoas()
    lsoa_kinds = _kind_counts(list(deciles))
    components: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for hood_id, lsoa_id, share in AreaComponent.objects.filter(
        neighbourhood__in=hoods, component_id__in=list(deciles)
    ).values_list("neighbourhood_id", "component_id", "share"):
        components[hood_id].append((lsoa_id, share))
    snapshots = []
    for hood in hoods:
        summaries = neighbourhood_indicators(hood)
        by_decile: dict[str, float] = defaultdict(float)
        for lsoa_id, share in components.get(hood.id, []):
            by_decile[str(deciles[lsoa_id])] += people.get(lsoa_id, 0.0) * share
        snapshots.append(
            ProfileSnapshot(
                area=hood,
                data={
                    "indicators": [summary_to_dict(s) for s in summaries],
                    "kinds": kinds.get(hood.id, {}),
                    "people_by_decile": dict(by_decile),
                },
            )
        )
    # The whole area: the public assets located in it (the same rule as a neighbourhood's: an
    # asset counts if its point or footprint lies inside), over the people of every LSOA; and,
    # by IMD decile, the people and the assets in the area's LSOAs of that decile (for "places
    # of similar deprivation").
    located = whole_area_assets()
    totals = dict(located.order_by().values_list("kind").annotate(n=Count("id")))
    not_counted = Asset.objects.public().count() - sum(totals.values())
    decile_people: dict[str, float] = defaultdict(float)
    decile_kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for lsoa_id, d in deciles.items():
        decile_people[str(d)] += people.get(lsoa_id, 0.0)
        for kind, n in lsoa_kinds.get(lsoa_id, {}).items():
            decile_kinds[str(d)][kind] += n
    snapshots.append(
        ProfileSnapshot(
            area=None,
            data={
                "indicators": [summary_to_dict(s) for s in whole_area_indicators()],
                "kinds": totals,
                "assets_not_counted": not_counted,
                "people_by_decile": dict(decile_people),
                "kinds_by_decile": {d: dict(k) for d, k in decile_kinds.items()},
            },
        )
    )
    ProfileSnapshot.objects.bulk_create(snapshots, batch_size=500)
    return len(snapshots)


# -- participation ------------------------------------------------------------------------------


class ParticipationError(ValueError):
    """Figures that cannot be recorded as given; the message is for the person recording."""


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def record_participation(
    activity: Activity,
    month: date,
    participants: int,
    splits: dict[Area, int] | None = None,
) -> ParticipationRecord:
    """Record (or correct) how many took part in an activity in a month, and optionally how many
    of them live in each neighbourhood. Counts as a sign of life for the group, unless the
    activity is the demo's illustrative one (made-up figures verify nothing)."""
    from livingmap.accounts.services import record_sign_of_life

    if participants is None or participants < 0:
        raise ParticipationError("The number of people must be 0 or more.")
    splits = {hood: n for hood, n in (splits or {}).items() if n}
    if any(n < 0 for n in splits.values()):
        raise ParticipationError("The number from a neighbourhood must be 0 or more.")
    if sum(splits.values()) > participants:
        raise ParticipationError(
            f"The people from each neighbourhood add up to {sum(splits.values())}, more than "
            f"the {participants} who took part."
        )
    if any(not hood.is_neighbourhood for hood in splits):
        raise ParticipationError("Participants can only be counted by neighbourhood.")
    month = first_of_month(month)
    if month > first_of_month(timezone.localdate()):
        raise ParticipationError("You cannot record participation for a month still to come.")
    with transaction.atomic():
        record, _ = ParticipationRecord.objects.update_or_create(
            activity=activity, month=month, defaults={"participants": participants}
        )
        record.splits.all().delete()
        ParticipationSplit.objects.bulk_create(
            [
                ParticipationSplit(record=record, neighbourhood=h, participants=n)
                for h, n in splits.items()
            ]
        )
        # The demo's made-up figures say nothing about whether the group is still going.
        if not activity.illustrative:
            record_sign_of_life(activity.asset, "participation")
    return record


def add_activity(asset: Asset, name: str, category: str, *, illustrative: bool = False) -> Activity:
    name = " ".join(name.split())
    if not name:
        raise ParticipationError("Give the activity a name.")
    if asset.visibility != Visibility.PUBLIC or asset.kind == AssetKind.GIFTS:
        raise ParticipationError("Only groups on the public map can record participation.")
    try:
        activity, _ = Activity.objects.get_or_create(
            asset=asset, name=name, defaults={"category": category, "illustrative": illustrative}
        )
        activity.full_clean()
    except ValidationError as exc:
        raise ParticipationError("; ".join(exc.messages)) from exc
    return activity
