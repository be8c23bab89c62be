from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from livingmap.areas.manifest import ManifestError
from livingmap.areas.models import Area
from livingmap.assets.demo import load_demo

from .load_area import report_step


class Command(BaseCommand):
    help = (
        "Load the demo: every area whose manifest is in data/areas/ (boundaries, neighbourhoods, "
        "postcodes, indicators and asset layers), then the illustrative data of the apps built "
        "on the map. Safe to run again: a second run changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if areas are already loaded"
        )
        parser.add_argument("--quiet", action="store_true", help="one line per step")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Area.objects.exists():
            self.stdout.write("The database already has areas; the demo was not loaded again.")
            return
        try:
            reports = load_demo(commit=True, on_step=report_step(self, quiet=options["quiet"]))
        except ManifestError as exc:
            raise CommandError(str(exc)) from exc
        failures = [r for r in reports if r.error]
        if failures:
            raise CommandError("; ".join(f"{r.importer}: {r.error}" for r in failures))
