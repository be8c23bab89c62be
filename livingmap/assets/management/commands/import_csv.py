"""`livingmap import_csv`: a CSV register through a mapping file (import_mapped, for CSV)."""

from __future__ import annotations

from .import_mapped import Command as ImportMappedCommand


class Command(ImportMappedCommand):
    help = (
        "Load any CSV register of assets through a mapping file that says which column holds "
        "what (see docs/importers.md, and data/mappings/ for a worked example). Without "
        "--commit this is a dry run: every row is checked and the report printed, and nothing "
        "is kept. Example: livingmap import_csv register.csv --mapping register.toml"
    )
    file_help = "the CSV file to load"
