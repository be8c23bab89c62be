from typing import Any

from django.core.management.base import CommandParser

from livingmap.areas.importers.indicators import IMD2019Importer, PopulationImporter
from livingmap.core.commands import ImportCommand

IMPORTERS = {"imd2019": IMD2019Importer, "population": PopulationImporter}


class Command(ImportCommand):
    help = (
        "Import indicators of need for areas from a file: 'imd2019' (English Indices of "
        "Deprivation 2019, LSOA file with IMD_rank, IMD_decile and the domains; 2011 LSOA codes) "
        "or 'population' (ONS mid-year estimates by LSOA). Each release is added as a period "
        "beside those loaded before; the latest is the one pages show."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("indicator", choices=sorted(IMPORTERS))
        parser.add_argument("file", help="The CSV file to import")
        parser.add_argument(
            "--lookup",
            metavar="FILE",
            help="imd2019: the ONS LSOA (2011) to LSOA (2021) lookup (columns LSOA11CD, "
            "LSOA21CD, CHGIND), to give 2021 LSOAs their values; or 'overlap' to derive it "
            "from the 2011 and 2021 LSOA boundaries loaded",
        )
        parser.add_argument(
            "--period",
            help="population: the date of the estimates (2024-06-30 or mid-2024), when the "
            "file has no `period` column",
        )
        super().add_arguments(parser)

    def get_importer(self, options: dict[str, Any]) -> Any:
        cls = IMPORTERS[options["indicator"]]
        extra = {"lookup": options["lookup"]} if options["indicator"] == "imd2019" else {}
        if options["indicator"] == "population":
            extra = {"period": options["period"]}
        return cls(options["file"], **extra)
