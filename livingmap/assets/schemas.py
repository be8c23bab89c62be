"""Shapes of the assets API: what it accepts (query parameters) and what it returns.

They describe the API in its OpenAPI document; building them from models is done in api.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from livingmap.areas.schemas import POSTCODE_PATTERN

from .models import AssetKind
from .selectors import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, MAX_RADIUS_M

#: The kinds a search can ask for: individuals' gifts and skills are never public.
PUBLIC_KINDS = [str(kind) for kind in AssetKind.values if kind != AssetKind.GIFTS]


class AssetFilters(Schema):
    """The search filters. All are optional and combine: an asset must match every one given."""

    q: str = Field("", max_length=200, description="Words to look for (all must match).")
    # The kinds and the postcode format are in the OpenAPI document; any other text is still
    # taken in, so that it gets the 400 and its message rather than a bare 422.
    kind: str = Field(
        "",
        description="A kind of asset, from /api/kinds, e.g. institution.",
        json_schema_extra={"enum": ["", *PUBLIC_KINDS]},
    )
    category: str = Field("", description="A category slug, from /api/categories, e.g. library.")
    neighbourhood: str = Field(
        "", description="A neighbourhood slug, from /api/neighbourhoods, e.g. south."
    )
    postcode: str = Field(
        "",
        description="Only assets near this postcode (any spacing or case).",
        json_schema_extra={"pattern": f"^ *$|{POSTCODE_PATTERN}"},
    )
    # allow_inf_nan=False: "nan" is refused as not a finite number, not as out of range.
    lon: float | None = Field(
        None,
        ge=-180,
        le=180,
        allow_inf_nan=False,
        description="Only assets near this point: longitude (WGS84).",
    )
    lat: float | None = Field(
        None, ge=-90, le=90, allow_inf_nan=False, description="… and latitude (WGS84)."
    )
    within: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        le=MAX_RADIUS_M,
        description="How near, in metres, with postcode or lon and lat (default 2000).",
    )


class AssetSearchParams(AssetFilters):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page of results, from 1.")
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Results a page.")


class CategoryRef(Schema):
    slug: str
    name: str


class AssetSummary(Schema):
    id: UUID = Field(description="The asset's lasting identifier.")
    name: str
    kind: str
    kind_label: str
    categories: list[CategoryRef]
    address: str
    postcode: str
    lon: float | None
    lat: float | None
    distance_m: float | None = Field(
        None, description="Metres from the postcode or point searched near, if any."
    )
    url: str = Field(description="The asset's public page.")
    last_verified_at: datetime | None = Field(
        description="When someone last confirmed the record is right (not when it was edited)."
    )


class AssetPage(Schema):
    total: int = Field(description="Assets matching, on every page.")
    page: int
    pages: int
    page_size: int
    results: list[AssetSummary]


class SourceOut(Schema):
    """A data set the asset's record came from, with the licence it is used under."""

    dataset: str = Field(description="The data set's slug.")
    dataset_name: str
    publisher: str
    licence: str
    licence_url: str
    attribution: str
    source_url: str
    source_id: str = Field(description="The asset's id in that data set.")
    imported_at: datetime


class AreaRef(Schema):
    level: str
    level_label: str
    gss_code: str
    name: str
    slug: str
    vintage: int
    is_current: bool


class NeighbourhoodRef(Schema):
    name: str
    slug: str
    url: str


class AssetDetail(AssetSummary):
    legal_form: str
    legal_form_label: str
    description: str
    website: str
    email: str
    phone: str
    opening_hours: str
    accessibility: str
    tenure: str
    tenure_label: str
    tenure_detail: str
    uprn: str
    charity_number: str
    footprint: dict[str, Any] | None = Field(description="GeoJSON polygon of the site.")
    service_area: dict[str, Any] | None = Field(description="GeoJSON of where it serves.")
    extra: dict[str, Any] = Field(description="Attributes with no field of their own.")
    updated_at: datetime
    sources: list[SourceOut]
    areas: list[AreaRef] = Field(description="Statutory areas it lies in (every vintage).")
    neighbourhoods: list[NeighbourhoodRef]


class KindOut(Schema):
    kind: str
    label: str
    asset_count: int


class CategoryOut(Schema):
    slug: str
    name: str
    kind: str
    kind_label: str
    description: str
    parent: str | None = Field(description="The slug of the broader category, if any.")
    asset_count: int = Field(description="Public assets in the category.")


class PointGeometry(Schema):
    type: Literal["Point"]
    coordinates: list[float] = Field(description="[longitude, latitude]")


class AssetFeatureProperties(Schema):
    id: UUID
    name: str
    kind: str
    kind_label: str
    categories: list[str]
    url: str
    distance_m: float | None = None


class AssetFeature(Schema):
    type: Literal["Feature"]
    id: UUID
    geometry: PointGeometry
    properties: AssetFeatureProperties


class AssetFeatureCollection(Schema):
    type: Literal["FeatureCollection"]
    total: int = Field(description="Located assets matching, including any left out.")
    limit: int = Field(description="The most features one response holds.")
    truncated: bool = Field(description="True when more assets matched than are included.")
    features: list[AssetFeature]
