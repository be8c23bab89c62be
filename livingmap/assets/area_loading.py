"""Loading a whole area from its manifest (livingmap.areas.manifest): the geography, then the
asset layers, in the manifest's order, in one transaction, with one report per step."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction

from livingmap.areas.manifest import Manifest, ManifestError, geography_importers, read_manifest
from livingmap.areas.services import record_loaded_area
from livingmap.core.importing import ImportReport

from .importers import REGISTRY
from .importers.mapping import MappedCSVImporter
from .services import build_area_index


class _RollBack(Exception):
    """Raised inside the area's transaction to undo a dry run or a failed step."""


def layer_importers(manifest: Manifest, *, area_index: Any = None) -> list[Any]:
    """The manifest's asset layers, in order: a registered importer by name, or a mapping file
    for the generic mapping importer (as `livingmap import_csv` runs it)."""
    steps = []
    for number, step in enumerate(manifest.layers, start=1):
        if "mapping" in step:
            importer = MappedCSVImporter(
                manifest.file(step),
                mapping=manifest.path.parent / step["mapping"],
                area_index=area_index,
            )
        else:
            cls = REGISTRY.get(step["importer"])
            if cls is None:
                raise ManifestError(
                    f"{manifest.path.name}: [[layers]] {number}: no importer called "
                    f"{step['importer']!r} (livingmap import_assets --list)"
                )
            importer = cls(manifest.file(step) if "file" in step else None, area_index=area_index)
        importer.dataset = manifest.override(step, importer.dataset)
        steps.append(importer)
    return steps


def load_area(
    manifest: Manifest | str | Path,
    *,
    commit: bool,
    on_step: Callable[[ImportReport], None] | None = None,
) -> list[ImportReport]:
    """Load the area the manifest describes: boundaries, neighbourhoods, postcodes, indicators,
    then asset layers. All in one transaction: a dry run (commit=False) runs every step, each
    seeing the ones before, then undoes it all; a step that fails stops the load and undoes
    every step before it. Returns one report per step run (the failed one last)."""
    if not isinstance(manifest, Manifest):
        manifest = read_manifest(manifest)
    reports: list[ImportReport] = []

    def run(importer: Any) -> bool:
        report = importer.run(commit=True)
        report.committed = commit and not report.error
        reports.append(report)
        if on_step:
            on_step(report)
        return not report.error

    try:
        with transaction.atomic():
            for importer in geography_importers(manifest):
                if not run(importer):
                    raise _RollBack
            index = build_area_index()
            for importer in layer_importers(manifest, area_index=index):
                if not run(importer):
                    raise _RollBack
            record_loaded_area(
                code=manifest.code,
                name=manifest.name,
                example_postcodes=manifest.example_postcodes,
                manifest=str(manifest.path),
            )
            if not commit:
                raise _RollBack
    except _RollBack:
        for report in reports:
            report.committed = False
        _record_undone(reports)
    return reports


def _record_undone(reports: list[ImportReport]) -> None:
    """Keep an import event for each step of a dry run or a failed load: the events recorded
    inside the area's transaction went with it."""
    from django.utils import timezone

    from livingmap.core.models import ImportEvent

    now = timezone.now()
    for report in reports:
        counts = report.counts()
        event = ImportEvent.objects.create(
            importer=report.importer[:100],
            source=report.source[:500],
            status=report.status,
            started_at=now,
            finished_at=now,
            read=counts["read"],
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            rejected=counts["rejected"],
            report=report.as_dict(),
        )
        report.event_id = event.pk
