"""Every output path goes through analysis.disclosure: exporters, the terminal, and every command that counts."""
from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path

import pytest
from rich.console import Console

from analysis import disclosure
from analysis.counts import count_observations
from config.geo import load_geography
from lagesbild.terminal import published_table
from web.exports import EXPORTERS

from support import Obs

ROOT = Path(__file__).resolve().parents[2]
GEO = load_geography()
COUNTING = {"load_counts", "count_observations"}
PROTECTING = {"protect", "protect_family", "protect_levels", "load_published", "load_published_family"}
OUTPUT_PACKAGES = ("lagesbild", "web", "evaluation")
# Functions that count without protecting because they publish no count: `evaluate` compares stored
# sandbox data with the simulation's truth cell by cell and reports only error rates and shares.
SCORING_ONLY = {("evaluation/compare.py", "compare_counts")}


def called_names(node: ast.AST) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def output_functions():
    for package in OUTPUT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "sandbox" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield path.relative_to(ROOT), node


def test_every_function_that_counts_also_protects():
    protecting = 0
    for path, function in output_functions():
        names = called_names(function)
        protecting += bool(names & PROTECTING)
        if names & COUNTING and (str(path), function.name) not in SCORING_ONLY:
            assert names & PROTECTING, f"{path}:{function.lineno} {function.name} counts but never protects"
    assert protecting, "the scan found no output that protects: has the CLI moved?"


def test_the_scan_would_catch_a_function_that_skips_protection():
    bad = ast.parse("def leak(store):\n    table = load_counts(store)\n    print(table)\n").body[0]
    assert called_names(bad) & COUNTING and not called_names(bad) & PROTECTING


def test_the_terminal_table_refuses_raw_counts_and_shows_dots():
    rows = [Obs(f"a{i}", None, None, "1480", datetime(2026, 11, 10)) for i in range(3)]
    raw = count_observations(rows, GEO, "kommun", "month")
    with pytest.raises(TypeError):
        published_table(raw)
    console = Console(width=200, record=True)
    console.print(published_table(disclosure.protect(raw)))
    text = console.export_text()
    assert "Göteborg" in text and ".." in text and "suppression-v2" in text
    assert not any(f" {n} " in line for line in text.splitlines() if "Göteborg" in line for n in "1234")


def test_exporters_are_enumerated():
    assert EXPORTERS, "no exporters registered"
