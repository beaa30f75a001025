"""Thresholds below the protective minimum (5 for counts, 10 for signals) are refused unless
LAGESBILD_DISCLOSURE_UNSAFE_FOR_TESTS=1 is set, and every output protected with them says it is not for
publication: the rule text in the CLI tables' caption, in every export's metadata and on the dashboard."""
from __future__ import annotations

import json
from datetime import datetime

import openpyxl
import pytest

from analysis import disclosure
from analysis.counts import LEVELS, count_observations
from config.errors import ConfigError
from config.geo import load_geography
from config.settings import Settings, load_settings
from lagesbild.terminal import published_table
from web.exports import FORMATS, write_export
from support import Obs, run_cli

GEO = load_geography()
FLAG = "EJ FÖR PUBLICERING"


def _published(**thresholds):
    observations = [Obs(f"a{code}-{i}", f"p{code}-{i}", None, code, datetime(2026, 11, 10))
                    for code, n in {"1480": 12, "0180": 3}.items() for i in range(n)]
    tables = {lvl: count_observations(observations, GEO, lvl, "month") for lvl in LEVELS}
    return disclosure.protect_levels(tables, GEO, **thresholds)["kommun"]


@pytest.mark.parametrize("variable, value", [("SMALL_CELL_THRESHOLD", "4"), ("SIGNAL_THRESHOLD", "9")])
def test_a_threshold_below_the_minimum_is_refused_without_the_unsafe_flag(monkeypatch, variable, value):
    monkeypatch.setenv(f"LAGESBILD_{variable}", value)
    monkeypatch.delenv("LAGESBILD_DISCLOSURE_UNSAFE_FOR_TESTS", raising=False)
    with pytest.raises(ConfigError, match=f"LAGESBILD_{variable}: must be at least"):
        load_settings()
    monkeypatch.setenv("LAGESBILD_DISCLOSURE_UNSAFE_FOR_TESTS", "1")
    assert getattr(load_settings(), variable.lower()) == int(value)


def test_the_cli_refuses_a_low_threshold_in_one_line(tmp_path):
    result = run_cli("counts", home=tmp_path, small_cell_threshold="2")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "LAGESBILD_SMALL_CELL_THRESHOLD: must be at least 5" in line and "LAGESBILD_DISCLOSURE_UNSAFE_FOR_TESTS" in line


def test_protective_thresholds_are_publishable_and_lower_ones_are_marked_everywhere(tmp_path):
    safe = _published(**disclosure.settings_options(Settings()))
    assert FLAG not in safe.rule
    unsafe_settings = Settings(small_cell_threshold=2, disclosure_unsafe_for_tests=True)
    unsafe = _published(**disclosure.settings_options(unsafe_settings))
    assert unsafe.rule.startswith(FLAG) and unsafe.cell("2026-11", "0180", "active_ads").display == "3"
    assert _published(threshold=5, signal_threshold=9).rule.startswith(FLAG)  # signals below 10 too
    assert FLAG in str(published_table(unsafe).caption)  # the CLI tables
    for fmt in FORMATS:
        path = tmp_path / f"kommun.{fmt}"
        write_export(unsafe, GEO, path, fmt)
        if fmt == "xlsx":
            about = dict(openpyxl.load_workbook(path)["Om tabellen"].iter_rows(values_only=True))
            text = json.dumps(about, ensure_ascii=False, default=str)
        else:
            text = path.read_text(encoding="utf-8-sig")
        assert FLAG in text, fmt


def test_price_cells_below_the_signal_minimum_are_marked_too():
    from analysis.prices import price_rule, price_threshold

    assert FLAG not in price_rule(price_threshold(Settings()))
    low = Settings(signal_threshold=6, disclosure_unsafe_for_tests=True)
    assert price_rule(price_threshold(low)).startswith(FLAG)
