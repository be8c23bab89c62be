"""The `livingmap` command: imports and administration.

`livingmap --help` lists the commands a data officer needs; `livingmap COMMAND --help` explains one.
Every import is a dry run unless `--commit` is given; the commands marked "(writes at once)" have
no dry run.
"""

from __future__ import annotations

import os
import sys


def data_commands() -> dict[str, str]:
    """The data commands at the top of `livingmap --help` (each app's, see LivingMapApp.commands)."""
    from livingmap.core.contract import commands

    return {c.name: c.help for c in commands() if not c.group}


def more_commands() -> dict[str, dict[str, str]]:
    """Other commands, by what they are for (each group where its first command comes)."""
    from livingmap.core.contract import commands

    groups: dict[str, dict[str, str]] = {}
    for c in commands():
        if c.group:
            groups.setdefault(c.group, {})[c.name] = c.help
    return groups


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
    # Commands (imports above all) get the command database timeouts (settings.py); the
    # development server serves requests, so it keeps the web server's.
    if len(argv) < 2 or argv[1] != "runserver":
        os.environ.setdefault("LIVINGMAP_PROCESS", "command")
    if len(argv) < 2 or (argv[1] in {"-h", "--help", "help"} and len(argv) == 2):
        import django

        django.setup()  # the commands are the installed apps'
        ours, others = data_commands(), more_commands()
        every = [*ours, *(n for c in others.values() for n in c)]
        width = max(len(name) for name in every)
        lines = "\n".join(f"  {name:<{width}}  {text}" for name, text in ours.items())
        more = "".join(
            f"\n{title}:\n"
            + "\n".join(f"  {name:<{width}}  {text}" for name, text in commands.items())
            + "\n"
            for title, commands in others.items()
        )
        sys.stdout.write(HELP.format(commands=lines, more=more))
        return 0
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
