from typing import Any

from django.core.management.base import CommandParser

from livingmap.areas.importers.boundaries import BoundaryImporter
from livingmap.areas.models import Area, AreaLevel
from livingmap.core.commands import ImportCommand
from livingmap.core.importing import OGL, DatasetInfo


class Command(ImportCommand):
    help = (
        "Import areas from a GeoJSON FeatureCollection in WGS84 (longitude/latitude). "
        "Statutory areas need a GSS code property; neighbourhoods need only a name. "
        "Example: livingmap import_boundaries wards.geojson --level ward --vintage 2023 --commit"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="GeoJSON file")
        parser.add_argument("--level", required=True, choices=AreaLevel.values)
        parser.add_argument("--vintage", required=True, type=int, help="boundary year, e.g. 2021")
        parser.add_argument("--code-property", default="area_code", help="default: area_code")
        parser.add_argument("--name-property", default="area_name", help="default: area_name")
        parser.add_argument("--description-property", default="")
        parser.add_argument(
            "--drawn",
            action="store_true",
            help="the neighbourhoods were drawn on a map (not taken from an official boundary set)",
        )
        parser.add_argument("--dataset-name", default="", help="what to call this boundary set")
        parser.add_argument(
            "--publisher", default="", help="who published the boundaries, for About the data"
        )
        parser.add_argument("--licence", default=OGL["licence"], help="default: the OGL v3.0")
        parser.add_argument(
            "--licence-url",
            default="",
            help="the licence's address (default: the OGL's, when the licence is the OGL)",
        )
        parser.add_argument(
            "--attribution",
            default="",
            help='the attribution the licence asks for, e.g. "Contains OS data © Crown '
            'copyright and database right 2024"',
        )
        parser.add_argument("--source-url", default="", help="where the file came from")
        super().add_arguments(parser)

    def get_importer(self, options: dict[str, Any]) -> BoundaryImporter:
        name = (
            options["dataset_name"]
            or f"{AreaLevel(options['level']).label} boundaries {options['vintage']}"
        )
        slug = f"boundaries-{options['level']}-{options['vintage']}"
        return BoundaryImporter(
            options["file"],
            level=options["level"],
            vintage=options["vintage"],
            code_property=options["code_property"],
            name_property=options["name_property"],
            description_property=options["description_property"],
            origin=Area.Origin.DRAWN if options["drawn"] else "",
            dataset=DatasetInfo(
                slug=slug,
                name=name,
                licence=options["licence"],
                licence_url=options["licence_url"]
                or (OGL["licence_url"] if options["licence"] == OGL["licence"] else ""),
                publisher=options["publisher"],
                attribution=options["attribution"],
                source_url=options["source_url"],
            ),
        )
