"""The `livingmap` command: imports and administration.

`livingmap --help` lists the commands a data officer needs; `livingmap COMMAND --help` explains one.
Every import is a dry run unless `--commit` is given; the commands marked "(writes at once)" have
no dry run.
"""

from __future__ import annotations

import os
import sys

OUR_COMMANDS = {
    "load_demo": "Load the Trafford demo: areas, need and every asset layer (writes at once).",
    "import_boundaries": "Import statutory areas or neighbourhoods from a GeoJSON file.",
    "import_postcodes": "Import an ONSPD-style postcode CSV.",
    "import_indicators": "Import IMD 2019 or population figures for areas.",
    "import_assets": "Import one of the built-in asset layers (run with --list to see them).",
    "import_csv": "Import any asset register (CSV) described by a mapping file.",
    "import_osm": "Import OpenStreetMap GeoJSON with a tag-to-category mapping.",
    "import_hsds": "Import Open Referral (HSDS 3.0 / ORUK) data: a file, a package or a feed URL.",
    "build_neighbourhood": "Make a neighbourhood from statutory areas, e.g. a set of wards "
    "(writes at once).",
    "reassign_areas": "Recompute which areas and neighbourhoods every asset falls in "
    "(writes at once).",
    "import_history": "List past imports and show one's data-quality report.",
}

#: Other commands, by what they are for.
MORE_COMMANDS = {
    "Keeping the map fresh": {
        "send_review_reminders": "Email admins of assets due for review; escalate to officers.",
        "refresh_insights": "Rebuild the neighbourhood profiles and gaps (also done on demand).",
    },
    "Background jobs": {
        "serve": "Run the web server, the background worker and the scheduler together.",
        "db_worker": "Run the background worker (the jobs queued in the database).",
        "run_scheduler": "Queue the scheduled jobs (reminders, nightly rebuilds) when due.",
    },
    "Time banks": {
        "timebank_check": "Check every time bank's ledger balances; exits 1 on any problem.",
        "load_timebank_demo": "Create the illustrative Trafford Time Bank.",
    },
}

HELP = """usage: livingmap COMMAND [options]

Living Map keeps a living map of an area's assets by the neighbourhoods residents recognise.

Data commands (each import is a DRY RUN unless you add --commit; the others say so):
{commands}
{more}
Running the site:
  migrate              Create or update the database tables.
  runserver            Serve the site for development.
  createsuperuser      Make an administrator account for the admin pages at /admin/.

Any other Django command also works. `livingmap COMMAND --help` explains one command.
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "livingmap.settings")
    if len(argv) < 2 or (argv[1] in {"-h", "--help", "help"} and len(argv) == 2):
        every = [*OUR_COMMANDS, *(n for c in MORE_COMMANDS.values() for n in c)]
        width = max(len(name) for name in every)
        lines = "\n".join(f"  {name:<{width}}  {text}" for name, text in OUR_COMMANDS.items())
        more = "".join(
            f"\n{title}:\n"
            + "\n".join(f"  {name:<{width}}  {text}" for name, text in commands.items())
            + "\n"
            for title, commands in MORE_COMMANDS.items()
        )
        sys.stdout.write(HELP.format(commands=lines, more=more))
        return 0
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
