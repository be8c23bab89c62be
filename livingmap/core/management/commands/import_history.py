import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from livingmap.core.models import ImportEvent


def positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of 1 or more")
    return number


class Command(BaseCommand):
    help = "List recent imports, or show one import's full data-quality report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "event", nargs="?", type=positive, help="an import event number, to show its report"
        )
        parser.add_argument(
            "--limit", type=positive, default=20, help="how many recent imports to list"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["event"]:
            event = ImportEvent.objects.filter(pk=options["event"]).first()
            if event is None:
                raise CommandError(f"there is no import event {options['event']}")
            self.stdout.write(json.dumps(event.report, indent=2))
            return
        events = list(ImportEvent.objects.select_related(None)[: options["limit"]])
        if not events:
            self.stdout.write("No imports yet.")
            return
        for e in events:
            line = (
                f"{e.pk:>5}  {e.started_at:%Y-%m-%d %H:%M}  {e.status:<9}  {e.importer:<32} "
                f"read {e.read}, created {e.created}, updated {e.updated}, "
                f"unchanged {e.unchanged}, rejected {e.rejected}"
            )
            error = (e.report or {}).get("error") if e.status == ImportEvent.Status.FAILED else ""
            if error:
                line += f"\n       why it failed: {error}"
            self.stdout.write(line)
        self.stdout.write("Show one import's whole report with: livingmap import_history NUMBER")
