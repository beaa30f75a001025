"""Data flows one way: each package imports only from stages upstream of it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = {"config", "parsers", "crawler", "store", "analysis", "scheduler", "web", "lagesbild"}
ALLOWED = {
    "config": {"config"},
    "parsers": {"parsers", "config"},
    "store": {"store", "parsers", "config"},
    "crawler": {"crawler", "parsers", "store", "config"},
    "analysis": {"analysis", "store", "config", "parsers"},
    "web": {"web", "analysis", "store", "config"},
    "scheduler": PROJECT - {"lagesbild"},
    "lagesbild": PROJECT,
}
# The sandbox is the pipeline's independent truth: it shares only the geography data.
SANDBOX_ALLOWED = {"lagesbild", "config"}
THIRD_PARTY_BANNED = {"parsers": {"scrapy", "sqlalchemy", "sqlmodel", "requests", "httpx"}}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def package_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_upstream(package):
    for path in package_files(package):
        allowed = SANDBOX_ALLOWED if "sandbox" in path.parts else ALLOWED[package]
        imported = imported_packages(path)
        wrong = (imported & PROJECT) - allowed
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"
        banned = imported & THIRD_PARTY_BANNED.get(package, set())
        assert not banned, f"{path.relative_to(ROOT)} imports {sorted(banned)}"


def test_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from store import repository\nimport crawler.spider\n")
    assert imported_packages(bad) >= {"store", "crawler"}


def test_every_module_says_what_it_owns():
    for package in sorted(ALLOWED):
        for path in package_files(package):
            if path.stat().st_size == 0:
                continue
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
            assert doc, f"{path.relative_to(ROOT)} has no module docstring"
