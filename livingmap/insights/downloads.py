"""Open data: every public data set, and the streamed CSV and GeoJSON files of each.

Downloads are generators fed to StreamingHttpResponse, reading the database in chunks, so a
million assets never sit in memory. Only public assets are ever written (never gifts or private).
Every CSV this app writes goes through `csv_rows`, which neutralises spreadsheet formulas.
Each download's licences and attribution are those of the data sets actually in it.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q

from livingmap.areas.models import (
    Area,
    AreaComponent,
    AreaLevel,
    Indicator,
    IndicatorPeriod,
    IndicatorValue,
)
from livingmap.assets.models import Asset, AssetKind, AssetSource, Category, Visibility
from livingmap.core import downloads as core_downloads
from livingmap.core.downloads import (  # noqa: F401 - the names this module has always had
    CC_BY,
    CC_BY_URL,
    LICENCE_URLS,
    ODBL_URL,
    OGL,
    OGL_URL,
    Download,
    Licence,
    dataset_licences,
)
from livingmap.core.models import Dataset
from livingmap.core.text import spreadsheet_safe

from . import selectors

CHUNK = 2000
#: Every cell of every CSV goes through `csv_cell`: see core.text.spreadsheet_safe.
csv_cell = spreadsheet_safe


def csv_rows(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """A streamed CSV: the header, then each row, every cell through `csv_cell`. The one way
    this app writes CSV (open data, profiles, gaps, participation)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(h) for h in header])
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(v) for v in row])
        yield buffer.getvalue()


def _public_assets() -> Iterator[Asset]:
    """Public assets in id order, a chunk at a time, with their categories and sources."""
    last = 0
    while True:
        chunk = list(
            Asset.objects.public()
            .filter(id__gt=last)
            .order_by("id")
            .prefetch_related(
                Prefetch("categories", queryset=Category.objects.only("id", "slug")),
                "sources__dataset",
            )[:CHUNK]
        )
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].id


ASSET_FIELDS = [
    "uuid",
    "name",
    "kind",
    "categories",
    "address",
    "postcode",
    "lon",
    "lat",
    "website",
    "email",
    "phone",
    "legal_form",
    "charity_number",
    "uprn",
    "last_verified_at",
    "sources",
]


def _asset_values(a: Asset) -> list[Any]:
    return [
        str(a.uuid),
        a.name,
        a.kind,
        ";".join(sorted(c.slug for c in a.categories.all())),
        a.address,
        a.postcode,
        a.lon,
        a.lat,
        a.website,
        a.email,
        a.phone,
        a.legal_form,
        a.charity_number,
        a.uprn,
        a.last_verified_at.isoformat() if a.last_verified_at else "",
        ";".join(sorted({s.dataset.slug for s in a.sources.all()})),
    ]


def assets_csv() -> Iterator[str]:
    return csv_rows(ASSET_FIELDS, (_asset_values(a) for a in _public_assets()))


def assets_geojson() -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['
    first = True
    for a in _public_assets():
        if a.lat is None or a.lon is None:
            continue
        props = dict(zip(ASSET_FIELDS, _asset_values(a), strict=True))
        props.pop("lon")
        props.pop("lat")
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(a.lon, 6), round(a.lat, 6)]},
            "properties": props,
        }
        yield ("" if first else ",") + json.dumps(feature, separators=(",", ":"))
        first = False
    yield "]}"


def neighbourhoods_geojson() -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['
    for i, hood in enumerate(
        Area.objects.neighbourhoods().select_related("source").order_by("name")
    ):
        feature = {
            "type": "Feature",
            "geometry": hood.geometry,
            "properties": {
                "name": hood.name,
                "slug": hood.slug,
                "origin": hood.origin,
                "source": hood.source.name if hood.source else "",
            },
        }
        yield ("," if i else "") + json.dumps(feature, separators=(",", ":"))
    yield "]}"


def indicators_csv() -> Iterator[str]:
    """Every statutory area's indicators in their latest period, saying which period it is."""
    rows = (
        IndicatorValue.objects.latest_period()
        .select_related("indicator", "area", "period")
        .only(
            "value",
            "note",
            "indicator__slug",
            "period__label",
            "period__start",
            "period__end",
            "area__gss_code",
            "area__name",
            "area__level",
            "area__vintage",
        )
        .order_by("area__level", "area__gss_code", "indicator__order", "indicator__slug")
        .iterator(chunk_size=CHUNK)
    )
    return csv_rows(
        [
            "area_code",
            "area_name",
            "level",
            "vintage",
            "indicator",
            "value",
            "release",
            "note",
            "period_start",
            "period_end",
        ],
        (
            [
                v.area.gss_code,
                v.area.name,
                v.area.level,
                v.area.vintage,
                v.indicator.slug,
                v.value,
                v.period.label,
                v.note,
                v.period.start.isoformat(),
                v.period.end.isoformat(),
            ]
            for v in rows
            if v.area.level != AreaLevel.NEIGHBOURHOOD
        ),
    )


HISTORY_HEADER = [
    "indicator",
    "period",
    "period_label",
    "period_start",
    "period_end",
    "is_latest",
    "area_code",
    "area_name",
    "level",
    "vintage",
    "value",
    "release",
    "note",
]


def indicator_history_csv(indicator: Indicator) -> Iterator[str]:
    """One indicator in every period held, oldest first: its history."""
    rows = (
        IndicatorValue.objects.filter(indicator=indicator)
        .exclude(area__level=AreaLevel.NEIGHBOURHOOD)
        .select_related("period", "area")
        .only(
            "value",
            "note",
            "period__label",
            "period__start",
            "period__end",
            "period__granularity",
            "period__is_latest",
            "period__release",
            "area__gss_code",
            "area__name",
            "area__level",
            "area__vintage",
        )
        .order_by("period__end", "period__start", "area__level", "area__vintage", "area__gss_code")
        .iterator(chunk_size=CHUNK)
    )
    return csv_rows(
        HISTORY_HEADER,
        (
            [
                indicator.slug,
                v.period.key,
                v.period.label,
                v.period.start.isoformat(),
                v.period.end.isoformat(),
                "yes" if v.period.is_latest else "no",
                v.area.gss_code,
                v.area.name,
                v.area.level,
                v.area.vintage,
                v.value,
                v.period.release,
                v.note,
            ]
            for v in rows
        ),
    )


def history_downloads() -> list[Download]:
    """A CSV per indicator with every period held ("indicator-population-history-csv"), each
    crediting the data sets of its periods. Three queries however many indicators there are."""
    held = list(
        Indicator.objects.annotate(n=Count("periods")).filter(n__gt=0).order_by("order", "name")
    )
    sources: dict[int, set[int]] = defaultdict(set)
    for indicator_id, source_id in IndicatorPeriod.objects.filter(indicator__in=held).values_list(
        "indicator_id", "source_id"
    ):
        sources[indicator_id].add(source_id)
    published = _once(lambda: list(_published()))

    def datasets_of(indicator: Indicator) -> Callable[[], list[Dataset]]:
        ids = (sources[indicator.id] | {indicator.source_id}) - {None}
        return lambda: [d for d in published() if d.id in ids]

    return [
        Download(
            f"indicator-{indicator.slug}-history-csv",
            f"{indicator.name}: every period",
            f"{indicator.name} for every statutory area we hold, in every period loaded "
            f"({indicator.n} so far), oldest first; the latest is marked.",
            "CSV",
            "text/csv",
            lambda ind=indicator: indicator_history_csv(ind),
            sources=datasets_of(indicator),
        )
        for indicator in held
    ]


def profiles_csv() -> Iterator[str]:
    rows = selectors.profile_rows()
    header = list(rows[0]) if rows else ["neighbourhood"]
    return csv_rows(header, ([r.get(h) for h in header] for r in rows))


def participation_csv() -> Iterator[str]:
    """The area's participation totals, suppressed exactly as on the page."""
    figures = selectors.participation_figures()
    by_month = selectors.area_totals_by_month(figures=figures)
    by_hood = selectors.area_totals_by_neighbourhood(figures=figures)

    def rows() -> Iterator[list[Any]]:
        for label, cells, _total in by_month.rows:
            for column, value in zip(by_month.columns, cells, strict=True):
                yield ["month", label, column, value]
        for label, cells, _total in by_hood.rows:
            for column, value in zip(by_hood.columns, cells, strict=True):
                yield ["neighbourhood (last 12 months)", label, column, value]

    return csv_rows(
        ["table", "activity_category", "month_or_neighbourhood", "participants"], rows()
    )


def _published() -> Any:
    """Data sets that can be named on a page (the benchmarks' synthetic ones never are)."""
    return Dataset.objects.exclude(slug__startswith="bench-").order_by("name")


def asset_datasets() -> list[Dataset]:
    """The data sets that the public assets came from (their sources). For each data set the
    database looks through its sources only until it meets one public asset."""
    public = AssetSource.objects.filter(
        dataset=OuterRef("pk"), asset__visibility=Visibility.PUBLIC
    ).exclude(asset__kind=AssetKind.GIFTS)
    return list(_published().filter(Exists(public)))


def neighbourhood_datasets() -> list[Dataset]:
    """The data sets the neighbourhoods' boundaries came from: an imported neighbourhood's own,
    and for one built from statutory areas those of the statutory boundaries it lies on (a drawn
    one is Living Map's own)."""
    own = Area.objects.neighbourhoods().order_by().values("source_id")
    built = Area.objects.neighbourhoods().filter(origin=Area.Origin.BUILT).order_by().values("id")
    parts = AreaComponent.objects.filter(neighbourhood__in=built).values("component__source_id")
    return list(_published().filter(Q(id__in=own) | Q(id__in=parts)))


def indicator_datasets() -> list[Dataset]:
    """The data sets of the indicators, and of the statutory areas they are given for."""
    ids = set(Indicator.objects.order_by().values_list("source_id", flat=True))
    ids |= set(
        Area.objects.exclude(level=AreaLevel.NEIGHBOURHOOD)
        .order_by()
        .values_list("source_id", flat=True)
        .distinct()
    )
    return list(_published().filter(id__in=ids - {None}))


def profile_datasets(assets: Callable[[], list[Dataset]] = asset_datasets) -> list[Dataset]:
    """A profile is derived from the indicators, the neighbourhoods and the assets."""
    found = {d.id: d for d in indicator_datasets() + neighbourhood_datasets() + assets()}
    return sorted(found.values(), key=lambda d: d.name)


def _once(read: Callable[[], list[Dataset]]) -> Callable[[], list[Dataset]]:
    """`read`, run at most once (several downloads on one page share the same data sets)."""
    kept: list[list[Dataset]] = []

    def once() -> list[Dataset]:
        if not kept:
            kept.append(read())
        return kept[0]

    return once


def downloads() -> list[Download]:
    asset_note = (
        "Every public community asset with its kind, categories, location and the data sets it "
        "came from. People's gifts and skills and private records are never included."
    )
    assets = _once(asset_datasets)
    return [
        Download(
            "assets-csv",
            "Community assets",
            asset_note,
            "CSV",
            "text/csv",
            assets_csv,
            sources=assets,
        ),
        Download(
            "assets-geojson",
            "Community assets (map layer)",
            "Every public community asset that has a location, as points for a map, with its "
            "kind and categories; those without one are in the CSV only. People's gifts and "
            "skills and private records are never included.",
            "GeoJSON",
            "application/geo+json",
            assets_geojson,
            sources=assets,
        ),
        Download(
            "neighbourhoods-geojson",
            "Neighbourhood boundaries",
            "The boundaries of the neighbourhoods residents recognise.",
            "GeoJSON",
            "application/geo+json",
            neighbourhoods_geojson,
            sources=neighbourhood_datasets,
        ),
        Download(
            "indicators-csv",
            "Indicators by area",
            "Population and the Indices of Deprivation for every statutory area we hold, each in "
            "its latest period (the history of each is below).",
            "CSV",
            "text/csv",
            indicators_csv,
            sources=indicator_datasets,
        ),
        Download(
            "profiles-csv",
            "Neighbourhood profiles",
            "Each neighbourhood's population, deprivation and assets per 1,000 residents.",
            "CSV",
            "text/csv",
            profiles_csv,
            sources=lambda: profile_datasets(assets),
            derived=True,
        ),
        Download(
            "participation-csv",
            "Participation in activities",
            "The area's participants by activity and month, and by neighbourhood, with numbers "
            'below 5 shown as "<5" and, where other figures would give one away, more hidden '
            'as "[c]".',
            "CSV",
            "text/csv",
            participation_csv,
            own_licence=Licence(CC_BY, CC_BY_URL),
            own_attribution="Figures recorded by community groups on Living Map.",
        ),
        *history_downloads(),
    ]


def every_download() -> list[Download]:
    """Every app's files for the open data page: this app's `downloads()` and any other's."""
    return core_downloads.every_download()


def get_download(slug: str) -> Download | None:
    """A file of the open data page by its slug, from whichever app gives it."""
    return core_downloads.get_download(slug)


def release_label(release: str) -> str:
    """A release as people read it (see `Dataset.release_label`)."""
    return Dataset(release=release).release_label


def datasets() -> list[Dataset]:
    """Every published data set records came from, with its licence and attribution (and
    `release_label`, its release in words)."""
    return list(_published())
