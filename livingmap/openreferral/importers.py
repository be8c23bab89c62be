"""Importing Open Referral data: HSDS 3.0 JSON (a file or a harvested API feed), the HSDS 3.0
tabular data package, and the legacy HSDS 1.1 data package.

Through the one import framework (core/importing.py): a dry run unless committed, one
transaction, a data-quality report with every repair (a warning) and every rejection (with the
schema's reasons). Each service becomes an Asset through the assets app's import services
(provenance, idempotent re-import by source id, de-duplication against assets already on the
map) and an HsdsService keeping its full normalised HSDS object, so nothing the source said is
lost and the service keeps its id in our API and exports. Organisations, taxonomies and
taxonomy terms are kept whole.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from livingmap.assets.importers.base import AssetImporter
from livingmap.assets.models import AssetKind, AssetSource, Category
from livingmap.assets.services import AssetRecord
from livingmap.core.geo import GeometryError, check_in_uk
from livingmap.core.importing import DatasetInfo, ImportReport, RowRejected, SourceError
from livingmap.core.text import clean_postcode

from . import mapping, tabular
from .harvest import harvest_services
from .models import (
    HsdsKey,
    HsdsOrganization,
    HsdsSchedule,
    HsdsService,
    HsdsTaxonomy,
    HsdsTaxonomyTerm,
    HsdsTermLink,
)
from .normalise import normalise

FORMATS = ("auto", "json", "datapackage", "hsds1")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?")


@dataclass
class Other:
    """A non-service object read from the source (organisation, taxonomy, term)."""

    kind: str
    data: dict[str, Any]


@dataclass
class ServiceRecord:
    asset: AssetRecord
    service: dict[str, Any]
    #: The organisation a service was nested in, when it does not name one itself.
    organization_id: str = ""


def classify(item: dict[str, Any]) -> str:
    """What kind of HSDS object a JSON object is, from its fields."""
    if "status" in item or "service_at_locations" in item or "organization" in item:
        return "service"
    if "services" in item or "organization_identifiers" in item or "website" in item:
        return "organization"
    if "location" in item and ("service" in item or "service_id" in item):
        return "service_at_location"
    if {"taxonomy_detail", "taxonomy_id", "parent_id", "code", "term_uri", "taxonomy"} & set(item):
        return "taxonomy_term"
    if {"version", "uri", "taxonomy_terms"} & set(item):
        return "taxonomy"
    return "service"


def objects_in_json(data: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(label, kind, object) for every HSDS object in a JSON document: one object, a list, a
    paged envelope, or a bundle {"services": [...], "organizations": [...], ...}."""
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        items: list[Any] = data["contents"]
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict) and not ({"id", "name"} & set(data)):
        bundle = []
        for key, kind in (
            ("taxonomies", "taxonomy"),
            ("taxonomy_terms", "taxonomy_term"),
            ("organizations", "organization"),
            ("services", "service"),
        ):
            bundle += [(kind, o) for o in data.get(key) or []]
        for number, (kind, obj) in enumerate(bundle, start=1):
            yield f"{kind} {number}", kind, obj
        return
    else:
        items = [data]
    for number, item in enumerate(items, start=1):
        kind = classify(item) if isinstance(item, dict) else "service"
        yield f"item {number}", kind, item


# -- tabular sources -----------------------------------------------------------------------------


def _read_tables(source: Path) -> dict[str, list[dict[str, str]]]:
    """Every CSV of a data package (a folder, its datapackage.json, or a zip) by file stem."""
    files: dict[str, str] = {}
    if source.suffix == ".zip":
        with zipfile.ZipFile(source) as zf:
            for name in zf.namelist():
                if name.endswith(".csv"):
                    files[Path(name).stem] = zf.read(name).decode("utf-8-sig")
    else:
        folder = source.parent if source.is_file() else source
        for path in sorted(folder.glob("*.csv")):
            files[path.stem] = path.read_text(encoding="utf-8-sig")
    if not files:
        raise SourceError(f"{source} holds no CSV files: it is not a tabular data package")
    return {stem: list(csv.DictReader(io.StringIO(text))) for stem, text in files.items()}


def _by_resource(files: dict[str, list[dict[str, str]]]) -> dict[str, list[dict[str, str]]]:
    """Tables by HSDS 3.0 resource name (file names vary: schedule.csv / schedules.csv)."""
    paths = {Path(p).stem: name for name, p in tabular.table_paths().items()}
    aliases = {**paths, **{name: name for name in tabular.table_fields()}}
    aliases.update({"taxonomy": "taxonomy", "taxonomies": "taxonomy", "address": "address"})
    out: dict[str, list[dict[str, str]]] = {}
    for stem, rows in files.items():
        name = aliases.get(stem)
        if name:
            out.setdefault(name, []).extend(rows)
    return out


def hsds1_to_3(files: dict[str, list[dict[str, str]]]) -> dict[str, list[dict[str, str]]]:
    """HSDS 1.1 tables as HSDS 3.0 tables (renamed tables and fields; eligibility, payments and
    weekday schedules folded in the 3.0 way)."""
    t: dict[str, list[dict[str, str]]] = {}
    eligibility: dict[str, list[str]] = {}
    for row in files.get("eligibility", []):
        eligibility.setdefault(row.get("service_id", ""), []).append(row.get("eligibility", ""))
    payments: dict[str, list[str]] = {}
    for row in files.get("payments_accepted", []):
        payments.setdefault(row.get("service_id", ""), []).append(row.get("payment", ""))
    services = []
    for row in files.get("services", []):
        svc = {k: v for k, v in row.items() if k != "taxonomy_ids"}
        if eligibility.get(row["id"]):
            svc["eligibility_description"] = "; ".join(e for e in eligibility[row["id"]] if e)
        if payments.get(row["id"]):
            svc["fees_description"] = "Payment accepted: " + ", ".join(payments[row["id"]])
        services.append(svc)
    t["service"] = services
    t["organization"] = [
        {**{k: v for k, v in r.items() if k != "url"}, "website": r.get("url", "")}
        for r in files.get("organizations", [])
    ]
    t["location"] = [{**r, "location_type": "physical"} for r in files.get("locations", [])]
    t["service_at_location"] = files.get("services_at_location", [])
    t["phone"] = [{k: v for k, v in r.items() if k != "language"} for r in files.get("phones", [])]
    t["contact"] = files.get("contacts", [])
    t["funding"] = files.get("funding", [])
    # HSDS 3.0 requires a programme's description; 1.1 had none: its name stands in.
    t["program"] = [{**r, "description": r.get("name", "")} for r in files.get("programs", [])]
    t["required_document"] = files.get("required_documents", [])
    t["service_area"] = [
        {"id": r["id"], "service_id": r["service_id"], "name": r.get("service_area", ""),
         "description": r.get("description", "")}
        for r in files.get("service_areas", [])
    ]  # fmt: skip
    t["language"] = [
        {"id": r["id"], "service_id": r.get("service_id", ""),
         "location_id": r.get("location_id", ""), "name": r.get("language", "")}
        for r in files.get("languages", [])
    ]  # fmt: skip
    t["accessibility"] = [
        {"id": r["id"], "location_id": r.get("location_id", ""),
         "description": r.get("accessibility", ""), "details": r.get("details", "")}
        for r in files.get("accessibility_for_disabilities", [])
    ]  # fmt: skip
    addresses = []
    for kind, stem in (("physical", "physical_addresses"), ("postal", "postal_addresses")):
        for r in files.get(stem, []):
            extra = [r.get("address_3", ""), r.get("address_4", "")]
            line2 = ", ".join(p for p in [r.get("address_2", ""), *extra] if p)
            addresses.append(
                {
                    **{k: v for k, v in r.items() if not k.startswith("address_")},
                    "address_1": r.get("address_1", ""),
                    "address_2": line2,
                    "address_type": kind,
                }
            )
    t["address"] = addresses
    days = {"1": "MO", "2": "TU", "3": "WE", "4": "TH", "5": "FR", "6": "SA", "7": "SU"}
    t["schedule"] = [
        {"id": r["id"], "service_id": r.get("service_id", ""),
         "location_id": r.get("location_id", ""),
         "service_at_location_id": r.get("service_at_location_id", ""), "freq": "WEEKLY",
         "byday": days.get(r.get("weekday", "").strip(), r.get("weekday", "")[:2].upper()),
         "opens_at": r.get("opens_at", ""), "closes_at": r.get("closes_at", "")}
        for r in files.get("regular_schedules", [])
    ]  # fmt: skip
    terms = []
    for r in files.get("taxonomy", []):
        terms.append(
            {"id": r["id"], "name": r.get("name", ""), "description": r.get("name", ""),
             "parent_id": r.get("parent_id", ""), "taxonomy": r.get("vocabulary", "")}
        )  # fmt: skip
    t["taxonomy_term"] = terms
    t["attribute"] = [
        {"id": r["id"], "link_id": r["service_id"], "taxonomy_term_id": r["taxonomy_id"],
         "link_type": "service", "link_entity": "service", "value": r.get("taxonomy_detail", "")}
        for r in files.get("services_taxonomy", [])
    ]  # fmt: skip
    return t


# -- the importer --------------------------------------------------------------------------------


class HsdsImporter(AssetImporter):
    """Open Referral (HSDS 3.0 / UK profile) into Living Map."""

    name = "hsds"
    description = "Open Referral HSDS 3.0 JSON, API feed, tabular data package or HSDS 1.1"
    allow_empty = True

    def __init__(self, source: str | Path, **options: Any) -> None:
        text = str(source)
        self.url = text if text.startswith(("http://", "https://")) else ""
        super().__init__(Path(text) if not self.url else Path(re.sub(r"\W+", "_", text)), **options)
        self.source_text = text
        self.format = options.get("format") or "auto"
        if self.format not in FORMATS:
            raise SourceError(f"format must be one of {', '.join(FORMATS)}")
        slug = options.get("dataset") or self._default_slug()
        self.dataset = DatasetInfo(
            slug=slug[:50],
            name=options.get("dataset_name") or f"Open Referral feed: {text[:150]}",
            licence=options.get("licence") or "As published by the source",
            publisher=options.get("publisher") or "",
            source_url=self.url or "",
        )
        self._report: ImportReport | None = None

    def _record_event(self, report: ImportReport, started: Any) -> None:
        report.source = self.source_text  # a feed's URL as given, not as a file path
        super()._record_event(report, started)

    def _default_slug(self) -> str:
        if self.url:
            from urllib.parse import urlsplit

            return "hsds-" + slugify(urlsplit(self.url).netloc)
        path = Path(self.source_text)
        stem = path.parent.name if path.name == "datapackage.json" else path.stem
        return "hsds-" + slugify(stem)

    # -- reading ---------------------------------------------------------------------------
    def read_rows(self) -> Iterator[tuple[str, Any]]:
        if self.url:
            after = self._modified_after()
            for label, item in harvest_services(
                self.url,
                modified_after=after,
                details=self.options.get("details", True),
                **self.options.get("fetch_options", {}),
            ):
                yield label, ("service", item)
            return
        fmt = self._detect()
        if fmt == "json":
            try:
                data = json.loads(self.source.read_text(encoding="utf-8-sig"))
            except OSError as exc:
                raise SourceError(f"cannot open {self.source}: {exc.strerror}") from exc
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise SourceError(f"{self.source.name} is not valid JSON ({exc})") from exc
            for label, kind, obj in objects_in_json(data):
                yield label, (kind, obj)
            return
        files = _read_tables(self.source)
        tables = hsds1_to_3(files) if fmt == "hsds1" else _by_resource(files)
        nested, orphans = tabular.nest_all(tables)
        paths = tabular.table_paths()
        for table, row_id in orphans:
            assert self._report is not None
            self._report.warn(
                f"{paths.get(table, table)} id {row_id}",
                "links to nothing in the package (no service, location, organisation or "
                "term has its parent id): not imported",
            )
        for table, kind in (
            ("taxonomy", "taxonomy"),
            ("taxonomy_term", "taxonomy_term"),
            ("service", "service"),
        ):
            for n, obj in enumerate(nested[table], start=1):
                yield f"{paths[table]} row {n}", (kind, obj)

    def _detect(self) -> str:
        if self.format != "auto":
            return self.format
        if self.source.suffix.lower() == ".json" and self.source.name != "datapackage.json":
            return "json"
        if not self.source.exists():
            raise SourceError(f"cannot open {self.source}: no such file or folder")
        folder = self.source if self.source.is_dir() else self.source.parent
        names = (
            set(zipfile.ZipFile(self.source).namelist())
            if self.source.suffix == ".zip"
            else {p.name for p in folder.iterdir()}
        )
        names = {Path(n).name for n in names}
        if {"services_at_location.csv", "physical_addresses.csv"} & names:
            return "hsds1"
        return "datapackage"

    def _modified_after(self) -> str:
        value = self.options.get("modified_after") or ""
        if value != "auto":
            return value
        from livingmap.core.models import ImportEvent

        last = (
            ImportEvent.objects.filter(
                dataset__slug=self.dataset.slug, status=ImportEvent.Status.COMMITTED
            )
            .order_by("-started_at")
            .first()
        )
        return last.started_at.isoformat() if last else ""

    # -- per row ---------------------------------------------------------------------------
    def before(self, report: ImportReport) -> None:
        super().before(report)
        self._report = report
        self._category_slugs = {
            str(mapping.category_term_id(s)): s
            for s in Category.objects.values_list("slug", flat=True)
        }
        self._kinds = {str(mapping.kind_term_id(k)): k for k in AssetKind.values}

    def transform(self, row: Any, label: str) -> Any:
        kind, obj = row
        if kind == "service_at_location" and isinstance(obj, dict):
            service = obj.get("service") if isinstance(obj.get("service"), dict) else None
            if service is None:
                raise RowRejected("a service_at_location without its service cannot be imported")
            sal = {k: v for k, v in obj.items() if k != "service"}
            obj, kind = {**service, "service_at_locations": [sal]}, "service"
        if kind == "organization" and isinstance(obj, dict) and obj.get("services"):
            # An organisation with its services: the services are rows of their own.
            pass
        data, repairs, errors = normalise(kind, obj)
        assert self._report is not None
        for repair in repairs:
            self._report.warn(label, f"repaired {repair}")
        if errors:
            raise RowRejected(f"not valid HSDS 3.0 / ORUK {kind}: " + "; ".join(errors[:6]))
        assert data is not None
        if kind != "service":
            return Other(kind, data)
        return ServiceRecord(self._asset_record(data, label), data)

    def _asset_record(self, svc: dict[str, Any], label: str) -> AssetRecord:
        kind, categories = AssetKind.INSTITUTION, []
        for attr in svc.get("attributes") or []:
            term = str(attr.get("taxonomy_term_id") or "")
            if term in self._kinds and self._kinds[term] != AssetKind.GIFTS:
                kind = self._kinds[term]
            if term in self._category_slugs:
                categories.append(self._category_slugs[term])
        lon = lat = None
        postcode = address = ""
        for sal in svc.get("service_at_locations") or []:
            loc = sal.get("location") or {}
            if loc.get("latitude") is not None and loc.get("longitude") is not None and lat is None:
                try:
                    check_in_uk(float(loc["longitude"]), float(loc["latitude"]))
                    lon, lat = float(loc["longitude"]), float(loc["latitude"])
                except (GeometryError, ValueError) as exc:
                    assert self._report is not None
                    self._report.warn(label, f"location not used for the map: {exc}")
            for addr in loc.get("addresses") or []:
                if not address:
                    parts = [addr.get(k, "") for k in ("address_1", "address_2", "city")]
                    address = ", ".join(p for p in parts if p)[:300]
                    postcode = clean_postcode(addr.get("postal_code", ""))
        org = svc.get("organization") or {}
        phone = next((p.get("number", "") for p in svc.get("phones") or []), "")
        url = svc.get("url") or org.get("website") or ""
        return AssetRecord(
            source_id=svc["id"],
            name=" ".join(svc["name"].split())[:300],
            kind=kind,
            categories=sorted(set(categories)),
            description=svc.get("description", ""),
            address=address,
            postcode=postcode,
            lon=lon,
            lat=lat,
            website=url[:500] if url.startswith(("http://", "https://")) else "",
            email=(svc.get("email") or "")[:254],
            phone=str(phone)[:50],
            extra={"hsds_id": svc["id"]},
        )

    # -- writing ---------------------------------------------------------------------------
    def load(self, records: list[tuple[str, Any]], report: ImportReport) -> None:
        services = [(label, r) for label, r in records if isinstance(r, ServiceRecord)]
        others = [(label, r) for label, r in records if isinstance(r, Other)]
        # An organisation's nested services are services too.
        for label, other in others:
            if other.kind == "organization":
                for n, svc in enumerate(other.data.get("services") or [], start=1):
                    try:
                        record = self.transform(("service", svc), f"{label} service {n}")
                    except RowRejected as exc:
                        report.reject(f"{label} service {n}", str(exc))
                        continue
                    record.organization_id = other.data["id"]
                    services.append((f"{label} service {n}", record))
        assert self.dataset_row is not None
        unique: dict[str, tuple[str, ServiceRecord]] = {}
        for label, rec in services:
            if rec.asset.source_id in unique:
                if rec.service != unique[rec.asset.source_id][1].service:
                    report.warn(
                        label, f"service {rec.asset.source_id} is given twice: kept the first"
                    )
                continue
            unique[rec.asset.source_id] = (label, rec)
        super().load([(label, r.asset) for label, r in unique.values()], report)
        self._store_services(list(unique.values()), report)
        self._store_others(others, report)

    def _store_services(
        self,
        services: list[tuple[str, ServiceRecord]],
        report: ImportReport,
    ) -> None:
        sources = {
            s.source_id: s.asset_id
            for s in AssetSource.objects.filter(
                dataset=self.dataset_row, source_id__in=[r.asset.source_id for _, r in services]
            )
        }
        slug = self.dataset_row.slug  # type: ignore[union-attr]
        now = timezone.now()
        for label, rec in services:
            asset_id = sources.get(rec.asset.source_id)
            if asset_id is None:
                continue  # rejected by the asset import (reported there)
            svc = rec.service
            current = HsdsService.objects.filter(asset_id=asset_id).first()
            if current is not None and str(current.hsds_id) != svc["id"]:
                report.warn(
                    label,
                    f"the same asset as service {current.hsds_id} ({current.source}): "
                    "kept that record's HSDS data",
                )
                continue
            other = HsdsService.objects.filter(hsds_id=svc["id"]).exclude(asset_id=asset_id)
            if other.exists():
                report.reject(label, f"service id {svc['id']} belongs to another asset already")
                continue
            if current is not None and current.data == svc:
                continue
            modified = _modified(svc.get("last_modified")) or now
            row, _ = HsdsService.objects.update_or_create(
                asset_id=asset_id,
                defaults={
                    "hsds_id": svc["id"],
                    "source": slug,
                    "organization_id": svc.get("organization_id")
                    or (svc.get("organization") or {}).get("id")
                    or rec.organization_id
                    or None,
                    "minimum_age": svc.get("minimum_age"),
                    "maximum_age": svc.get("maximum_age"),
                    "modified": modified,
                    "data": svc,
                },
            )
            self._index(row, label, report)

    def _index(self, row: HsdsService, label: str, report: ImportReport) -> None:
        svc = row.data
        HsdsKey.objects.filter(service=row).delete()
        HsdsTermLink.objects.filter(service=row).delete()
        HsdsSchedule.objects.filter(service=row).delete()
        for position, sal in enumerate(svc.get("service_at_locations") or []):
            key, kind = sal.get("id"), HsdsKey.Kind.SERVICE_AT_LOCATION
            if not key:
                continue
            if HsdsKey.objects.filter(kind=kind, key=key).exists():
                report.warn(label, f"service_at_location {key} is in another service too")
                continue
            HsdsKey.objects.create(kind=kind, key=key, service=row, position=position)
        links = set()
        for attr in _all(svc, "attributes"):
            detail = attr.get("taxonomy_term") or {}
            term = attr.get("taxonomy_term_id") or detail.get("id")
            if term:
                taxonomy = detail.get("taxonomy_id") or (detail.get("taxonomy_detail") or {}).get(
                    "id"
                )
                links.add((term, taxonomy))
        HsdsTermLink.objects.bulk_create(
            HsdsTermLink(service=row, term_id=t, taxonomy_id=x) for t, x in links
        )
        HsdsSchedule.objects.bulk_create(
            HsdsSchedule(
                service=row,
                byday=(s.get("byday") or "")[:50].upper(),
                opens_at=_time(s.get("opens_at")),
                closes_at=_time(s.get("closes_at")),
            )
            for s in _all(svc, "schedules")
        )

    def _store_others(self, others: list[tuple[str, Other]], report: ImportReport) -> None:
        slug = self.dataset_row.slug  # type: ignore[union-attr]
        models = {
            "organization": HsdsOrganization,
            "taxonomy": HsdsTaxonomy,
            "taxonomy_term": HsdsTaxonomyTerm,
        }
        for _label, other in others:
            model = models.get(other.kind)
            if model is None:
                continue
            data = other.data
            if other.kind == "organization":
                data = {k: v for k, v in data.items() if k != "services"}
            defaults: dict[str, Any] = {"source": slug, "name": data["name"][:300], "data": data}
            if other.kind == "taxonomy_term":
                detail = data.get("taxonomy_detail") or {}
                defaults["taxonomy_id"] = data.get("taxonomy_id") or detail.get("id")
                defaults["parent_id"] = data.get("parent_id")
            current = model.objects.filter(id=data["id"]).first()
            if current is not None and current.data == data:
                report.unchanged += 1
                continue
            model.objects.update_or_create(id=data["id"], defaults=defaults)
            if current is None:
                report.created += 1
            else:
                report.updated += 1
        # Taxonomies named only inside terms become taxonomies too.
        for term in HsdsTaxonomyTerm.objects.filter(source=slug):
            detail = term.data.get("taxonomy_detail")
            if isinstance(detail, dict) and detail.get("id") and detail.get("name"):
                HsdsTaxonomy.objects.get_or_create(
                    id=detail["id"],
                    defaults={"source": slug, "name": detail["name"][:300], "data": detail},
                )


def _all(node: Any, key: str) -> Iterator[dict[str, Any]]:
    """Every object in every `key` list anywhere in a nested object."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, list):
                yield from (x for x in v if isinstance(x, dict))
            yield from _all(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _all(v, key)


def _time(value: Any) -> Any:
    match = _TIME.match(str(value or ""))
    if not match:
        return None
    from datetime import time

    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _modified(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(str(value))
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def import_hsds(source: str | Path, *, commit: bool = False, **options: Any) -> ImportReport:
    return HsdsImporter(source, **options).run(commit=commit)


__all__ = ["HsdsImporter", "import_hsds"]
