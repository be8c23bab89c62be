"""The Trafford demo: every boundary, need indicator and asset layer the repository carries.

Files live in data/ (see data/README.md for sources and licences). The order matters only for
which data set's wording an asset found in several keeps (the first loaded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.dispatch import Signal

from livingmap.areas.importers.boundaries import BoundaryImporter
from livingmap.areas.importers.indicators import IMD2019Importer, PopulationImporter
from livingmap.areas.importers.postcodes import PostcodeImporter
from livingmap.core.importing import OGL, DatasetInfo, Importer, ImportReport

from .importers import REGISTRY
from .services import build_area_index

GEOGRAPHY_ATTRIBUTION = "Contains National Statistics and OS data © Crown copyright and database right. Source: Trafford Data Lab."


def _boundaries(file: str, level: str, vintage: int, name: str, **kw: Any) -> Importer:
    dataset = DatasetInfo(
        slug=f"trafford-{level}-{vintage}",
        name=name,
        publisher="ONS / Trafford Data Lab",
        attribution=GEOGRAPHY_ATTRIBUTION,
        **OGL,
    )
    return BoundaryImporter(
        _data_path(f"trafford-geography/{file}"),
        level=level,
        vintage=vintage,
        dataset=dataset,
        **kw,
    )


def _data_path(relative: str) -> str:
    from django.conf import settings

    return str(settings.LIVINGMAP_DATA_DIR / relative)


def geography_importers() -> list[Importer]:
    steps = [
        _boundaries("local_authority_2023.geojson", "lad", 2023, "Local authority boundary 2023"),
        _boundaries("wards_2023.geojson", "ward", 2023, "Ward boundaries 2023"),
        _boundaries("msoa_2021.geojson", "msoa", 2021, "MSOA boundaries 2021"),
        _boundaries("lsoa_2021.geojson", "lsoa", 2021, "LSOA boundaries 2021"),
        _boundaries("lsoa_2011.geojson", "lsoa", 2011, "LSOA boundaries 2011 (used by IMD 2019)"),
        _boundaries(
            "oa_2021.geojson", "oa", 2021, "Output area boundaries 2021", name_property="area_code"
        ),
        _boundaries(
            "localities_2023.geojson",
            "neighbourhood",
            2023,
            "Trafford's localities (council-defined neighbourhoods)",
        ),
    ]
    postcodes = PostcodeImporter(_data_path("trafford-geography/postcodes.csv"))
    postcodes.dataset = DatasetInfo(
        slug="trafford-postcodes",
        name="Trafford postcodes",
        publisher="ONS / Trafford Data Lab",
        attribution=GEOGRAPHY_ATTRIBUTION,
        **OGL,
    )
    return [*steps, postcodes, PopulationImporter(), IMD2019Importer()]


#: Asset layers in load order. An asset found in several layers keeps the kind, and the wording
#: of each field, of the first layer that brought it. So services come first (a leisure centre
#: is a service before it is a council building), then places, with the council's land and
#: building register last among them (its names are an estate manager's: "Eaton Road
#: Allotments (No Facilities)"), then associations (a charity that runs a mental health service
#: stays a charity). docs/importers.md explains each layer.
DEMO_LAYERS = [
    # Services and institutions
    "trafford-council-libraries",
    "trafford-libraries",
    "trafford-community-hubs",
    "trafford-leisure-centres",
    "trafford-childrens-centres",
    "trafford-schools",
    "trafford-gp-practices",
    "trafford-pharmacies",
    "trafford-jobcentres",
    "trafford-post-offices",
    # Buildings, land and green space
    "trafford-allotments",
    "trafford-places-of-worship",
    "trafford-green-spaces",
    "trafford-sport-facilities",
    "trafford-land-and-buildings",
    # Associations
    "trafford-charities",
    "trafford-sports-clubs",
    "trafford-food-banks",
    "trafford-mental-health-services",
]


def asset_importers() -> list[Importer]:
    index = build_area_index()
    names = [n for n in DEMO_LAYERS if n in REGISTRY]
    names += sorted(n for n in REGISTRY if n not in names and REGISTRY[n].default_path)
    return [REGISTRY[n](area_index=index) for n in names]


def load_demo(
    *,
    commit: bool,
    on_step: Callable[[ImportReport], None] | None = None,
    extras: bool = True,
) -> list[ImportReport]:
    """Run every demo import in order. In a dry run, later steps cannot see earlier ones' rows,
    so a dry run of the demo checks the geography only.

    extras=False loads only the real open data, without the illustrative data other apps add
    through `demo_loaded` (the tests' database is the real data; each app's tests add their own)."""
    reports = []
    for importer in geography_importers():
        report = importer.run(commit=commit)
        reports.append(report)
        if on_step:
            on_step(report)
    if not commit:
        return reports
    for importer in asset_importers():
        report = importer.run(commit=True)
        reports.append(report)
        if on_step:
            on_step(report)
    # Apps built on the map (insights, time bank, …) add their own demo data here.
    if not extras:
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
