from typing import Any

from django.core.management.base import CommandParser

from livingmap.assets.importers.osm import OSMImporter
from livingmap.core.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Load OpenStreetMap features (a GeoJSON file, e.g. exported from Overpass turbo) as "
        "assets. The mapping file says which tags make which category (see "
        "data/mappings/osm.toml); features matching none are skipped. Every asset keeps its OSM "
        "id and the licence: © OpenStreetMap contributors, ODbL. Without --commit this is a dry "
        "run. Example: livingmap import_osm data/osm-norwich/learn.geojson --mapping "
        'data/mappings/osm.toml --dataset-name "OpenStreetMap: Norwich libraries"'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the GeoJSON file of OSM features")
        parser.add_argument(
            "--mapping",
            required=True,
            metavar="MAPPING.toml",
            help="the tag -> category mapping (data/mappings/osm.toml is a good start)",
        )
        parser.add_argument(
            "--dataset-name",
            required=True,
            help='what to call this extract, e.g. "OpenStreetMap: public toilets, May 2026"',
        )
        parser.add_argument(
            "--dataset-slug",
            default="",
            help="its short id (default: osm- and the name in lower case with hyphens); use the "
            "same one each time you load a fresh extract of the same features",
        )
        super().add_arguments(parser)

    def get_importer(self, options: dict[str, Any]) -> OSMImporter:
        return OSMImporter(
            options["file"],
            mapping=options["mapping"],
            dataset_name=options["dataset_name"],
            dataset_slug=options["dataset_slug"],
        )
