from typing import Any

from django.core.management.base import CommandParser

from livingmap.assets.importers.mapping import MappedImporter
from livingmap.assets.within import OUTSIDE_CHOICES
from livingmap.core.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Load a file of assets in any format the mapping's [source] names (CSV, GeoJSON, JSON "
        "with a path to its records, XLSX; by the file's suffix when the mapping does not say) "
        "through a mapping file (see docs/importers.md). Without --commit this is a dry run: "
        "every row is checked and the report printed, and nothing is kept. Example: livingmap "
        "import_mapped services.json --mapping data/mappings/my-directory.toml"
    )

    #: What the file argument's help says (import_csv, which reads CSV, says so).
    file_help = "the file to load (CSV, GeoJSON, JSON or XLSX)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=self.file_help)
        parser.add_argument(
            "--mapping",
            required=True,
            metavar="MAPPING.toml",
            help="the mapping file: the data set, how to read the file, which column holds "
            "which field",
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

    def get_importer(self, options: dict[str, Any]) -> MappedImporter:
        return MappedImporter(
            options["file"],
            mapping=options["mapping"],
            within=options["within"],
            outside=options["outside"],
        )
