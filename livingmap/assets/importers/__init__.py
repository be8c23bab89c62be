"""Asset importers. `base.AssetImporter` is the base; each data set is a small subclass.

`REGISTRY` maps the names used by `livingmap import_assets NAME` to importer classes; a module
adds its built-in layers with the `register` decorator (trafford.py). Two importers read any
file through a mapping file instead of code, and so are not in the registry:
`mapping.MappedImporter` (`livingmap import_csv`, `livingmap import_mapped`: CSV, GeoJSON,
JSON or XLSX) and `osm.OSMImporter`
(`livingmap import_osm`). docs/importers.md describes them all.
"""

from __future__ import annotations

from . import trafford  # noqa: F401 - registers the Trafford layers
from .base import REGISTRY, AssetImporter, register
from .mapping import MappedCSVImporter, MappedImporter
from .osm import OSMImporter

__all__ = [
    "REGISTRY",
    "AssetImporter",
    "MappedCSVImporter",
    "MappedImporter",
    "OSMImporter",
    "register",
]
