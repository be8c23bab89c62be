from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from livingmap.areas.models import Area
from livingmap.areas.services import build_neighbourhood


class Command(BaseCommand):
    help = (
        "Make (or remake) a neighbourhood residents recognise from statutory areas, by GSS code. "
        'Example: livingmap build_neighbourhood "Town Centre and Riverside" WARDCODE WARDCODE'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the name residents use")
        parser.add_argument("codes", nargs="+", help="GSS codes of current areas (e.g. wards)")
        parser.add_argument("--description", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        areas = list(Area.objects.statutory().current().filter(gss_code__in=options["codes"]))
        missing = sorted(set(options["codes"]) - {a.gss_code for a in areas})
        if missing:
            raise CommandError(f"no current area has the code(s) {', '.join(missing)}")
        area, outcome = build_neighbourhood(
            name=options["name"], components=areas, description=options["description"]
        )
        self.stdout.write(f"{area.name}: {outcome} from {len(areas)} areas ({area.slug})")
