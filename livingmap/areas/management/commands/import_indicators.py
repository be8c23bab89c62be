from typing import Any

from django.core.management.base import CommandParser

from livingmap.areas.importers.indicators import IMD2019Importer, PopulationImporter
from livingmap.core.commands import ImportCommand

IMPORTERS = {"imd2019": IMD2019Importer, "population": PopulationImporter}


class Command(ImportCommand):
    help = (
        "Import indicators of need for areas: 'imd2019' (English Indices of Deprivation 2019, "
        "LSOA file with IMD_rank, IMD_decile and the domains; 2011 LSOA codes) or 'population' "
        "(ONS mid-year estimates by LSOA). Without a file, the demo's copy is used."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("indicator", choices=sorted(IMPORTERS))
        parser.add_argument("file", nargs="?", help="CSV file (default: the demo data)")
        super().add_arguments(parser)

    def get_importer(self, options: dict[str, Any]) -> Any:
        return IMPORTERS[options["indicator"]](options["file"])
