"""The README and the docs stay true: the README is short and starts with the two set-up commands, every
command is documented, every command line shown parses, the tour's commands run, and the site builds."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from lagesbild.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = {path.name: path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md"))}
README_MAX_LINES = 150


def command_lines(text: str) -> list[str]:
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line.startswith("lagesbild "):
                lines.append(line)
    return lines


def readme_command_lines() -> list[str]:
    return command_lines(README)


def documented_command_lines() -> list[str]:
    return list(dict.fromkeys(command_lines(README) + [line for page in PAGES.values() for line in command_lines(page)]))


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


def test_the_readme_is_short_and_links_every_guide():
    assert len(README.splitlines()) <= README_MAX_LINES
    for page in ("analyst.md", "coordinator.md", "municipality.md", "operator.md", "data-protection.md"):
        assert f"(docs/{page})" in README and page in PAGES


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_appears_in_the_docs(command):
    assert any(line.startswith(f"lagesbild {command}") for line in documented_command_lines()), command


INPUT_SUFFIXES = (".txt", ".csv", ".json")


@pytest.mark.parametrize("line", documented_command_lines())
def test_documented_command_lines_parse(line, tmp_path, monkeypatch):
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


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    """A data folder holding a synthetic market (13 weeks, August–October 2026) and its key."""
    import importlib.util

    from config.settings import Settings
    from store import open_store

    spec = importlib.util.spec_from_file_location("webdata", ROOT / "tests" / "web" / "webdata.py")
    webdata = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(webdata)
    fill_market = webdata.fill_market

    home = tmp_path_factory.mktemp("tour")
    with open_store(Settings(home=home).resolved_database_url) as store:
        fill_market(store)
    return home


# Long-running or series-bound lines of the tour are run by their own tests: `serve --demo` by
# tests/web/test_browser.py, `evaluate --demo` after a crawled demo by tests/e2e/test_commands.py.
RUN_ELSEWHERE = ("lagesbild serve", "lagesbild evaluate")


@pytest.mark.parametrize("line", [line for line in readme_command_lines() if not line.startswith(RUN_ELSEWHERE)])
def test_the_tour_runs(line, demo_home, tmp_path):
    from support import run_cli

    args = shlex.split(line)[1:]
    if "-o" in args:  # write into the test's folder
        args[args.index("-o") + 1] = str(tmp_path / args[args.index("-o") + 1])
    result = run_cli(*args, home=demo_home)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and result.stdout.strip()


def test_the_site_builds_strictly(tmp_path):
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if mkdocs is None:
        pytest.skip("MkDocs is not installed (make docs installs it)")
    result = subprocess.run([mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "municipality" / "index.html").is_file()
