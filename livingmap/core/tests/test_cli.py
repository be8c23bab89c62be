"""The `livingmap` command line: help a data officer can follow, dry runs, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

from livingmap.areas.models import Postcode
from livingmap.cli import data_commands, main, more_commands
from livingmap.core.models import ImportEvent

CONSOLE_SCRIPT = Path(sys.executable).with_name("livingmap")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed `livingmap` script if there is one, else the same entry point by module."""
    command = (
        [str(CONSOLE_SCRIPT)]
        if CONSOLE_SCRIPT.exists()
        else [sys.executable, "-m", "livingmap.cli"]
    )
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"], []])
def test_livingmap_help_lists_the_data_commands(args):
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name, text in data_commands().items():
        assert f"  {name}" in out
        assert text in out
    assert "DRY RUN unless you add --commit" in out
    assert "livingmap COMMAND --help" in out


def test_the_entry_point_module_and_the_script_agree():
    by_module = subprocess.run(
        [sys.executable, "-m", "livingmap.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert by_module.stdout == run_cli("--help").stdout


def test_every_command_the_help_lists_exists():
    commands = get_commands()
    listed = [*data_commands(), *(name for group in more_commands().values() for name in group)]
    missing = sorted(name for name in listed if name not in commands)
    assert not missing, f"livingmap --help lists commands that do not exist: {missing}"


@pytest.mark.parametrize(
    "command",
    ["import_postcodes", "import_boundaries", "import_indicators", "import_assets", "import_hsds"],
)
def test_each_import_command_explains_itself_and_its_commit_switch(command):
    commands = get_commands()
    parser = load_command_class(commands[command], command).create_parser("livingmap", command)
    text = " ".join(parser.format_help().split())
    assert "--commit Write to the database. Without it the import is a dry run" in text


def test_a_command_help_through_the_script():
    result = run_cli("import_postcodes", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "usage: livingmap import_postcodes" in text
    assert "--commit Write to the database. Without it the import is a dry run" in text


def test_an_unknown_command_fails():
    result = run_cli("import_everything")
    assert result.returncode != 0
    assert "Unknown command" in result.stderr


@pytest.fixture
def keep_connection(monkeypatch):
    """Django's command runner closes every connection when a command ends, which would end
    the test's transaction on PostgreSQL: in-process runs keep it open."""
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


@pytest.mark.django_db
@pytest.mark.usefixtures("keep_connection")
def test_an_import_through_the_cli_is_a_dry_run_unless_committed(tmp_path, capsys):
    path = tmp_path / "pc.csv"
    path.write_text("pcds,lat,long\nZZ9 9ZZ,53.45,-2.30\n")

    main(["livingmap", "import_postcodes", str(path)])
    out = capsys.readouterr().out
    assert "DRY RUN" in out
    assert not Postcode.objects.filter(postcode="ZZ9 9ZZ").exists()

    main(["livingmap", "import_postcodes", str(path), "--commit"])
    out = capsys.readouterr().out
    assert "COMMITTED" in out and "DRY RUN" not in out
    assert Postcode.objects.filter(postcode="ZZ9 9ZZ").exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("keep_connection")
def test_a_failed_import_through_the_cli_exits_non_zero_with_the_reason(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["livingmap", "import_postcodes", str(tmp_path / "absent.csv"), "--commit"])
    assert caught.value.code not in (0, None)
    captured = capsys.readouterr()
    assert "FAILED" in captured.out
    assert "cannot open" in captured.err and "absent.csv" in captured.err
    assert ImportEvent.objects.filter(status=ImportEvent.Status.FAILED).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("keep_connection")
def test_a_bad_option_through_the_cli_exits_non_zero(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["livingmap", "import_boundaries", "x.geojson", "--level", "county", "--vintage", "1"])
    assert caught.value.code not in (0, None)
    assert "invalid choice: 'county'" in capsys.readouterr().err
