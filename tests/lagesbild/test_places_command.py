"""The places commands as a user runs them, including their own alias file."""
from __future__ import annotations

import csv
import io

from support import run_cli


def resolve(home, *lines: str, **settings: str) -> list[dict[str, str]]:
    source = home / "in.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("places", "resolve", str(source), home=home, **settings)
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_bulk_resolution_writes_the_documented_csv(tmp_path):
    rows = resolve(tmp_path, "Gbg centrum", "Hela Sverige", "Centrum", "Oslo", "Norrköping / Linköping")
    assert [(r["input"], r["kommunkod"], r["status"]) for r in rows] == [
        ("Gbg centrum", "1480", "resolved"),
        ("Hela Sverige", "", "unresolved:nationwide"),
        ("Centrum", "", "ambiguous"),
        ("Oslo", "", "unresolved:abroad"),
        ("Norrköping / Linköping", "0581", "resolved"),
    ]


def test_user_aliases_in_the_data_folder_win_without_code_change(tmp_path):
    assert resolve(tmp_path, "Tuna")[0]["kommunkod"] != "0484"
    (tmp_path / "place_aliases.csv").write_text("alias,kommunkod,note\nTuna,0484,Eskilstuna\n", encoding="utf-8")
    assert resolve(tmp_path, "Tuna")[0]["kommunkod"] == "0484"


def test_a_broken_alias_file_is_one_line_naming_file_and_line(tmp_path):
    (tmp_path / "place_aliases.csv").write_text("alias,kommunkod\nTuna,9999\n", encoding="utf-8")
    result = run_cli("places", "explain", "Tuna", home=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "place_aliases.csv" in result.stderr and "line 2" in result.stderr


def test_explain_says_why(tmp_path):
    result = run_cli("places", "explain", "Centrum", "--context", "Göteborg", home=tmp_path)
    assert result.returncode == 0 and "resolved: 1480 Göteborg" in result.stdout and "why:" in result.stdout
