"""The demo: every area whose manifest the repository carries (data/areas/*/area.toml), loaded
through livingmap.assets.area_loading as `livingmap load_area` loads any area, then the
illustrative data other apps add through `demo_loaded`.

What an area is made of, and in what order its layers load, is in its manifest, not here
(data/areas/README.md, docs/importers.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from django.dispatch import Signal

from livingmap.areas.manifest import Manifest, read_manifest
from livingmap.core.importing import ImportReport

from .area_loading import layer_importers, load_area


def demo_manifests() -> list[Manifest]:
    """The demo's areas: LIVINGMAP_DEMO_MANIFESTS (paths, separated by the system's path
    separator) if set, else every data/areas/*/area.toml, in name order."""
    from django.conf import settings

    given = os.environ.get("LIVINGMAP_DEMO_MANIFESTS", "")
    if given:
        paths = [Path(p) for p in given.split(os.pathsep) if p]
    else:
        paths = sorted(Path(settings.LIVINGMAP_DATA_DIR).glob("areas/*/area.toml"))
    return [read_manifest(p) for p in paths]


def demo_layers() -> list[str]:
    """The registered asset layers the demo loads, in order."""
    return [s["importer"] for m in demo_manifests() for s in m.layers if "importer" in s]


def load_demo(
    *,
    commit: bool,
    on_step: Callable[[ImportReport], None] | None = None,
    extras: bool = True,
) -> list[ImportReport]:
    """Load every demo area (each in one transaction; a dry run checks all and keeps nothing).

    extras=False loads only the real open data, without the illustrative data other apps add
    through `demo_loaded` (the tests' database is the real data; each app's tests add their own)."""
    reports = []
    for manifest in demo_manifests():
        done = load_area(manifest, commit=commit, on_step=on_step)
        reports += done
        if any(r.error for r in done):
            return reports
    # Apps built on the map (insights, time bank, …) add their own demo data here.
    if not commit or not extras:
        return reports
    for _receiver, result in demo_loaded.send(sender=load_demo):
        for report in result or []:
            reports.append(report)
            if on_step:
                on_step(report)
    return reports


#: Sent when the demo's areas and assets are in. Receivers load their app's demo data (through
#: their own services, idempotently) and return a list of ImportReports describing what they did.
demo_loaded = Signal()

__all__ = ["demo_layers", "demo_loaded", "demo_manifests", "layer_importers", "load_demo"]
