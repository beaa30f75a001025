"""The command line's own behaviour: every registered command loads, `--help` lists them without loading the
heavy libraries the stages use, and bad input is one line with exit code 2."""
from __future__ import annotations

import subprocess
import sys

import click
import pytest

from lagesbild.cli import COMMANDS, app

from support import cli_env, run_cli


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_registered_command_loads_under_its_name(name):
    command = app.get_command(click.Context(app), name)
    assert isinstance(command, click.Command) and command.name == name


def test_help_lists_every_command_without_loading_heavy_libraries(tmp_path):
    probe = ("import sys; from lagesbild.cli import main\n"
             "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m in "
             "{'numpy', 'scipy', 'scrapy', 'twisted', 'playwright', 'sqlalchemy', 'alembic', 'fastapi', 'sklearn'}))")
    result = subprocess.run([sys.executable, "-c", probe], env=cli_env(tmp_path), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    listed = result.stdout.rsplit("\n", 2)[-2]
    assert listed == "[]", f"--help imported {listed}"
    for name in COMMANDS:
        assert f"  {name} " in result.stdout


def test_an_unknown_command_and_a_backwards_window_are_one_line_and_exit_2(tmp_path):
    unknown = run_cli("nosuch", home=tmp_path)
    backwards = run_cli("counts", "--from", "2026-05-01", "--to", "2026-04-01", home=tmp_path)
    for result in (unknown, backwards):
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert "--from is after --to" in backwards.stderr
