from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from livingmap.insights.services import is_fresh, refresh_aggregates


class Command(BaseCommand):
    help = (
        "Rebuild the insights aggregates (assets per area, neighbourhood profiles, LSOA centres). "
        "Pages rebuild them when the data changes; run this after big imports or nightly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-stale", action="store_true", help="Only if the data changed since the last build."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_stale"] and is_fresh():
            self.stdout.write("The insights aggregates are up to date.")
            return
        report = refresh_aggregates()
        self.stdout.write(
            f"Rebuilt {report.counts} asset counts, {report.snapshots} profiles and "
            f"{report.centres} LSOA centres in {report.seconds:.2f} s."
        )
