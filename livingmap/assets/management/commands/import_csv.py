from typing import Any

from django.core.management.base import CommandParser

from livingmap.assets.importers.mapping import MappedCSVImporter
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
        super().add_arguments(parser)

    def get_importer(self, options: dict[str, Any]) -> MappedCSVImporter:
        return MappedCSVImporter(options["file"], mapping=options["mapping"])
