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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q

from livingmap.areas.models import Area, AreaComponent, AreaLevel, Indicator, IndicatorValue
from livingmap.assets.models import Asset, AssetKind, AssetSource, Category, Visibility
from livingmap.core.models import Dataset
from livingmap.core.text import spreadsheet_safe

from . import selectors

CHUNK = 2000
OGL = "Open Government Licence v3.0"
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
ODBL_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
CC_BY = "Creative Commons Attribution 4.0"
CC_BY_URL = "https://creativecommons.org/licenses/by/4.0/"
#: Where a data set names several licences ("A; B") but gives one address, these say which is
#: which.
LICENCE_URLS = {OGL: OGL_URL, "Open Database Licence (ODbL) v1.0": ODBL_URL, CC_BY: CC_BY_URL}

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
    rows = (
        IndicatorValue.objects.select_related("indicator", "area")
        .only(
            "value",
            "note",
            "indicator__slug",
            "indicator__release",
            "area__gss_code",
            "area__name",
            "area__level",
            "area__vintage",
        )
        .order_by("area__level", "area__gss_code", "indicator__order", "indicator__slug")
        .iterator(chunk_size=CHUNK)
    )
    return csv_rows(
        ["area_code", "area_name", "level", "vintage", "indicator", "value", "release", "note"],
        (
            [
                v.area.gss_code,
                v.area.name,
                v.area.level,
                v.area.vintage,
                v.indicator.slug,
                v.value,
                v.indicator.release,
                v.note,
            ]
            for v in rows
            if v.area.level != AreaLevel.NEIGHBOURHOOD
        ),
    )


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


@dataclass(frozen=True)
class Licence:
    name: str
    url: str = ""


def dataset_licences(ds: Dataset) -> list[Licence]:
    """The licences a data set names: "A; B" is two (the allotments: OGL and ODbL)."""
    names = [n.strip() for n in ds.licence.split(";") if n.strip()]
    return [
        Licence(n, LICENCE_URLS.get(n) or (ds.licence_url if len(names) == 1 else ""))
        for n in names
    ]


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


@dataclass
class Download:
    """One file on the open data page. Its licences and attribution are those of `sources`,
    the data sets actually in it, so the page is always true to the file; figures recorded on
    Living Map itself (participation) carry `own_licence` instead."""

    slug: str
    title: str
    description: str
    fmt: str
    content_type: str
    build: Callable[[], Iterator[str]]
    sources: Callable[[], list[Dataset]] | None = None
    own_licence: Licence | None = None
    own_attribution: str = ""
    derived: bool = False

    @property
    def filename(self) -> str:
        """livingmap-assets.csv, livingmap-assets.geojson: the slug without its format."""
        ext = self.fmt.lower()
        return f"livingmap-{self.slug.removesuffix('-' + ext)}.{ext}"

    @cached_property
    def datasets(self) -> list[Dataset]:
        return self.sources() if self.sources else []

    @cached_property
    def licences(self) -> list[Licence]:
        """Every licence of the data in it, once each (with its address where one is known)."""
        named = [self.own_licence] if self.own_licence else []
        named += [licence for ds in self.datasets for licence in dataset_licences(ds)]
        found: dict[str, Licence] = {}
        for licence in named:
            if licence.name not in found or (licence.url and not found[licence.name].url):
                found[licence.name] = licence
        return list(found.values())

    @cached_property
    def attributions(self) -> list[str]:
        """The words each data set in it asks us to show, once each."""
        texts = [self.own_attribution] + [ds.attribution for ds in self.datasets]
        return list(dict.fromkeys(t.strip() for t in texts if t and t.strip()))


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
            "Population and the Indices of Deprivation for every statutory area we hold.",
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
    ]


def get_download(slug: str) -> Download | None:
    return next((d for d in downloads() if d.slug == slug), None)


def release_label(release: str) -> str:
    """A release as people read it (see `Dataset.release_label`)."""
    return Dataset(release=release).release_label


def datasets() -> list[Dataset]:
    """Every published data set records came from, with its licence and attribution (and
    `release_label`, its release in words)."""
    return list(_published())
