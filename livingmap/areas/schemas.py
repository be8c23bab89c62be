"""Shapes of the areas API: statutory areas, neighbourhoods, need indicators and postcodes.
Its errors use the shared error schema (livingmap/core/schemas.py).

They describe the API in its OpenAPI document; building them from models is done in api.py.
"""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from .models import STATUTORY_LEVELS

#: What the API takes as a postcode (core.text.normalise_postcode): the UK format, in any case,
#: with spaces anywhere. For the OpenAPI document; the code gives its own 400 for anything else.
POSTCODE_PATTERN = r"^ *[A-Za-z]{1,2} *[0-9] *[A-Za-z0-9]? *[0-9] *[A-Za-z] *[A-Za-z] *$"

MAX_AREA_PAGE_SIZE = 1000
#: Far past the last page of any real set of areas, and inside every database's integers.
MAX_AREA_PAGE = 100_000


class AreaParams(Schema):
    level: str = Field(
        "",
        description="One of lad, ward, msoa, lsoa, oa (neighbourhoods: /api/neighbourhoods).",
        # Listed in the OpenAPI document; any other text is still taken in, so that it gets the
        # 400 and its message (naming the levels) rather than a bare 422.
        json_schema_extra={"enum": ["", *(str(level) for level in STATUTORY_LEVELS)]},
    )
    vintage: int | None = Field(None, ge=1800, le=2200, description="Boundary year, e.g. 2021.")
    current: bool | None = Field(
        None, description="true: only the newest vintage of each level; false: only older ones."
    )
    page: int = Field(1, ge=1, le=MAX_AREA_PAGE, description="Page of results, from 1.")
    page_size: int = Field(100, ge=1, le=MAX_AREA_PAGE_SIZE)


class PostcodePath(Schema):
    postcode: str = Field(
        description="A postcode, in any spacing or case, e.g. AB1 2CD.",
        # In the OpenAPI document; anything else is still taken in, to get the 400 and its message.
        json_schema_extra={"pattern": POSTCODE_PATTERN},
    )


class AreaRef(Schema):
    level: str
    level_label: str
    gss_code: str = Field(description="ONS GSS code, e.g. E05000820.")
    name: str
    slug: str
    vintage: int
    is_current: bool


class AreaSummary(AreaRef):
    url: str = Field(description="The area's public page.")
    api_url: str


class AreaPage(Schema):
    total: int
    page: int
    pages: int
    page_size: int
    results: list[AreaSummary]


class Provenance(Schema):
    """Where figures came from and the licence they are used under."""

    dataset: str
    dataset_name: str
    publisher: str
    licence: str
    licence_url: str
    attribution: str
    source_url: str
    release: str


class KindCount(Schema):
    kind: str
    label: str
    count: int


class PeriodOut(Schema):
    """The time a figure is about."""

    key: str = Field(
        description="How `?period=` names it: a date (2024-06-30), a year (2019) or a financial "
        "year (2024-25).",
        examples=["2024-06-30"],
    )
    label: str = Field(description='As people read it: "mid-2024", "2019", "2024/25".')
    start: str = Field(description="First day the figures are about (ISO date).")
    end: str = Field(description="Last day the figures are about (ISO date).")
    granularity: Literal["date", "year", "financial_year"]
    is_latest: bool = Field(description="The indicator's newest period: the one pages show.")


class PeriodParams(Schema):
    period: str = Field(
        "latest",
        description="Which period's figures: `latest` (each indicator's newest, the default), "
        "`all` (every period held, newest first), or one period: a date (2024-06-30 or "
        "mid-2024), a year (2019) or a financial year (2024-25).",
        max_length=40,
    )


class IndicatorValueOut(Schema):
    slug: str
    name: str
    unit: str
    value: float
    note: str
    lower_is_more_deprived: bool
    period: PeriodOut
    source: Provenance


class Point(Schema):
    lon: float
    lat: float


class NeighbourhoodShare(Schema):
    name: str
    slug: str
    share: float = Field(description="Share of the area's land inside the neighbourhood (0–1).")


class AreaDetail(AreaSummary):
    description: str
    origin: str
    land_area_m2: float | None
    point: Point = Field(description="A point inside the area, for a label.")
    bbox: list[float] = Field(description="[min lon, min lat, max lon, max lat]")
    boundary_url: str
    parent: AreaRef | None
    neighbourhoods: list[NeighbourhoodShare]
    indicators: list[IndicatorValueOut]
    asset_count: int = Field(description="Public assets in the area.")
    asset_counts: list[KindCount]


class NeighbourhoodSummary(Schema):
    name: str
    slug: str
    description: str
    origin: str
    origin_label: str
    asset_count: int
    url: str
    api_url: str
    boundary_url: str


class DecileShare(Schema):
    decile: int = Field(description="National decile, 1 = the most deprived 10% of areas.")
    share: float = Field(description="Share of residents (0–1) living in areas of that decile.")


class NeighbourhoodIndicator(Schema):
    slug: str
    name: str
    unit: str
    value: float | None = Field(
        description=(
            "Counts: the sum. Ranks: the population-weighted average rank. Deciles: the share "
            "of residents in the most deprived decile (see `deciles` for all)."
        )
    )
    method: str = Field(description="How it was rolled up from statutory areas.")
    method_description: str
    note: str
    average_rank_decile: int | None = Field(
        description="For ranks: the national decile the average rank falls in."
    )
    deciles: list[DecileShare]
    lower_is_more_deprived: bool
    release: str
    period: PeriodOut
    source: Provenance


class NeighbourhoodDetail(NeighbourhoodSummary):
    population: int | None
    land_area_m2: float | None
    point: Point
    bbox: list[float]
    asset_counts: list[KindCount]
    indicators: list[NeighbourhoodIndicator]


class NeighbourhoodRef(Schema):
    name: str
    slug: str
    url: str


class PostcodeOut(Schema):
    postcode: str = Field(
        description="The postcode written the standard way: upper case, one space (AB1 2CD)."
    )
    located: bool
    lon: float | None
    lat: float | None
    areas: list[AreaRef] = Field(description="Current statutory areas it lies in.")
    neighbourhoods: list[NeighbourhoodRef]


class AreaFeature(Schema):
    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon, WGS84.")
    properties: dict[str, Any]


class AreaFeatureCollection(Schema):
    type: Literal["FeatureCollection"]
    features: list[AreaFeature]
