"""Trafford's asset layers: Trafford Council's own open data and Trafford Data Lab's sets.

Each importer is a few lines: its data set (provenance), its file, and `transform`. The choices
each makes — which ABCD kind, which categories, which column is the stable id — are listed in
docs/importers.md ("The built-in layers").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from livingmap.areas.models import Area, AreaLevel
from livingmap.core.geo import AreaIndex, geometry_from_geojson
from livingmap.core.importing import OGL, DatasetInfo, ImportReport, read_csv

from ..models import Asset, AssetKind, AssetSource, LegalForm, Tenure
from .base import AssetImporter, AssetRecord, RowRejected, register
from .transforms import DAYS, ordinary_case, weekly_hours

COUNCIL_ATTRIBUTION = "Contains public sector information from Trafford Council licensed under the Open Government Licence v3.0."
DATA_LAB_ATTRIBUTION = "Trafford Data Lab, licensed under the Open Government Licence v3.0. Contains OS data © Crown copyright and database right."
OGL_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0."
)
OS_ATTRIBUTION = "Contains OS data © Crown copyright and database right"
ODBL = "Open Government Licence v3.0; Open Database Licence (ODbL) v1.0"
COUNCIL_REPO = "https://github.com/traffordDataLab/council_open_data/tree/master/"
DATA_LAB_REPO = "https://github.com/traffordDataLab/open_data/tree/master/"


def council(slug: str, name: str, url: str = "", **more: str) -> DatasetInfo:
    """A data set Trafford Council publishes about its own services and property."""
    values = {
        "publisher": "Trafford Council",
        "attribution": COUNCIL_ATTRIBUTION,
        "source_url": url or "https://github.com/traffordDataLab/open_data",
        **OGL,
        **more,
    }
    return DatasetInfo(slug=slug, name=name, **values)


def data_lab(slug: str, name: str, url: str = "", **more: str) -> DatasetInfo:
    """A data set Trafford Data Lab cleaned from another publisher (named in `publisher`)."""
    values = {
        "publisher": "Trafford Data Lab",
        "attribution": DATA_LAB_ATTRIBUTION,
        "source_url": url or "https://github.com/traffordDataLab/open_data",
        **OGL,
        **more,
    }
    return DatasetInfo(slug=slug, name=name, **values)


# -- helpers shared by the Trafford layers --------------------------------------------------------


def source_key(*parts: str) -> str:
    """A stable id for a row whose file has no id column: its name and postcode, normalised
    ("Being There", "M41 5SN" -> "being-there/m41-5sn")."""
    words = [re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts if p]
    return "/".join(w for w in words if w)[:200]


def point_key(lon: float, lat: float) -> str:
    """A stable id from a site's centroid (5 decimals, about a metre): for unnamed sites."""
    return f"{lat:.5f},{lon:.5f}"


def not_a_number(value: str) -> str:
    """'' for placeholder phone numbers such as '00000 000000'."""
    return "" if not value.strip("0 ") else value


def locality(address: str) -> str:
    """The town or district at the end of an address, leaving out the post town "Manchester"."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    parts = [p for p in parts if p.lower() not in {"manchester", "cheshire", "trafford"}]
    return parts[-1] if parts else ""


def compact(values: dict[str, Any]) -> dict[str, Any]:
    """A dict without its blank values, for `extra`."""
    return {k: v for k, v in values.items() if v not in ("", None, [], {})}


class WardNames:
    """The ward a point lies in, to say where an unnamed site is ("A play space in Sale Moor
    ward"). Built once per import from the current ward boundaries.

    The ward goes in the description, not the name: a made-up name holding place words would
    look like the real name of something nearby to de-duplication ("Humphrey Park" is every word
    of "Bowling green, Stretford & Humphrey Park")."""

    def __init__(self) -> None:
        wards = list(
            Area.objects.filter(level=AreaLevel.WARD, is_current=True).only("name", "geometry")
        )
        self.names = [w.name for w in wards]
        self.index = (
            AreaIndex(list(range(len(wards))), [geometry_from_geojson(w.geometry) for w in wards])
            if wards
            else None
        )

    def at(self, lon: float | None, lat: float | None) -> str:
        if self.index is None or lon is None or lat is None:
            return ""
        _, positions = self.index.points_in([lon], [lat])
        return self.names[self.index.keys[int(positions[0])]] if len(positions) else ""

    def describe(self, what: str, lon: float | None, lat: float | None, source: str) -> str:
        """'A play space in Sale Moor ward. OS Open Greenspace gives it no name.'"""
        ward = self.at(lon, lat)
        where = f" in {ward} ward" if ward else ""
        return f"{what[0].upper()}{what[1:]}{where}. {source} gives it no name."


def site_centroid(row: dict[str, Any]) -> tuple[float, float]:
    geom = geometry_from_geojson(row["geometry"])
    return geom.centroid.x, geom.centroid.y


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


#: What a land register property is used as, from words in its name (in each list the first
#: found wins): uses that need a building, given only to buildings (the land behind a school is
#: not a school, nor the site a library stands on), then uses land can have. Neither is given
#: to a former or vacant property: a former library is no longer a library. A resident looking
#: for a library or a school, and the gaps page counting them, want the ones in use. The most
#: particular land use comes first ("Humphrey Park Allotments" are allotments).
#: data/mappings/trafford-land-and-buildings.toml says the same as a mapping file.
BUILDING_USE_WORDS = [
    ("librar", "library"),
    ("community centre", "community-building"),
    ("community hall", "community-building"),
    ("leisure centre", "leisure-centre"),
    ("children's centre", "childrens-centre"),
    ("school", "school"),
    ("toilet", "toilets"),
]
LAND_USE_WORDS = [
    ("allotment", "allotment"),
    ("playing field", "green-space"),
    ("recreation ground", "green-space"),
]
#: A park's name makes land green space; a building in a park (a bowls clubhouse, the park
#: staff's toilets) is not itself one.
PARK_WORDS = [("park", "green-space")]
NOT_IN_USE = re.compile(r"\b(?:former|vacant|disused|demolished)\b")
#: Staff toilets are not public toilets, and a building on School Road is no school.
NOT_BUILDING_USE = re.compile(r"\b(?:staff toilets?|school road|school lane)\b")
#: Names in which "park" is no public green space: a car park, a road or a hospital named after
#: one, Trafford Park (the industrial estate), and a school ("Seymour Park Primary School" is a
#: school, and its grounds are not public; "School Road" is a road).
NOT_GREEN_SPACE_WORDS = (
    "car park",
    "park road",
    "park rd",
    "park hospital",
    "trafford park",
    "sub-station",
    "substation",
    "primary school",
    "infant school",
    "infants school",
    "junior school",
    "high school",
    "grammar school",
    "secondary school",
    "secondary schools",
)
NOT_GREEN_SPACE = re.compile(r"\b(?:" + "|".join(NOT_GREEN_SPACE_WORDS) + r")\b")


def land_register_uses(name: str, *, is_land: bool) -> list[str]:
    """The categories a land register property is used as, from its name."""
    lowered = " ".join(name.lower().split())
    if NOT_IN_USE.search(lowered):
        return []
    lists = [BUILDING_USE_WORDS] if not is_land and not NOT_BUILDING_USE.search(lowered) else []
    if not NOT_GREEN_SPACE.search(lowered):
        lists += [LAND_USE_WORDS, PARK_WORDS] if is_land else [LAND_USE_WORDS]
    return [
        next(category for words, category in words_list if words in lowered)
        for words_list in lists
        if any(words in lowered for words, _ in words_list)
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
        categories = ["council-land" if is_land else "council-building"]
        categories += land_register_uses(name, is_land=is_land)
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


# -- Trafford Council's services -------------------------------------------------------------------


@register
class CouncilCommunityHubs(AssetImporter):
    name = "trafford-community-hubs"
    description = "Trafford Council's six community response hubs (CSV)."
    dataset = council(
        "trafford-council-community-hubs",
        "Trafford Council: community hubs",
        COUNCIL_REPO + "assets/community_hubs",
        release="2024-02-02",
    )
    default_path = "trafford-council/trafford_community_hubs.csv"
    required_columns = frozenset({"community_hub", "postcode", "lon", "lat"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        place = self.required(row, "community_hub", "community hub name")
        lon, lat = self.point(row)
        return AssetRecord(
            source_id=source_key(place),
            name=f"{place} Community Hub",
            kind=AssetKind.INSTITUTION,
            categories=["community-hub"],
            description=(
                f"Trafford's community response hub for {place}: help with food, money, "
                "loneliness and finding local support."
            ),
            address=self.text(row, "address"),
            postcode=self.postcode(row, "postcode"),
            lon=lon,
            lat=lat,
            website=self.website(self.text(row, "website")),
            email=self.email(self.text(row, "email")),
            phone=self.text(row, "telephone"),
            opening_hours=self.text(row, "opening_hours"),
        )


@register
class CouncilLeisureCentres(AssetImporter):
    name = "trafford-leisure-centres"
    description = "Leisure centres in Trafford (Trafford Council CSV)."
    dataset = council(
        "trafford-council-leisure-centres",
        "Trafford Council: leisure centres",
        COUNCIL_REPO + "assets/leisure_centres",
        attribution="Trafford Council, Trafford Leisure CIC, George Carnall Community Group CIC, "
        "Schools Plus. " + COUNCIL_ATTRIBUTION,
        release="February 2026",
    )
    default_path = "trafford-council/trafford_leisure_centres.csv"
    required_columns = frozenset({"name", "postcode", "lon", "lat"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        name = self.required(row, "name")
        lon, lat = self.point(row)
        postcode = self.postcode(row, "postcode")
        return AssetRecord(
            source_id=source_key(name, postcode),
            name=name,
            kind=AssetKind.INSTITUTION,
            categories=["leisure-centre"],
            description=self.text(row, "facilities"),
            address=self.text(row, "address"),
            postcode=postcode,
            lon=lon,
            lat=lat,
            website=self.website(self.text(row, "website")),
            phone=self.text(row, "telephone"),
            opening_hours=self.text(row, "opening_hours"),
            extra=compact({"managed_by": self.text(row, "managed_by").rstrip(".")}),
        )


@register
class CouncilAllotments(AssetImporter):
    name = "trafford-allotments"
    description = "Allotment sites in Trafford (Trafford Council GeoJSON polygons, from OSM)."
    dataset = council(
        "trafford-council-allotments",
        "Trafford Council: allotments",
        COUNCIL_REPO + "assets/allotments",
        licence=ODBL,
        attribution="Trafford Council. © OpenStreetMap contributors (ODbL). " + COUNCIL_ATTRIBUTION,
        release="2019-11-13",
    )
    source_format = "geojson"
    default_path = "trafford-council/allotments.geojson"
    required_columns = frozenset({"name", "osm_id"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        site = self.required(row, "name", "site name")
        osm_id = self.required(row, "osm_id", "OpenStreetMap id")
        lon, lat, footprint = self.geometry_point(row)
        if lon is None:
            raise RowRejected("no geometry")
        return AssetRecord(
            source_id=f"osm:{osm_id}",
            # The council names each site by its street ("Eaton Road"): say what it is.
            name=site if "allotment" in site.lower() else f"{site} Allotments",
            kind=AssetKind.PHYSICAL,
            categories=["allotment"],
            lon=lon,
            lat=lat,
            footprint=footprint,
            extra={"osm_id": osm_id},
        )


# -- Associations: charities, clubs, food banks -----------------------------------------------------


@register
class Charities(AssetImporter):
    name = "trafford-charities"
    description = "Registered charities operating in Trafford (Charity Commission extract)."
    dataset = data_lab(
        "charity-commission-trafford",
        "Charity Commission: registered charities operating in Trafford",
        DATA_LAB_REPO + "charities",
        publisher="Charity Commission for England and Wales (via Trafford Data Lab)",
        attribution="Charity Commission for England and Wales. " + OGL_ATTRIBUTION,
        release="2023-04-04",
    )
    default_path = "trafford-open-data/charities_operating_in_trafford.csv"
    required_columns = frozenset({"registered_charity_number", "charity_name"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        number = self.required(row, "registered_charity_number", "charity number")
        if not number.isdigit():
            raise RowRejected(f"charity number '{number}' is not a number")
        registered_name = self.required(row, "charity_name", "charity name")
        return AssetRecord(
            source_id=number,
            name=ordinary_case(registered_name),
            kind=AssetKind.ASSOCIATION,
            legal_form=LegalForm.CHARITY,
            categories=["charity"],
            description=self.text(row, "charity_activities"),
            address=self.text(row, "charity_contact_address"),
            # The contact address is where the charity's post goes (often outside Trafford, where
            # the postcode table cannot place it: such charities are imported without a location).
            postcode=self.postcode(row, "charity_contact_postcode"),
            website=self.website(self.text(row, "charity_contact_web")),
            email=self.email(self.text(row, "charity_contact_email")),
            phone=self.text(row, "charity_contact_phone"),
            charity_number=number,
            extra=compact(
                {
                    "registered_name": registered_name,
                    "charity_type": self.text(row, "charity_type"),
                    "company_number": self.text(row, "charity_company_registration_number"),
                    "registered_on": self.text(row, "date_of_registration"),
                }
            ),
        )


@register
class SportsClubs(AssetImporter):
    name = "trafford-sports-clubs"
    description = "Sports clubs in Trafford (postcode only: placed by the postcode table)."
    dataset = data_lab(
        "trafford-sports-clubs",
        "Trafford Council: sports clubs",
        DATA_LAB_REPO + "sports_clubs",
        publisher="Trafford Council (via Trafford Data Lab)",
        attribution=COUNCIL_ATTRIBUTION,
        release="July 2018",
    )
    default_path = "trafford-open-data/sports_clubs.csv"
    required_columns = frozenset({"name", "category", "postcode"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        name = self.required(row, "name", "club name")
        postcode = self.postcode(row, "postcode")
        sports = self.text(row, "category")
        return AssetRecord(
            source_id=source_key(name, postcode),
            name=name,
            kind=AssetKind.ASSOCIATION,
            categories=["sports-club"],
            description=f"Sports club: {sports}." if sports else "",
            address=self.text(row, "address"),
            postcode=postcode,
            extra=compact({"sports": [s.strip() for s in sports.split(",") if s.strip()]}),
        )


@register
class FoodBanks(AssetImporter):
    name = "trafford-food-banks"
    description = "Food banks, pantries and food clubs in Trafford (GM Poverty Action)."
    dataset = data_lab(
        "gm-poverty-action-food-banks-trafford",
        "GM Poverty Action: food banks in Trafford",
        DATA_LAB_REPO + "food_banks",
        publisher="GM Poverty Action (via Trafford Data Lab)",
        attribution="GM Poverty Action. " + OGL_ATTRIBUTION,
        release="January 2018",
    )
    default_path = "trafford-open-data/trafford_food_banks.csv"
    required_columns = frozenset({"Name", "Address", "Postcode"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        organisation = self.required(row, "Name", "name")
        address = self.text(row, "Address")
        postcode = self.postcode(row, "Postcode")
        name = organisation
        if not re.search(r"food|pantry|larder|kitchen", organisation, re.IGNORECASE):
            # "Trussell Trust" runs six of them: name each by what it is and where.
            place = locality(address)
            name = f"{organisation} food bank" + (f", {place}" if place else "")
        contact = self.text(row, "Contact")
        return AssetRecord(
            source_id=source_key(organisation, postcode),
            name=name,
            kind=AssetKind.ASSOCIATION,
            categories=["food-bank"],
            address=address,
            postcode=postcode,
            website=self.website(self.text(row, "Website")),
            email=self.email(contact),
            phone="" if "@" in contact else contact,
            opening_hours=self.text(row, "Opening times"),
            extra=compact(
                {
                    "organisation": organisation,
                    "referral": self.text(row, "Referral method"),
                }
            ),
        )


# -- Public services ---------------------------------------------------------------------------------


@register
class ChildrensCentres(AssetImporter):
    name = "trafford-childrens-centres"
    description = "Children's centres in Trafford (Department for Education)."
    dataset = data_lab(
        "dfe-childrens-centres-trafford",
        "Department for Education: children's centres in Trafford",
        DATA_LAB_REPO + "childrens_centres",
        publisher="Department for Education (via Trafford Data Lab)",
        attribution="Department for Education. " + OGL_ATTRIBUTION,
        release="2019-08-29",
    )
    default_path = "trafford-open-data/trafford_childrens_centres.csv"
    required_columns = frozenset({"name", "unique_reference_number", "lon", "lat"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        name = self.required(row, "name")
        urn = self.required(row, "unique_reference_number", "unique reference number")
        lon, lat = self.point(row)
        return AssetRecord(
            source_id=urn,
            name=name,
            kind=AssetKind.INSTITUTION,
            legal_form=LegalForm.PUBLIC_BODY,
            categories=["childrens-centre"],
            address=self.text(row, "address"),
            postcode=self.postcode(row, "postcode"),
            lon=lon,
            lat=lat,
            phone=self.text(row, "telephone"),
            extra={"urn": urn},
        )


#: Schools by the Department for Education's type of establishment: who runs them.
SCHOOL_LEGAL_FORMS = {
    "local authority maintained schools": LegalForm.PUBLIC_BODY,
    "special schools": LegalForm.PUBLIC_BODY,
    "academies": LegalForm.CHARITY,  # academy trusts are exempt charities
    "free schools": LegalForm.CHARITY,
    "independent schools": LegalForm.UNKNOWN,
    "colleges": LegalForm.PUBLIC_BODY,
}


@register
class Schools(AssetImporter):
    name = "trafford-schools"
    description = "Schools and colleges in Trafford (Department for Education)."
    dataset = data_lab(
        "dfe-schools-trafford",
        "Department for Education: schools and colleges in Trafford",
        DATA_LAB_REPO + "schools_and_colleges",
        publisher="Department for Education (via Trafford Data Lab)",
        attribution="Department for Education. " + OGL_ATTRIBUTION,
        release="2024-09-26",
    )
    default_path = "trafford-open-data/trafford_schools_and_colleges.csv"
    required_columns = frozenset({"name", "unique_reference_number", "postcode", "lon", "lat"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        name = self.required(row, "name")
        urn = self.required(row, "unique_reference_number", "unique reference number")
        lon, lat = self.point(row)
        school_type = self.text(row, "type")
        youngest, oldest = (
            self.text(row, "lowest_admission_age"),
            self.text(row, "highest_admission_age"),
        )
        ages = f"ages {youngest} to {oldest}" if youngest and oldest else ""
        religion = self.text(row, "religion")
        if religion.lower() in {"does not apply", "none"}:
            religion = ""
        summary = ", ".join(p for p in (school_type, ages, religion) if p)
        return AssetRecord(
            source_id=urn,
            name=name,
            kind=AssetKind.INSTITUTION,
            legal_form=SCHOOL_LEGAL_FORMS.get(school_type.lower(), LegalForm.UNKNOWN),
            categories=["school"],
            description=f"{summary}." if summary else "",
            postcode=self.postcode(row, "postcode"),
            lon=lon,
            lat=lat,
            website=self.website(self.text(row, "website")),
            extra=compact(
                {
                    "urn": urn,
                    "type": school_type,
                    "gender": self.text(row, "gender"),
                    "ages": ages,
                    "capacity": self.text(row, "capacity"),
                    "religion": religion,
                    "trust": self.text(row, "sponsoring_trust"),
                    "ofsted_rating": self.text(row, "ofsted_rating"),
                }
            ),
        )


@register
class GPPractices(AssetImporter):
    name = "trafford-gp-practices"
    description = "GP practices in Trafford (NHS)."
    dataset = data_lab(
        "nhs-gp-practices-trafford",
        "NHS: GP practices in Trafford",
        DATA_LAB_REPO + "general_practice",
        publisher="NHS England (via Trafford Data Lab)",
        attribution="NHS England. " + OGL_ATTRIBUTION,
        release="2026-01-23",
    )
    default_path = "trafford-open-data/trafford_general_practices.csv"
    required_columns = frozenset({"name", "postcode", "lon", "lat"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        name = self.required(row, "name")
        lon, lat = self.point(row)
        postcode = self.postcode(row, "postcode")
        return AssetRecord(
            source_id=source_key(name, postcode),
            name=name,
            kind=AssetKind.INSTITUTION,
            categories=["health", "gp-practice"],
            address=self.text(row, "address"),
            postcode=postcode,
            lon=lon,
            lat=lat,
            phone=self.text(row, "telephone"),
        )


@register
class Pharmacies(AssetImporter):
    name = "trafford-pharmacies"
    description = "Community pharmacies in Trafford (NHS Business Services Authority)."
    dataset = data_lab(
        "nhsbsa-pharmacies-trafford",
        "NHS Business Services Authority: pharmacies in Trafford",
        DATA_LAB_REPO + "pharmacies",
        publisher="NHS Business Services Authority (via Trafford Data Lab)",
        attribution="NHS Business Services Authority. " + OGL_ATTRIBUTION,
        release="2025-03-31",
    )
    default_path = "trafford-open-data/trafford_pharmacies.csv"
    required_columns = frozenset({"pharmacy_name", "postcode", "organisation_data_service_code"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        name = self.required(row, "pharmacy_name", "pharmacy name")
        code = self.required(row, "organisation_data_service_code", "ODS code")
        return AssetRecord(
            source_id=code,
            name=name,
            kind=AssetKind.INSTITUTION,
            legal_form=LegalForm.BUSINESS,
            categories=["health", "pharmacy"],
            address=self.text(row, "address"),
            postcode=self.postcode(row, "postcode"),  # placed by the postcode table
            opening_hours=weekly_hours([self.text(row, f"opening_hours_{d}") for d in DAYS]),
            extra={"ods_code": code},
        )


@register
class MentalHealthServices(AssetImporter):
    name = "trafford-mental-health-services"
    description = "Mental health services for Trafford residents, in and around Trafford."
    dataset = data_lab(
        "trafford-mental-health-services",
        "Trafford Council: mental health services for Trafford residents",
        DATA_LAB_REPO + "mental_health",
        publisher="Trafford Council (via Trafford Data Lab)",
        attribution=COUNCIL_ATTRIBUTION,
        release="July 2018",
    )
    default_path = "trafford-open-data/trafford_mental_health_services.csv"
    required_columns = frozenset({"name", "description", "postcode"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        name = self.required(row, "name")
        postcode_text = self.text(row, "postcode")
        postcode = self.postcode(row, "postcode")
        return AssetRecord(
            # Several services meet in more than one place: the postcode tells them apart.
            source_id=source_key(name, postcode or postcode_text),
            name=name,
            kind=AssetKind.INSTITUTION,
            categories=["mental-health"],
            description=self.text(row, "description"),
            address=self.text(row, "address"),
            postcode=postcode,  # placed by the postcode table (services outside Trafford are not)
            website=self.website(self.text(row, "website")),
            phone=self.text(row, "telephone"),
            extra=compact({"postcode_as_given": postcode_text if not postcode else ""}),
        )


@register
class Jobcentres(AssetImporter):
    name = "trafford-jobcentres"
    description = "Jobcentre Plus offices in Trafford (Department for Work and Pensions)."
    dataset = data_lab(
        "dwp-jobcentres-trafford",
        "Department for Work and Pensions: Jobcentre Plus offices in Trafford",
        DATA_LAB_REPO + "jobcentre_plus",
        publisher="Department for Work and Pensions (via Trafford Data Lab)",
        attribution=OGL_ATTRIBUTION + " " + OS_ATTRIBUTION + " 2019.",
        release="September 2018",
    )
    default_path = "trafford-open-data/trafford_jobcentreplus.csv"
    required_columns = frozenset({"name", "postcode", "lon", "lat"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        place = self.required(row, "name")
        lon, lat = self.point(row)
        return AssetRecord(
            source_id=source_key(place),
            name=place if "jobcentre" in place.lower() else f"{place} Jobcentre Plus",
            kind=AssetKind.INSTITUTION,
            legal_form=LegalForm.PUBLIC_BODY,
            categories=["advice"],
            description="Jobcentre Plus: help finding work, and claiming benefits.",
            address=self.text(row, "address"),
            postcode=self.postcode(row, "postcode"),
            lon=lon,
            lat=lat,
        )


class _NamedByWard(AssetImporter):
    """A layer with unnamed sites: named by what they are, and described by their ward."""

    def before(self, report: ImportReport) -> None:
        super().before(report)
        self.wards = WardNames()


@register
class PostOffices(_NamedByWard):
    name = "trafford-post-offices"
    description = "Post office buildings in Trafford (OS OpenMap – Local polygons)."
    dataset = data_lab(
        "os-post-offices-trafford",
        "Ordnance Survey: post offices in Trafford",
        DATA_LAB_REPO + "post_office",
        publisher="Ordnance Survey, OS OpenMap – Local (via Trafford Data Lab)",
        attribution=OS_ATTRIBUTION + " 2018.",
        release="April 2018",
    )
    source_format = "geojson"
    default_path = "trafford-open-data/trafford_post_offices.geojson"
    required_columns = frozenset({"ID"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        os_id = self.required(row, "ID", "OS id")
        lon, lat, footprint = self.geometry_point(row)
        if lon is None:
            raise RowRejected("no geometry")
        given = self.text(row, "DISTNAME")
        if given.lower() == "unknown":
            given = ""
        return AssetRecord(
            source_id=os_id,
            name=given or "Post Office",
            kind=AssetKind.INSTITUTION,
            categories=["post-office"],
            description=""
            if given
            else self.wards.describe("a post office", lon, lat, "OS OpenMap – Local"),
            lon=lon,
            lat=lat,
            footprint=footprint,
            extra={"os_id": os_id},
        )


@register
class PlacesOfWorship(AssetImporter):
    name = "trafford-places-of-worship"
    description = "Places of worship in Trafford (OS OpenMap – Local polygons, amended)."
    dataset = data_lab(
        "os-places-of-worship-trafford",
        "Ordnance Survey: places of worship in Trafford",
        DATA_LAB_REPO + "places_of_worship",
        publisher="Ordnance Survey, OS OpenMap – Local (amended by Trafford Data Lab)",
        attribution=OS_ATTRIBUTION + " 2018.",
        release="July 2018",
    )
    source_format = "geojson"
    default_path = "trafford-open-data/trafford_places_of_worship.geojson"
    required_columns = frozenset({"ID", "DISTNAME"})

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        os_id = self.required(row, "ID", "OS id")
        name = self.required(row, "DISTNAME", "name")
        lon, lat, footprint = self.geometry_point(row)
        if lon is None:
            raise RowRejected("no geometry")
        return AssetRecord(
            source_id=os_id,
            name=name,
            kind=AssetKind.PHYSICAL,
            categories=["place-of-worship"],
            lon=lon,
            lat=lat,
            footprint=footprint,
            extra={"os_id": os_id},
        )


#: OS Open Greenspace's site types: our categories, the name of an unnamed site, and the words
#: that describe one.
GREEN_SPACE_TYPES: dict[str, tuple[list[str], str, str]] = {
    "public park or garden": (["green-space"], "Park or garden", "a park or garden"),
    "playing field": (["green-space", "sports-facility"], "Playing field", "a playing field"),
    "play space": (["play-space"], "Play space", "a play space"),
    "allotments or community growing spaces": (["allotment"], "Allotments", "allotments"),
    "religious grounds": (["green-space"], "Religious grounds", "grounds of a place of worship"),
    "cemetery": (["cemetery", "green-space"], "Cemetery", "a cemetery"),
    "bowling green": (["sports-facility"], "Bowling green", "a bowling green"),
    "tennis court": (["sports-facility"], "Tennis courts", "tennis courts"),
    "golf course": (["sports-facility", "green-space"], "Golf course", "a golf course"),
    "other sports facility": (["sports-facility"], "Sports ground", "a sports ground"),
}


class SitesOnRecord:
    """Named sites that other data sets recorded with a footprint, for naming an unnamed site
    that is the same place: OS Open Greenspace leaves most allotments unnamed, but the council's
    allotment list names each one. It reads what those data sets gave (their AssetSource data),
    not the merged asset, so the name an import chooses does not depend on what this data set
    itself brought last time; and it reads them in one query, not one per row."""

    #: An unnamed site takes a recorded site's name when they share a category and at least
    #: this share of the smaller of the two lies in both.
    MIN_OVERLAP = 0.5

    def __init__(
        self, dataset_slug: str, categories: set[str], bbox: tuple[float, float, float, float]
    ) -> None:
        min_lon, min_lat, max_lon, max_lat = bbox
        nearby = Asset.objects.filter(
            lon__gte=min_lon - 0.02,
            lon__lte=max_lon + 0.02,
            lat__gte=min_lat - 0.02,
            lat__lte=max_lat + 0.02,
            categories__slug__in=categories,
        ).values("id")
        self.names: list[str] = []
        self.categories: list[set[str]] = []
        geometries = []
        sources = (
            AssetSource.objects.filter(asset_id__in=nearby)
            .exclude(dataset__slug=dataset_slug)
            .order_by("id")
            .only("data")
        )
        for source in sources:
            data = source.data or {}
            shared = set(data.get("categories") or []) & categories
            if not data.get("footprint") or not data.get("name") or not shared:
                continue
            self.names.append(data["name"])
            self.categories.append(shared)
            geometries.append(geometry_from_geojson(data["footprint"]))
        self.index = AreaIndex(list(range(len(geometries))), geometries) if geometries else None

    def name_for(self, footprint: dict[str, Any], categories: list[str]) -> str:
        """The name of the recorded site this footprint mostly shares, or ''."""
        if self.index is None:
            return ""
        geom = geometry_from_geojson(footprint)
        _, positions = self.index.geometries_in([geom])
        best, best_share = "", 0.0
        for position in sorted(positions.tolist()):
            key = self.index.keys[position]
            if not self.categories[key] & set(categories):
                continue
            other = self.index.geometries[position]
            smaller = min(geom.area, other.area)
            share = geom.intersection(other).area / smaller if smaller else 0.0
            if share >= self.MIN_OVERLAP and share > best_share:
                best, best_share = self.names[key], share
        return best


@register
class GreenSpaces(_NamedByWard):
    """OS Open Greenspace: 427 sites, most unnamed. An unnamed site takes the name of a site
    another data set recorded in the same place (see SitesOnRecord), else its type."""

    name = "trafford-green-spaces"
    description = "Parks, playing fields, play spaces and other green spaces (OS Open Greenspace)."
    dataset = data_lab(
        "os-open-greenspace-trafford",
        "Ordnance Survey: Open Greenspace sites in Trafford",
        DATA_LAB_REPO + "greenspaces",
        publisher="Ordnance Survey, OS Open Greenspace (via Trafford Data Lab)",
        attribution=OS_ATTRIBUTION + " 2023.",
        release="October 2023",
    )
    source_format = "geojson"
    default_path = "trafford-open-data/trafford_greenspace_sites.geojson"
    required_columns = frozenset({"site_type"})

    def before(self, report: ImportReport) -> None:
        super().before(report)
        self.unnamed: set[str] = set()

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        site_type = self.required(row, "site_type", "site type")
        categories, unnamed, what = GREEN_SPACE_TYPES.get(
            site_type.lower(), (["green-space"], site_type, site_type.lower())
        )
        lon, lat, footprint = self.geometry_point(row)
        if lon is None or footprint is None:
            raise RowRejected("no polygon: a green space site must be an area")
        centroid_lon, centroid_lat = site_centroid(row)
        name = self.text(row, "site_name")
        source_id = f"{source_key(site_type)}@{point_key(centroid_lon, centroid_lat)}"
        if not name:
            self.unnamed.add(source_id)
        return AssetRecord(
            # The file has no ids: a site is known by its type and where it is.
            source_id=source_id,
            name=name or unnamed,
            kind=AssetKind.PHYSICAL,
            categories=categories,
            description="" if name else self.wards.describe(what, lon, lat, "OS Open Greenspace"),
            lon=lon,
            lat=lat,
            footprint=footprint,
            extra={"site_type": site_type},
        )

    def load(self, records: list[tuple[str, Any]], report: ImportReport) -> None:
        """Name each unnamed site after the same site in another data set, where there is one."""
        unnamed = [rec for _, rec in records if rec.source_id in self.unnamed]
        if unnamed:
            bbox = (
                min(r.lon for r in unnamed),
                min(r.lat for r in unnamed),
                max(r.lon for r in unnamed),
                max(r.lat for r in unnamed),
            )
            slugs = {c for categories, *_ in GREEN_SPACE_TYPES.values() for c in categories}
            sites = SitesOnRecord(self.dataset.slug, slugs, bbox)
            for rec in unnamed:
                name = sites.name_for(rec.footprint, rec.categories)
                if name:
                    rec.name, rec.description = name, ""
                    rec.extra["named_after"] = "the same site in another data set"
        super().load(records, report)


#: The Sport England columns that say a site is accessible, and what each means.
ACCESS_FEATURES = {
    "disability_parking": "disabled parking",
    "disability_finding_reaching_entrance": "accessible entrance",
    "disability_reception_area": "accessible reception",
    "disability_activity_area": "accessible activity areas",
    "disability_social_areas": "accessible social areas",
    "disability_spectator_areas": "accessible spectator areas",
    "disability_doorways": "accessible doorways",
    "disability_emergency_exits": "accessible emergency exits",
    "disability_toilets": "accessible toilets",
    "disability_changing_facilities": "accessible changing",
}


@register
class SportFacilities(AssetImporter):
    """Sport England lists each facility (pitches, a pool, a sports hall) on its own row; one site
    is one asset here, with its facilities listed. The report counts sites read."""

    name = "trafford-sport-facilities"
    description = "Sport facilities by site (Sport England Active Places; one asset per site)."
    dataset = data_lab(
        "sport-england-facilities-trafford",
        "Sport England: sport facilities in Trafford",
        DATA_LAB_REPO + "sport_facilities",
        publisher="Sport England, Active Places (via Trafford Data Lab)",
        attribution="Contains data © Sport England. " + OGL_ATTRIBUTION,
        release="2025-09-30",
    )
    default_path = "trafford-open-data/sports_facilities.csv"
    required_columns = frozenset({"site_id", "site_name", "facility_type", "lon", "lat"})

    def read_rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """One row per site: the facility rows of a site gathered under its first row."""
        sites: dict[str, tuple[list[str], dict[str, Any]]] = {}
        for label, row in read_csv(self.source, self.required_columns):
            site_id = self.text(row, "site_id")
            if not site_id:
                yield label, {**row, "facilities": [row]}
                continue
            if site_id not in sites:
                sites[site_id] = ([], {**row, "facilities": []})
            sites[site_id][0].append(label.removeprefix("line "))
            sites[site_id][1]["facilities"].append(row)
        for site_id, (lines, row) in sites.items():
            where = f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(lines)}"
            yield f"{where} (site {site_id})", row

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        site_id = self.required(row, "site_id", "site id")
        name = self.required(row, "site_name", "site name")
        lon, lat = self.point(row)
        facilities = [
            compact(
                {
                    "type": self.text(f, "facility_type"),
                    "access": self.text(f, "access_type"),
                    "number": self.text(f, "facility_areas_on_site"),
                }
            )
            for f in row["facilities"]
        ]
        types = sorted({f["type"] for f in facilities if f.get("type")})
        access = [
            words
            for column, words in ACCESS_FEATURES.items()
            if any(self.text(f, column).lower() == "yes" for f in row["facilities"])
        ]
        notes = self.text(row, "disability_notes")
        accessibility = "; ".join([*(a.capitalize() for a in access[:1]), *access[1:]])
        if notes:
            accessibility = f"{accessibility}. {notes}" if accessibility else notes
        address = ", ".join(p for p in (self.text(row, "street"), self.text(row, "town")) if p)
        return AssetRecord(
            source_id=site_id,
            name=name,
            kind=AssetKind.PHYSICAL,
            categories=["sports-facility"],
            description=f"Sport facilities: {', '.join(types).lower()}." if types else "",
            address=address,
            postcode=self.postcode(row, "postcode"),
            lon=lon,
            lat=lat,
            website=self.website(self.text(row, "website")),
            email=self.email(self.text(row, "email")),
            phone=not_a_number(self.text(row, "telephone")),
            accessibility=accessibility,
            extra=compact(
                {
                    "sport_england_site_id": site_id,
                    "facilities": facilities,
                    "site_updated": self.text(row, "site_last_updated_date"),
                }
            ),
        )
