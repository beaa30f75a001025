"""The README stays true: every command is documented, and every command line it shows parses."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from lagesbild.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def readme_command_lines() -> list[str]:
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line.startswith("lagesbild "):
                lines.append(line)
    return lines


def subcommand(group: click.Group, name: str) -> click.Command:
    return group.get_command(click.Context(group), name)  # the top-level group loads its commands on demand


def all_commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name in group.list_commands(click.Context(group)):
        command = subcommand(group, name)
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            names += all_commands(command, full + " ")
        else:
            names.append(full)
    return names


def test_readme_shows_the_two_setup_commands_first():
    first_block = re.search(r"```sh\n(.*?)```", README, flags=re.S).group(1)
    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()] == ["make demo", "make test"]


COMMANDS = all_commands(app)


def test_the_command_tree_is_read_whole():
    assert len(COMMANDS) > 30 and "schedule run-now" in COMMANDS and "keys destroy" in COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_appears_in_the_readme(command):
    assert any(line.startswith(f"lagesbild {command}") for line in readme_command_lines()), command


INPUT_SUFFIXES = (".txt", ".csv", ".json")


@pytest.mark.parametrize("line", readme_command_lines())
def test_readme_command_lines_parse(line, tmp_path, monkeypatch):
    args = shlex.split(line)[1:]
    if ">" in args:  # a shell redirection is not the command's
        args = args[: args.index(">")]
    monkeypatch.chdir(tmp_path)
    for previous, token in zip(["", *args], args):  # the files an example reads exist for a user who runs it
        if token.endswith(INPUT_SUFFIXES) and "//" not in token and previous not in {"-o", "--output", ">"}:
            (tmp_path / token).write_text("", encoding="utf-8")
    command: click.Command = app
    name = "lagesbild"
    while isinstance(command, click.Group):  # README lines give no group-level options
        name, args = args[0], args[1:]
        command = subcommand(command, name)
    command.make_context(name, args)  # raises on an unknown option or a bad value
