from typing import Any

from django.core.management.base import CommandError, CommandParser

from livingmap.areas.importers.postcodes import COLUMNS, PostcodeImporter
from livingmap.core.commands import ImportCommand
from livingmap.core.importing import OGL, DatasetInfo


class Command(ImportCommand):
    help = (
        "Import postcodes from a CSV in the style of the ONS Postcode Directory. Columns are "
        "found by name: postcode (" + ", ".join(COLUMNS["postcode"]) + "), lat, long, and the "
        "area codes (oa21cd, lsoa21cd, msoa21cd, osward, oslaua or lsoa_code, ward_code, …). "
        "Given the national directory, --local-authority CODE or --within CODE keeps only "
        "the area's postcodes, and the report counts those left out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file")
        keep = parser.add_mutually_exclusive_group()
        keep.add_argument(
            "--local-authority",
            metavar="CODE",
            default="",
            help="keep only postcodes whose local authority column (oslaua, laua, …) is CODE",
        )
        keep.add_argument(
            "--within",
            metavar="CODE",
            default="",
            help="keep only postcodes whose point is in the loaded boundary of the area CODE",
        )
        parser.add_argument(
            "--buffer",
            metavar="METRES",
            type=float,
            default=0.0,
            help="with --within: also keep postcodes this many metres outside the boundary",
        )
        parser.add_argument("--dataset-name", default="Postcodes")
        parser.add_argument("--publisher", default="", help="who published the file")
        parser.add_argument("--licence", default=OGL["licence"], help="default: the OGL v3.0")
        parser.add_argument("--attribution", default="", help="the attribution it asks for")
        super().add_arguments(parser)

    def get_importer(self, options: dict[str, Any]) -> PostcodeImporter:
        if options["buffer"] and not options["within"]:
            raise CommandError("--buffer is a distance around a boundary: give --within CODE")
        if options["local_authority"]:
            keep, code = "local_authority", options["local_authority"]
        elif options["within"]:
            keep, code = "boundary", options["within"]
        else:
            keep, code = "all", ""
        importer = PostcodeImporter(
            options["file"], keep=keep, area_code=code, buffer_metres=options["buffer"]
        )
        importer.dataset = DatasetInfo(
            slug="postcodes",
            name=options["dataset_name"],
            licence=options["licence"],
            licence_url=OGL["licence_url"] if options["licence"] == OGL["licence"] else "",
            publisher=options["publisher"],
            attribution=options["attribution"],
        )
        return importer
