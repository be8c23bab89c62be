from typing import Any

from django.core.management.base import CommandError, CommandParser

from livingmap.assets.importers import REGISTRY
from livingmap.assets.importers.base import AssetImporter
from livingmap.core.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Import one of the built-in asset layers by name (see --list). Without a file, the "
        "demo's copy is read. Example: livingmap import_assets LAYER --commit"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("layer", nargs="?", help="the layer's name (see --list)")
        parser.add_argument("file", nargs="?", help="file to read (default: the demo data)")
        parser.add_argument("--list", action="store_true", help="list the layers and stop")
        super().add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"] or not options["layer"]:
            width = max(len(n) for n in REGISTRY)
            for name, cls in sorted(REGISTRY.items()):
                self.stdout.write(f"{name:<{width}}  {cls.description}")
            return
        super().handle(*args, **options)

    def get_importer(self, options: dict[str, Any]) -> AssetImporter:
        cls = REGISTRY.get(options["layer"])
        if cls is None:
            raise CommandError(f"no layer called {options['layer']!r}; see --list")
        return cls(options["file"])
