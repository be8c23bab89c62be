"""livingmap import_hsds PATH_OR_URL [--commit] [--format …] [--modified-after …]"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from livingmap.core.commands import ImportCommand
from livingmap.core.importing import Importer

from ...importers import FORMATS, HsdsImporter


class Command(ImportCommand):
    help = (
        "Import Open Referral data: an HSDS 3.0 JSON file (a service, a list, a page or a "
        "bundle), an HSDS 3.0 API feed harvested from a URL, an HSDS 3.0 tabular data package "
        "(folder, datapackage.json or zip) or a legacy HSDS 1.1 data package. A dry run "
        "unless --commit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("source", help="A file, a folder, a zip, or an http(s) feed URL.")
        parser.add_argument("--format", choices=FORMATS, default="auto")
        parser.add_argument(
            "--modified-after",
            default="",
            help="Harvest only services changed after this date-time (ISO 8601), or 'auto' "
            "for the start of this feed's last committed import.",
        )
        parser.add_argument("--dataset", default="", help="Slug for the data set (provenance).")
        parser.add_argument("--dataset-name", default="")
        parser.add_argument("--licence", default="")
        parser.add_argument("--publisher", default="")
        parser.add_argument(
            "--no-details",
            action="store_true",
            help="When harvesting, keep the list items instead of fetching each service.",
        )

    def get_importer(self, options: dict[str, Any]) -> Importer:
        return HsdsImporter(
            options["source"],
            format=options["format"],
            modified_after=options["modified_after"],
            dataset=options["dataset"],
            dataset_name=options["dataset_name"],
            licence=options["licence"],
            publisher=options["publisher"],
            details=not options["no_details"],
        )
