"""Small-cell protection: 1–4 never appear; zeros and counts from the threshold up do."""
from datetime import datetime

from analysis import disclosure
from analysis.counts import count_observations
from config.geo import load_geography

from support import Obs


def make_table(n_goteborg: int, n_malmo: int):
    rows = [Obs(f"g{i}", None, None, "1480", datetime(2026, 11, 10)) for i in range(n_goteborg)]
    rows += [Obs(f"m{i}", None, None, "1280", datetime(2026, 11, 10)) for i in range(n_malmo)]
    return count_observations(rows, load_geography(), "kommun", "month")


def test_counts_below_threshold_are_suppressed():
    published = disclosure.protect(make_table(3, 7), threshold=5)
    goteborg = published.cell("2026-11", "1480", "active_ads")
    assert goteborg.suppressed and goteborg.display == "<5" and goteborg.value is None
    assert published.cell("2026-11", "1280", "active_ads").display == "7"
    assert published.cell("2026-11", "0180", "active_ads").display == "0"


def test_no_published_cell_shows_1_to_4():
    published = disclosure.protect(make_table(1, 4), threshold=5)
    shown = {cell.display for row in published.rows for cell in row.cells.values()}
    assert not shown & {"1", "2", "3", "4"}
    assert "5" in {c.display for r in disclosure.protect(make_table(5, 0), 5).rows for c in r.cells.values()}


def test_threshold_is_configurable_and_rule_is_stated():
    published = disclosure.protect(make_table(7, 0), threshold=10)
    assert published.cell("2026-11", "1480", "active_ads").display == "<10"
    assert "1–9" in published.rule
