"""Open data: every public data set, and the streamed CSV and GeoJSON files of each.

Downloads are generators fed to StreamingHttpResponse, reading the database in chunks, so a
million assets never sit in memory. Only public assets are ever written (never gifts or private).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from livingmap.areas.models import Area, AreaLevel, IndicatorValue
from livingmap.assets.models import Asset, Category
from livingmap.core.models import Dataset

from . import selectors

CHUNK = 2000
OGL = "Open Government Licence v3.0"
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


def csv_rows(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(["" if v is None else v for v in row])
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
    by_month = selectors.area_totals_by_month()
    by_hood = selectors.area_totals_by_neighbourhood()

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


@dataclass
class Download:
    slug: str
    title: str
    description: str
    fmt: str
    content_type: str
    build: Callable[[], Iterator[str]]
    licence: str = OGL
    licence_url: str = OGL_URL
    attribution: str = ""

    @property
    def filename(self) -> str:
        return f"livingmap-{self.slug}.{self.fmt.lower()}"


def downloads() -> list[Download]:
    asset_note = (
        "Every public community asset with its kind, categories, location and the data sets it "
        "came from. People's gifts and skills and private records are never included."
    )
    return [
        Download("assets-csv", "Community assets", asset_note, "CSV", "text/csv", assets_csv),
        Download(
            "assets-geojson",
            "Community assets (map layer)",
            asset_note,
            "GeoJSON",
            "application/geo+json",
            assets_geojson,
        ),
        Download(
            "neighbourhoods-geojson",
            "Neighbourhood boundaries",
            "The boundaries of the neighbourhoods residents recognise.",
            "GeoJSON",
            "application/geo+json",
            neighbourhoods_geojson,
        ),
        Download(
            "indicators-csv",
            "Indicators by area",
            "Population and the Indices of Deprivation for every statutory area we hold.",
            "CSV",
            "text/csv",
            indicators_csv,
        ),
        Download(
            "profiles-csv",
            "Neighbourhood profiles",
            "Each neighbourhood's population, deprivation and assets per 1,000 residents.",
            "CSV",
            "text/csv",
            profiles_csv,
            licence="Open Government Licence v3.0 (derived data)",
        ),
        Download(
            "participation-csv",
            "Participation in activities",
            "The area's participants by activity and month, and by neighbourhood, with numbers "
            'below 5 shown as "<5".',
            "CSV",
            "text/csv",
            participation_csv,
            licence="Creative Commons Attribution 4.0",
            licence_url="https://creativecommons.org/licenses/by/4.0/",
            attribution="Figures recorded by community groups on Living Map.",
        ),
    ]


def get_download(slug: str) -> Download | None:
    return next((d for d in downloads() if d.slug == slug), None)


def datasets() -> list[Dataset]:
    """Every published data set records came from, with its licence and attribution."""
    return list(Dataset.objects.exclude(slug__startswith="bench-").order_by("name"))
