"""Living Map assets as HSDS 3.0 objects (UK profile), and the stable ids that name them.

An asset is a *service* whose id is the asset's uuid. Living Map has no organisation record of
its own, so each asset is also its own provider *organisation*; its charity number (if any) is an
organization_identifier. A located asset has one *location* and one *service_at_location*.
Every derived id is the asset's uuid XOR a fixed mask (version and variant bits untouched), so
ids are stable, valid UUIDs, distinct per object type, and can be turned back into the asset's
uuid without a look-up table. Categories and the asset's family (kind) are *attributes* linking
the service to terms of two Living Map taxonomies, so a building or a park — which HSDS has no
type for — says what it is.

Imported services (HsdsService) are output from their stored HSDS object, ids and all.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from livingmap.assets.models import Asset, AssetKind, Category

#: Namespace of every uuid5 Living Map derives for Open Referral.
NAMESPACE = uuid.UUID("5c6b5e0e-5f1f-4b8e-9d39-7f3c2a1d0e01")
_KEEP = (0xF << 76) | (0x3 << 62)  # version nibble and variant bits


def _mask(name: str) -> int:
    return uuid.uuid5(NAMESPACE, name).int & ~_KEEP


MASKS = {
    "organization": _mask("organization"),
    "location": _mask("location"),
    "service_at_location": _mask("service_at_location"),
    "address": _mask("address"),
    "phone": _mask("phone"),
    "schedule": _mask("schedule"),
    "accessibility": _mask("accessibility"),
    "organization_identifier": _mask("organization_identifier"),
    "service_area": _mask("service_area"),
}

CATEGORY_TAXONOMY_ID = uuid.uuid5(NAMESPACE, "taxonomy:categories")
KIND_TAXONOMY_ID = uuid.uuid5(NAMESPACE, "taxonomy:kinds")
TAXONOMIES = {
    CATEGORY_TAXONOMY_ID: {
        "name": "Living Map categories",
        "description": "The kinds of community asset residents look for (libraries, food "
        "banks, parks, sports clubs, …): Living Map's category taxonomy.",
        "version": "1",
    },
    KIND_TAXONOMY_ID: {
        "name": "Living Map asset families",
        "description": "The families of Asset-Based Community Development an asset belongs to "
        "(groups, services, buildings and land, economy, culture, funds). Says what an asset "
        "is when HSDS has no type for it (a building, a green space).",
        "version": "1",
    },
}


def derived_id(asset_uuid: uuid.UUID, what: str) -> uuid.UUID:
    return uuid.UUID(int=asset_uuid.int ^ MASKS[what])


def asset_uuid_from(derived: uuid.UUID, what: str) -> uuid.UUID:
    """The inverse of derived_id (XOR is its own inverse)."""
    return uuid.UUID(int=derived.int ^ MASKS[what])


def category_term_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"category:{slug}")


def kind_term_id(kind: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"kind:{kind}")


def attribute_id(asset_uuid: uuid.UUID, term_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"attribute:{asset_uuid}:{term_id}")


def iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z") if value is not None else ""


def _put(obj: dict[str, Any], key: str, value: Any) -> None:
    """Set a field only when it has a value: HSDS optional fields are absent, not blank."""
    if value not in ("", None, [], {}):
        obj[key] = value


# -- taxonomies ----------------------------------------------------------------------------------


def taxonomy_object(taxonomy_id: uuid.UUID) -> dict[str, Any]:
    info = TAXONOMIES[taxonomy_id]
    return {
        "id": str(taxonomy_id),
        "name": info["name"],
        "description": info["description"],
        "version": info["version"],
    }


def category_term(category: Category, parent_slug: str | None = None) -> dict[str, Any]:
    term = {
        "id": str(category_term_id(category.slug)),
        "name": category.name,
        "description": category.description or category.name,
        "taxonomy": TAXONOMIES[CATEGORY_TAXONOMY_ID]["name"],
        "taxonomy_id": str(CATEGORY_TAXONOMY_ID),
        "term": category.slug,
    }
    if parent_slug:
        term["parent_id"] = str(category_term_id(parent_slug))
    return term


def kind_term(kind: str) -> dict[str, Any]:
    label = str(AssetKind(kind).label)
    return {
        "id": str(kind_term_id(kind)),
        "name": label,
        "description": label,
        "taxonomy": TAXONOMIES[KIND_TAXONOMY_ID]["name"],
        "taxonomy_id": str(KIND_TAXONOMY_ID),
        "term": kind,
    }


def kind_terms() -> list[dict[str, Any]]:
    return [kind_term(k) for k in AssetKind.values if k != AssetKind.GIFTS]


# -- an asset as HSDS ----------------------------------------------------------------------------


def organization_for(asset: Asset) -> dict[str, Any]:
    org_id = derived_id(asset.uuid, "organization")
    org: dict[str, Any] = {
        "id": str(org_id),
        "name": asset.name,
        "description": asset.description or asset.name,
    }
    _put(org, "email", asset.email)
    _put(org, "website", asset.website)
    return org


def organization_full(asset: Asset) -> dict[str, Any]:
    org = organization_for(asset)
    if asset.charity_number:
        org["organization_identifiers"] = [
            {
                "id": str(derived_id(asset.uuid, "organization_identifier")),
                "organization_id": org["id"],
                "identifier_scheme": "GB-CHC",
                "identifier_type": "Registered charity number",
                "identifier": asset.charity_number,
            }
        ]
    return org


def _address_parts(asset: Asset) -> tuple[str, str]:
    parts = [p.strip() for p in asset.address.split(",") if p.strip()]
    if asset.postcode and parts and parts[-1].upper() == asset.postcode.upper():
        parts = parts[:-1]
    if len(parts) >= 2:
        return ", ".join(parts[:-1]), parts[-1]
    return (parts[0] if parts else asset.name), ""


def location_for(asset: Asset, *, full: bool) -> dict[str, Any]:
    loc_id = str(derived_id(asset.uuid, "location"))
    loc: dict[str, Any] = {
        "id": loc_id,
        "location_type": "physical",
        "name": asset.name,
        "latitude": asset.lat,
        "longitude": asset.lon,
    }
    if asset.uprn:
        loc["external_identifier"] = asset.uprn
        loc["external_identifier_type"] = "UPRN"
    if not full:
        return loc
    if asset.address or asset.postcode:
        line, city = _address_parts(asset)
        loc["addresses"] = [
            {
                "id": str(derived_id(asset.uuid, "address")),
                "location_id": loc_id,
                "address_1": line,
                "city": city,
                "state_province": "",
                "postal_code": asset.postcode,
                "country": "GB",
                "address_type": "physical",
            }
        ]
    if asset.accessibility:
        loc["accessibility"] = [
            {
                "id": str(derived_id(asset.uuid, "accessibility")),
                "location_id": loc_id,
                "description": asset.accessibility,
            }
        ]
    return loc


def attributes_for(asset: Asset, categories: Iterable[Category]) -> list[dict[str, Any]]:
    sid = str(asset.uuid)
    terms = [kind_term(asset.kind), *(category_term(c) for c in categories)]
    return [
        {
            "id": str(attribute_id(asset.uuid, uuid.UUID(t["id"]))),
            "link_id": sid,
            "link_type": "service",
            "link_entity": "service",
            "taxonomy_term_id": t["id"],
            "taxonomy_term": t,
        }
        for t in terms
    ]


def service_list_item(asset: Asset) -> dict[str, Any]:
    """A service with its one-to-one fields and its organisation (service_list.json)."""
    hsds = getattr(asset, "_hsds", None)
    if hsds is not None:
        return imported_list_item(hsds.data)
    org = organization_for(asset)
    svc: dict[str, Any] = {
        "id": str(asset.uuid),
        "organization_id": org["id"],
        "name": asset.name,
        "status": "active",
    }
    _put(svc, "description", asset.description)
    _put(svc, "url", asset.website)
    _put(svc, "email", asset.email)
    svc["last_modified"] = iso(asset.updated_at)
    svc["organization"] = org
    return svc


def service_full(asset: Asset) -> dict[str, Any]:
    hsds = getattr(asset, "_hsds", None)
    if hsds is not None:
        return hsds.data
    svc = service_list_item(asset)
    sid = svc["id"]
    svc["organization"] = organization_full(asset)
    if asset.phone:
        svc["phones"] = [
            {"id": str(derived_id(asset.uuid, "phone")), "service_id": sid, "number": asset.phone}
        ]
    if asset.opening_hours:
        svc["schedules"] = [
            {
                "id": str(derived_id(asset.uuid, "schedule")),
                "service_id": sid,
                "description": asset.opening_hours,
            }
        ]
    if asset.is_located:
        svc["service_at_locations"] = [sal_full(asset, nested=True)]
    svc["attributes"] = attributes_for(asset, _categories(asset))
    return svc


def _categories(asset: Asset) -> list[Category]:
    cached = getattr(asset, "_prefetched_objects_cache", {}).get("categories")
    return list(cached) if cached is not None else list(asset.categories.all())


def sal_list_item(asset: Asset) -> dict[str, Any]:
    svc = service_list_item(asset)
    return {
        "id": str(derived_id(asset.uuid, "service_at_location")),
        "service_id": svc["id"],
        "location_id": str(derived_id(asset.uuid, "location")),
        "location": location_for(asset, full=False),
        "service": svc,
    }


def sal_full(asset: Asset, *, nested: bool = False) -> dict[str, Any]:
    sal: dict[str, Any] = {
        "id": str(derived_id(asset.uuid, "service_at_location")),
        "service_id": str(asset.uuid),
        "location_id": str(derived_id(asset.uuid, "location")),
        "location": location_for(asset, full=True),
    }
    if not nested:
        svc = service_list_item(asset)
        sal["service"] = svc
    return sal


# -- imported records ----------------------------------------------------------------------------

#: One-to-one fields of a service (what a list item carries besides its organisation).
SERVICE_SCALARS = (
    "id",
    "organization_id",
    "program_id",
    "name",
    "alternate_name",
    "description",
    "url",
    "email",
    "status",
    "interpretation_services",
    "application_process",
    "fees_description",
    "wait_time",
    "fees",
    "accreditations",
    "eligibility_description",
    "minimum_age",
    "maximum_age",
    "assured_date",
    "assurer_email",
    "licenses",
    "alert",
    "last_modified",
)
ORG_SCALARS = (
    "id",
    "name",
    "alternate_name",
    "description",
    "email",
    "website",
    "tax_status",
    "tax_id",
    "year_incorporated",
    "legal_status",
    "logo",
    "uri",
    "parent_organization_id",
)
LOCATION_SCALARS = (
    "id",
    "location_type",
    "url",
    "organization_id",
    "name",
    "alternate_name",
    "description",
    "transportation",
    "latitude",
    "longitude",
    "external_identifier",
    "external_identifier_type",
)


def _scalars(obj: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {k: obj[k] for k in keys if k in obj}


def imported_list_item(service: dict[str, Any]) -> dict[str, Any]:
    item = _scalars(service, SERVICE_SCALARS)
    if isinstance(service.get("organization"), dict):
        item["organization"] = _scalars(service["organization"], ORG_SCALARS)
    if isinstance(service.get("program"), dict):
        item["program"] = service["program"]
    return item


def imported_sal(service: dict[str, Any], position: int, *, full: bool) -> dict[str, Any]:
    sal = dict(service["service_at_locations"][position])
    if full:
        sal["service"] = {k: v for k, v in service.items() if k != "service_at_locations"}
        return sal
    if isinstance(sal.get("location"), dict):
        sal["location"] = _scalars(sal["location"], LOCATION_SCALARS)
    sal["service"] = imported_list_item(service)
    if not full:
        keep = ("id", "service_id", "location_id", "description", "location", "service")
        sal = {k: v for k, v in sal.items() if k in keep}
    return sal
