"""What every import command shares: --commit, a progress bar, and the printed report."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .importing import Importer, ImportReport, SourceError

MAX_PRINTED_PROBLEMS = 50


class ImportCommand(BaseCommand):
    """Base for `livingmap import_*` commands: subclasses build an Importer in `get_importer`."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--commit",
            action="store_true",
            help="Write to the database. Without it the import is a dry run: everything is "
            "checked and reported, and nothing is kept.",
        )
        parser.add_argument(
            "--all-problems",
            action="store_true",
            help="Print every rejected row and warning, not only the first 50.",
        )

    def get_importer(self, options: dict[str, Any]) -> Importer:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        require_migrated()
        try:
            importer = self.get_importer(options)
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
        report = run_with_progress(importer, commit=options["commit"], stderr=self.stderr)
        # The error is raised, and so printed once, by Django (on standard error).
        print_report(
            report, all_problems=options["all_problems"], file=self.stdout, show_error=False
        )
        if report.error:
            raise CommandError(report.error)


def require_migrated() -> None:
    """Refuse to work on a database that lacks tables, with the command that makes them (an
    import into it would otherwise fail with a database error and a traceback)."""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        where = connection.settings_dict["NAME"]
        raise CommandError(
            f"the database ({where}) is not set up, or not up to date: "
            "run `livingmap migrate` first"
        )


def run_with_progress(importer: Importer, *, commit: bool, stderr: Any = None) -> ImportReport:
    console = Console(file=getattr(stderr, "_out", None) or sys.stderr)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(f"{importer.name}: reading", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        return importer.run(commit=commit, progress=progress)


def print_report(
    report: ImportReport, *, all_problems: bool = False, file: Any = None, show_error: bool = True
) -> None:
    console = Console(file=getattr(file, "_out", None) or sys.stdout, width=120, soft_wrap=True)
    mode = {
        "committed": "COMMITTED",
        "dry_run": "DRY RUN — nothing was written; add --commit to write",
        "failed": "FAILED — nothing was written",
    }[str(report.status)]
    console.print(f"[bold]{report.importer}[/bold] from {report.source}: {mode}")
    if report.error:
        if show_error:
            console.print("[red]Error:[/red] " + escape(report.error))
        return
    table = Table(show_header=True, header_style="bold")
    for name in report.counts():
        table.add_column(name, justify="right")
    table.add_row(*(str(v) for v in report.counts().values()))
    console.print(table)
    if report.outside:
        console.print(f"[bold]Outside the area[/bold] ({sum(report.outside.values())}):")
        for reason, count in report.outside.items():
            console.print(f"  {count} {reason}", markup=False)
    for title, problems in (("Rejected", report.rejected), ("Warnings", report.warnings)):
        if not problems:
            continue
        shown = problems if all_problems else problems[:MAX_PRINTED_PROBLEMS]
        console.print(f"[bold]{title}[/bold] ({len(problems)}):")
        for problem in shown:
            console.print(f"  {problem.row}: {problem.reason}", markup=False)
        if len(shown) < len(problems):
            console.print(f"  … and {len(problems) - len(shown)} more (use --all-problems)")
    if report.event_id:
        console.print(f"Kept as import event {report.event_id} (livingmap import_history).")
