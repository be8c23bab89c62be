from typing import Any

from django.core.management.base import CommandParser

from livingmap.assets.importers.mapping import MappedCSVImporter
from livingmap.assets.within import OUTSIDE_CHOICES
from livingmap.core.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Load any CSV register of assets through a mapping file that says which column holds "
        "what (see docs/importers.md, and data/mappings/ for a worked example). Without "
        "--commit this is a dry run: every row is checked and the report printed, and nothing "
        "is kept. Example: livingmap import_csv register.csv --mapping register.toml"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file to load")
        parser.add_argument(
            "--mapping",
            required=True,
            metavar="MAPPING.toml",
            help="the mapping file: the data set, and which column holds which field",
        )
        parser.add_argument(
            "--within",
            metavar="AREA",
            help='keep only records located inside this area: "loaded" (the area this site '
            "holds) or an area's code, e.g. E06000042; the rest are counted in the report",
        )
        parser.add_argument(
            "--outside",
            choices=OUTSIDE_CHOICES,
            help="with --within, what to do with a record located outside the area: leave it "
            "out (the default), or keep it as serving the area, not located in it",
        )
        super().add_arguments(parser)

    def get_importer(self, options: dict[str, Any]) -> MappedCSVImporter:
        return MappedCSVImporter(
            options["file"],
            mapping=options["mapping"],
            within=options["within"],
            outside=options["outside"],
        )
