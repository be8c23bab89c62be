"""The `livingmap` command: imports and administration.

`livingmap --help` lists the commands a data officer needs; `livingmap COMMAND --help` explains one.
Every import is a dry run unless `--commit` is given.
"""

from __future__ import annotations

import os
import sys

OUR_COMMANDS = {
    "load_demo": "Load the Trafford demo area (boundaries, postcodes, need, every asset layer).",
    "import_boundaries": "Import statutory areas or neighbourhoods from a GeoJSON file.",
    "import_postcodes": "Import an ONSPD-style postcode CSV.",
    "import_indicators": "Import IMD 2019 or population figures for areas.",
    "import_assets": "Import one of the built-in asset layers (run with --list to see them).",
    "import_csv": "Import any asset register (CSV) described by a mapping file.",
    "import_osm": "Import OpenStreetMap GeoJSON with a tag-to-category mapping.",
    "build_neighbourhood": "Make a neighbourhood from statutory areas (e.g. a set of wards).",
    "reassign_areas": "Recompute which areas and neighbourhoods every asset falls in.",
    "import_history": "List past imports and show one's data-quality report.",
}

HELP = """usage: livingmap COMMAND [options]

Living Map keeps a living map of an area's assets by the neighbourhoods residents recognise.

Data commands (each import is a DRY RUN unless you add --commit):
{commands}

Running the site:
  migrate              Create or update the database tables.
  runserver            Serve the site for development.
  createsuperuser      Make an officer account for the admin pages at /admin/.

Any other Django command also works. `livingmap COMMAND --help` explains one command.
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "livingmap.settings")
    if len(argv) < 2 or (argv[1] in {"-h", "--help", "help"} and len(argv) == 2):
        width = max(len(name) for name in OUR_COMMANDS)
        lines = "\n".join(f"  {name:<{width}}  {text}" for name, text in OUR_COMMANDS.items())
        sys.stdout.write(HELP.format(commands=lines))
        return 0
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
