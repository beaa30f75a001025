"""`export -o` and `report -o` write only into a folder that exists: a typo never creates folders anywhere."""
from __future__ import annotations

import pytest

from support import init_keys, run_cli


@pytest.mark.parametrize("args", [
    ("export", "--level", "kommun", "--period", "month", "--format", "csv"),
    ("report", "--level", "riket", "--period", "2026-11", "--format", "html"),
])
def test_an_output_in_a_missing_folder_is_refused_in_one_line_and_nothing_is_created(tmp_path, args):
    missing = tmp_path / "nosuch" / "deeper"
    result = run_cli(*args, "-o", str(missing / "out.file"), home=tmp_path / "home")
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line == f"error: Invalid value for -o: the folder {missing} does not exist; create it first"
    assert not (tmp_path / "nosuch").exists()


def test_export_writes_into_an_existing_folder_and_help_says_it_must_exist(tmp_path):
    init_keys(tmp_path / "home")
    result = run_cli("export", "--level", "riket", "--period", "month", "-o", str(tmp_path / "riket.csv"),
                     home=tmp_path / "home")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "riket.csv").read_text(encoding="utf-8").startswith("kommunkod")
    assert "in an existing folder" in " ".join(run_cli("export", "--help", home=tmp_path / "home").stdout.split())
