"""Asset importers. `base.AssetImporter` is the base; each data set is a small subclass.

`REGISTRY` maps the names used by `livingmap import_assets NAME` to importer classes; a module
adds its importers with the `register` decorator.
"""

from __future__ import annotations

from . import trafford  # noqa: F401 - registers the Trafford layers
from .base import REGISTRY, AssetImporter, register

__all__ = ["REGISTRY", "AssetImporter", "register"]
