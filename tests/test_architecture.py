"""The house: data flows one way between rooms, no module imports itself in a circle, and files stay readable."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = {"config", "parsers", "crawler", "store", "analysis", "scheduler", "web"}
PROJECT = PRODUCT | {"lagesbild", "sandbox", "evaluation", "bench"}
ALLOWED = {
    "config": {"config"},
    "parsers": {"parsers", "config"},
    "store": {"store", "parsers", "config"},
    "crawler": {"crawler", "parsers", "store", "config"},
    "analysis": {"analysis", "store", "config", "parsers"},
    "web": {"web", "analysis", "store", "config"},
    "scheduler": PRODUCT,
    # The simulated market is the pipeline's independent truth: it shares only the geography data.
    "sandbox": {"sandbox", "config"},
    # Scorecards drive the pipeline over the simulated market and compare with its truth.
    "evaluation": PRODUCT - {"web"} | {"sandbox", "evaluation"},
    "lagesbild": PROJECT - {"bench"},
    "bench": PROJECT - {"lagesbild"},
}
THIRD_PARTY_BANNED = {"parsers": {"scrapy", "sqlalchemy", "sqlmodel", "requests", "httpx"}}
LAGESBILD_MAX_LINES = 1500
FILE_MAX_LINES = 600


def imports_of(path: Path) -> set[str]:
    """Dotted names a module imports (absolute imports only), leaving out `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                 and getattr(block.test, "id", getattr(block.test, "attr", None)) == "TYPE_CHECKING"
                 for stmt in block.body for node in ast.walk(stmt)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def imported_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imports_of(path)}


def package_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_graph() -> dict[str, set[str]]:
    """Project module → project modules it imports (a `from package import module` counts as the module)."""
    modules = {module_name(path): path for package in PROJECT for path in package_files(package)}
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in imports_of(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and not name.startswith(imported + "."):
                targets.add(imported)
        graph[name] = targets
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_upstream(package):
    for path in package_files(package):
        imported = imported_packages(path)
        wrong = (imported & PROJECT) - ALLOWED[package]
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"
        banned = imported & THIRD_PARTY_BANNED.get(package, set())
        assert not banned, f"{path.relative_to(ROOT)} imports {sorted(banned)}"


def test_no_product_stage_imports_the_sandbox_or_the_scorecards():
    for package in sorted(PRODUCT):
        for path in package_files(package):
            wrong = imported_packages(path) & {"sandbox", "evaluation", "lagesbild", "bench"}
            assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


def test_no_circle_of_imports():
    assert circles(module_graph()) == []


def test_checkers_see_a_violation_and_a_circle(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from store import runs\nimport crawler.spider\n"
                   "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import web.app\n")
    assert imported_packages(bad) >= {"store", "crawler"} and "web" not in imported_packages(bad)
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_takes_another_modules_private_names():
    for package in sorted(PROJECT):
        for path in package_files(package):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PROJECT:
                    private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                    assert not private, f"{path.relative_to(ROOT)} imports {private} from {node.module}"


def test_the_command_line_stays_thin_and_every_file_readable():
    lagesbild_lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in package_files("lagesbild"))
    assert lagesbild_lines < LAGESBILD_MAX_LINES, f"lagesbild/ has {lagesbild_lines} lines"
    for package in sorted(PROJECT):
        for path in package_files(package):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            assert lines < FILE_MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"


def test_every_module_says_what_it_owns():
    for package in sorted(PROJECT):
        for path in package_files(package):
            if path.stat().st_size == 0:
                continue
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
            assert doc, f"{path.relative_to(ROOT)} has no module docstring"
