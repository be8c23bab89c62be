"""Exports: HSDS 3.0 JSON (per object and in bulk) and the tabular data package (zip)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from django.utils import timezone

from . import mapping, selectors, tabular
from .models import HsdsOrganization, HsdsTaxonomy, HsdsTaxonomyTerm


def all_services() -> list[dict[str, Any]]:
    """Every public service as a full HSDS object (imported ones exactly as imported)."""
    return [mapping.service_full(a) for a in selectors.all_public_services()]


def all_taxonomies() -> list[dict[str, Any]]:
    own = [mapping.taxonomy_object(t) for t in mapping.TAXONOMIES]
    return own + [t.data for t in HsdsTaxonomy.objects.order_by("id")]


def all_terms() -> list[dict[str, Any]]:
    return selectors._own_terms() + [t.data for t in HsdsTaxonomyTerm.objects.order_by("id")]


def tables() -> dict[str, list[dict[str, Any]]]:
    """Every table of the data package, from the services, organisations and taxonomies."""
    merged: dict[str, dict[str, dict[str, Any]]] = {}
    parts = [
        tabular.flatten(all_services(), "service"),
        tabular.flatten([o.data for o in HsdsOrganization.objects.order_by("id")], "organization"),
        tabular.flatten(all_taxonomies(), "taxonomy"),
        tabular.flatten(all_terms(), "taxonomy_term"),
    ]
    for part in parts:
        for name, rows in part.items():
            table = merged.setdefault(name, {})
            for row in rows:
                table.setdefault(str(row.get("id")), {}).update(row)
    return {name: list(rows.values()) for name, rows in merged.items()}


def datapackage_zip() -> bytes:
    """The HSDS 3.0 tabular data package: one CSV per table (all tables, header-only when
    empty) and the official datapackage.json describing them."""
    data = tables()
    package = dict(tabular.datapackage())
    package["name"] = "living-map-hsds"
    package["title"] = "Living Map community assets as HSDS 3.0 (Open Referral UK profile)"
    package["created"] = timezone.now().isoformat()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("datapackage.json", json.dumps(package, indent=2))
        for name, path in tabular.table_paths().items():
            zf.writestr(path, tabular.to_csv(name, data.get(name, [])))
    return buffer.getvalue()
