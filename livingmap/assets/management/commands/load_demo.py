from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from livingmap.areas.models import Area
from livingmap.assets.demo import load_demo
from livingmap.core.commands import print_report
from livingmap.core.importing import ImportReport


class Command(BaseCommand):
    help = (
        "Load the Trafford demo: boundaries and localities, postcodes, population and IMD 2019, "
        "and every asset layer in data/. Safe to run again: a second run changes nothing."
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
        failures = []

        def step(report: ImportReport) -> None:
            if report.error:
                failures.append(report)
            if options["quiet"]:
                c = report.counts()
                self.stdout.write(
                    f"{report.importer:<34} read {c['read']:>6}  created {c['created']:>6}  "
                    f"updated {c['updated']:>5}  unchanged {c['unchanged']:>6}  "
                    f"rejected {c['rejected']:>4}  warnings {c['warnings']:>4}"
                )
            else:
                print_report(report, file=self.stdout)

        load_demo(commit=True, on_step=step)
        if failures:
            raise CommandError("; ".join(f"{r.importer}: {r.error}" for r in failures))
