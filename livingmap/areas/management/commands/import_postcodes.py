from typing import Any

from django.core.management.base import CommandParser

from livingmap.areas.importers.postcodes import COLUMNS, PostcodeImporter
from livingmap.core.commands import ImportCommand
from livingmap.core.importing import OGL, DatasetInfo


class Command(ImportCommand):
    help = (
        "Import postcodes from a CSV in the style of the ONS Postcode Directory. Columns are "
        "found by name: postcode (" + ", ".join(COLUMNS["postcode"]) + "), lat, long, and the "
        "area codes (oa21cd, lsoa21cd, msoa21cd, osward, oslaua or lsoa_code, ward_code, …)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file")
        parser.add_argument("--dataset-name", default="Postcodes")
        super().add_arguments(parser)

    def get_importer(self, options: dict[str, Any]) -> PostcodeImporter:
        importer = PostcodeImporter(options["file"])
        importer.dataset = DatasetInfo(slug="postcodes", name=options["dataset_name"], **OGL)
        return importer
