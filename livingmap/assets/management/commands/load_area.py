from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from livingmap.areas.manifest import ManifestError, read_manifest
from livingmap.assets.area_loading import load_area
from livingmap.core.commands import print_report, require_migrated
from livingmap.core.importing import ImportReport


def report_step(command: BaseCommand, *, quiet: bool) -> Any:
    """A callback that prints each step's report (or one line per step)."""

    def step(report: ImportReport) -> None:
        if quiet:
            c = report.counts()
            command.stdout.write(
                f"{report.importer:<34} read {c['read']:>6}  created {c['created']:>6}  "
                f"updated {c['updated']:>5}  unchanged {c['unchanged']:>6}  "
                f"rejected {c['rejected']:>4}  warnings {c['warnings']:>4}"
                + (f"  FAILED: {report.error}" if report.error else "")
            )
        else:
            print_report(report, file=command.stdout)

    return step


class Command(BaseCommand):
    help = (
        "Load an area from its manifest (TOML): its boundaries, neighbourhoods, postcodes, "
        "indicators of need and asset layers, in order, in one transaction. Without --commit "
        "this is a dry run: every step runs, each seeing the ones before, and nothing is kept. "
        "A step that fails undoes them all. See docs/importers.md. "
        "Example: livingmap load_area my-area/area.toml --commit"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("manifest", metavar="MANIFEST", help="the area's manifest (TOML)")
        parser.add_argument(
            "--commit",
            action="store_true",
            help="Write to the database. Without it the whole load is a dry run.",
        )
        parser.add_argument("--quiet", action="store_true", help="one line per step")

    def handle(self, *args: Any, **options: Any) -> None:
        require_migrated()
        try:
            manifest = read_manifest(options["manifest"])
            reports = load_area(
                manifest,
                commit=options["commit"],
                on_step=report_step(self, quiet=options["quiet"]),
            )
        except ManifestError as exc:
            raise CommandError(str(exc)) from exc
        failed = [r for r in reports if r.error]
        if failed:
            raise CommandError(
                f"{failed[0].importer}: {failed[0].error} — nothing was written "
                f"(the {len(reports) - 1} step(s) before it were undone)"
            )
        if options["commit"]:
            self.stdout.write(f"{manifest.name}: {len(reports)} steps loaded.")
        else:
            self.stdout.write(
                f"{manifest.name}: DRY RUN of {len(reports)} steps — nothing was written; "
                "add --commit to write"
            )
