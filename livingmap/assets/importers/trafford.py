"""Trafford's asset layers: Trafford Council's own open data and Trafford Data Lab's sets.

Each importer is a few lines: its data set (provenance), its file, and `transform`.
"""

from __future__ import annotations

from typing import Any

from livingmap.core.importing import OGL, DatasetInfo

from ..models import AssetKind, LegalForm, Tenure
from .base import AssetImporter, AssetRecord, RowRejected, register

COUNCIL_ATTRIBUTION = "Contains public sector information from Trafford Council licensed under the Open Government Licence v3.0."
DATA_LAB_ATTRIBUTION = "Trafford Data Lab, licensed under the Open Government Licence v3.0. Contains OS data © Crown copyright and database right."


def council(slug: str, name: str, url: str = "") -> DatasetInfo:
    return DatasetInfo(
        slug=slug,
        name=name,
        publisher="Trafford Council",
        attribution=COUNCIL_ATTRIBUTION,
        source_url=url or "https://github.com/traffordDataLab/open_data",
        **OGL,
    )


def data_lab(slug: str, name: str, url: str = "") -> DatasetInfo:
    return DatasetInfo(
        slug=slug,
        name=name,
        publisher="Trafford Data Lab",
        attribution=DATA_LAB_ATTRIBUTION,
        source_url=url or "https://github.com/traffordDataLab/open_data",
        **OGL,
    )


@register
class CouncilLibraries(AssetImporter):
    name = "trafford-council-libraries"
    description = "Trafford Council's libraries (GeoJSON points)."
    dataset = council("trafford-council-libraries", "Trafford Council: libraries")
    source_format = "geojson"
    default_path = "trafford-council/libraries.geojson"
    required_columns = frozenset({"name"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        name = self.required(row, "name")
        lon, lat, _ = self.geometry_point(row)
        return AssetRecord(
            source_id=name.lower(),
            name=name,
            kind=AssetKind.INSTITUTION,
            legal_form=LegalForm.PUBLIC_BODY,
            categories=["library"],
            description=self.text(row, "type"),
            address=self.text(row, "address"),
            postcode=self.postcode(row, "postcode"),
            lon=lon,
            lat=lat,
            email=self.email(self.text(row, "email")),
            website=self.website(self.text(row, "website")),
        )


@register
class DataLabLibraries(AssetImporter):
    name = "trafford-libraries"
    description = "Libraries in Trafford (Trafford Data Lab CSV)."
    dataset = data_lab("trafford-data-lab-libraries", "Trafford Data Lab: libraries")
    default_path = "trafford-open-data/trafford_libraries.csv"
    required_columns = frozenset({"name", "postcode", "lon", "lat"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        name = self.required(row, "name")
        lon, lat = self.point(row)
        return AssetRecord(
            source_id=name.lower(),
            name=name,
            kind=AssetKind.INSTITUTION,
            legal_form=LegalForm.PUBLIC_BODY,
            categories=["library"],
            description=self.text(row, "type"),
            address=self.text(row, "address"),
            postcode=self.postcode(row, "postcode"),
            lon=lon,
            lat=lat,
            email=self.email(self.text(row, "email")),
            website=self.website(self.text(row, "website")),
        )


#: The land register's own words for a property, mapped to categories (first match wins).
LAND_CATEGORY_WORDS = [
    ("librar", "library"),
    ("park", "green-space"),
    ("playing field", "green-space"),
    ("recreation ground", "green-space"),
    ("allotment", "allotment"),
    ("community centre", "community-building"),
    ("community hall", "community-building"),
    ("leisure centre", "leisure-centre"),
    ("children's centre", "childrens-centre"),
    ("school", "school"),
    ("toilet", "toilets"),
]


@register
class CouncilLandAndBuildings(AssetImporter):
    name = "trafford-land-and-buildings"
    description = "Trafford Council's land and building asset register (Transparency Code)."
    dataset = council(
        "trafford-council-land-and-buildings",
        "Trafford Council: land and building assets",
    )
    default_path = "trafford-council/trafford_land_and_building_assets.csv"
    required_columns = frozenset(
        {
            "UPRN",
            "AssetCode",
            "PropertyName",
            "PostCode",
            "GeoX",
            "GeoY",
            "TenureType",
            "HoldingType",
        }
    )

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        code = self.required(row, "AssetCode", "asset code")
        name = self.required(row, "PropertyName", "property name")
        crs = self.text(row, "CoordinateReferenceSystem").upper()
        if crs and crs != "WGS84":
            raise RowRejected(f"coordinates are in {crs}; only WGS84 longitude/latitude is read")
        lon, lat = self.point(row, "GeoX", "GeoY")
        holding = self.text(row, "HoldingType")
        is_land = holding.lower() == "land"
        lowered = name.lower()
        categories = ["council-land" if is_land else "council-building"]
        categories += [cat for words, cat in LAND_CATEGORY_WORDS if words in lowered][:1]
        tenure_type = self.text(row, "TenureType").lower()
        address = ", ".join(
            p
            for p in (
                " ".join(
                    p for p in (self.text(row, "StreetNumber"), self.text(row, "StreetName")) if p
                ),
                self.text(row, "PostTown"),
            )
            if p
        )
        return AssetRecord(
            source_id=code,
            name=name,
            kind=AssetKind.PHYSICAL,
            legal_form=LegalForm.PUBLIC_BODY,
            categories=categories,
            description=self.text(row, "OtherDetail"),
            address=address,
            postcode=self.postcode(row, "PostCode"),
            lon=lon,
            lat=lat,
            tenure=Tenure.FREEHOLD
            if tenure_type == "freehold"
            else Tenure.LEASEHOLD
            if tenure_type == "leasehold"
            else Tenure.UNKNOWN,
            tenure_detail=self.text(row, "TenureDetail"),
            uprn=self.text(row, "UPRN"),
            extra={
                k: v
                for k, v in {
                    "holding_type": holding,
                    "building_size_m2": self.text(row, "BuildingSize"),
                    "land_area_ha": self.text(row, "LandArea"),
                    "energy_rating": self.text(row, "EnergyRating"),
                    "register_date": self.text(row, "EffectiveDate"),
                }.items()
                if v
            },
        )
