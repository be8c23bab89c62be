import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from livingmap.core.models import ImportEvent


class Command(BaseCommand):
    help = "List recent imports, or show one import's full data-quality report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("event", nargs="?", type=int, help="an import event number")
        parser.add_argument("--limit", type=int, default=20)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["event"]:
            event = ImportEvent.objects.filter(pk=options["event"]).first()
            if event is None:
                raise CommandError(f"there is no import event {options['event']}")
            self.stdout.write(json.dumps(event.report, indent=2))
            return
        for e in ImportEvent.objects.all()[: options["limit"]]:
            self.stdout.write(
                f"{e.pk:>5}  {e.started_at:%Y-%m-%d %H:%M}  {e.status:<9}  {e.importer:<32} "
                f"read {e.read}, created {e.created}, updated {e.updated}, "
                f"unchanged {e.unchanged}, rejected {e.rejected}"
            )
